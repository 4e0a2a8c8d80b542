"""The News monitor page: rendering (newsmon.ui) and the plugin served by a real `airflow api-server`."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers_browser import INSTALL_HINT, chromium_available, screenshot_command
from helpers_ops import NOW, build_ops_corpus
from newsmon.config import paths
from newsmon.ui import line_chart_svg, load_page_data, render_page

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """The demo corpus through the real pipeline (fetch, clean, tag, load, daily tables, publish) and its digest."""
    from newsmon.demo.server import DemoServer
    from newsmon.digest import send_digest
    from newsmon.pipeline import run_once

    root = tmp_path_factory.mktemp("demo")
    p = paths(root / "data").ensure()
    saved = {k: os.environ.get(k) for k in ("NEWSMON_ALLOW_HOSTS", "NEWSMON_SMTP_HOST")}
    os.environ.pop("NEWSMON_SMTP_HOST", None)
    try:
        with DemoServer(host="127.0.0.1", port=0, slow_seconds=3) as server:
            os.environ["NEWSMON_ALLOW_HOSTS"] = server.url
            report = run_once(feeds_file=server.write_feeds_yaml(root / "feeds.yaml"), data_dir=p.data_dir)
        day = max(date.fromisoformat(d) for d in report["daily"]["days"])
        send_digest(p, day, recipients=["readers@example.org"], outbox=p.outbox)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return p, report


@pytest.fixture(scope="module")
def ops_data(tmp_path_factory):
    """A published analyst database with trends, a China spike, a failing feed and a digest."""
    p = paths(tmp_path_factory.mktemp("ops") / "data").ensure()
    build_ops_corpus(p)
    return p


def test_page_data_from_the_analyst_database(ops_data):
    data = load_page_data(ops_data, NOW)
    assert data.missing == [] and str(data.day) == "2026-03-10"
    assert set(data.country_series) == {"CN", "RU", "US"} and len(data.days) == 30
    assert data.country_series["CN"][-1] > data.country_series["CN"][-2]  # the spike day
    assert {"CN-US", "RU-US", "CN-RU"} <= set(data.pair_series)
    assert data.stories[0]["title"] == "Beijing unveils sweeping export controls"
    assert data.stories[0]["outlets"] == 3 and data.stories[0]["copies"] == 6
    assert [(f["feed"], f["kind"]) for f in data.flags] == [("herald", "failing")]
    herald = next(f for f in data.feeds if f["feed"] == "herald")
    assert herald["consecutive_failures"] == 4 and herald["flags"] == ["failing"]
    assert 4.5 < herald["items_per_day"] < 5.5  # about 5 articles a day over the last week
    assert data.digest["subject"] == "China stories up sharply on 10 March"
    json.dumps(data.as_dict())  # the JSON endpoint's body


def test_page_html_has_charts_tables_and_nothing_external(ops_data):
    page = render_page(load_page_data(ops_data, NOW))
    assert page.count("<svg") == 2 and 'data-series="CN"' in page and 'data-series="CN-US"' in page
    assert "Beijing unveils sweeping export controls" in page
    assert "failed 4 times in a row" in page and "HTTP 503 Service Unavailable" in page
    assert "China stories up sharply on 10 March" in page and "Feed health: 1 feed failing" in page
    # Self-contained: no scripts, stylesheets or images fetched from anywhere.
    assert "<script" not in page and "<link" not in page and "<img" not in page and "src=" not in page


def test_the_page_reads_the_database_read_only_and_lets_go(ops_data):
    import duckdb

    load_page_data(ops_data, NOW)
    con = duckdb.connect(str(ops_data.analyst_db))  # a writer could not open it if the page kept it open
    con.close()


def test_untrusted_text_is_escaped(tmp_path):
    p = paths(tmp_path / "data").ensure()
    p.outbox.mkdir(parents=True, exist_ok=True)
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "<script>alert(1)</script>"
    msg.set_content("<img src=x onerror=alert(1)>")
    (p.outbox / "digest-2026-03-10-x.eml").write_bytes(bytes(msg))
    page = render_page(load_page_data(p, NOW))
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<img" not in page
    assert "Not available yet: analyst database" in page


def test_hostile_feed_text_in_the_database_is_escaped_on_the_page(tmp_path, ops_data):
    """Story titles, links, feed names and fetch errors come from outside: the page template escapes them, and a
    javascript: link stays text."""
    from newsmon.warehouse import open_warehouse, publish

    p = paths(tmp_path / "data").ensure()
    shutil.copy(ops_data.warehouse, p.warehouse)
    with open_warehouse(p) as con:
        con.execute(
            "UPDATE articles SET title = '<script>alert(1)</script>', url = 'javascript:alert(2)' "
            "WHERE title = 'Beijing unveils sweeping export controls'"
        )
        con.execute(
            "UPDATE feed_health SET last_error = '<img src=x onerror=alert(3)>' WHERE feed = 'herald'"
        )
        con.execute("UPDATE feed_health SET feed = '\"><svg onload=alert(4)>' WHERE feed = 'daily'")
    publish(p)
    page = render_page(load_page_data(p, NOW))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(3)&gt;" in page
    assert "<svg onload" not in page and "&#34;&gt;&lt;svg onload=alert(4)&gt;" in page
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', page))


def test_recovered_feed_clears_its_flag_on_the_page(tmp_path, ops_data):
    from newsmon.warehouse import open_warehouse, publish

    p = paths(tmp_path / "data").ensure()
    shutil.copy(ops_data.warehouse, p.warehouse)
    with open_warehouse(p) as con:
        con.execute(
            "UPDATE feed_health SET consecutive_failures = 0, last_status = 'ok' WHERE feed = 'herald'"
        )
    publish(p)
    data = load_page_data(p, NOW)
    assert data.flags == [] and "none is flagged" in render_page(data)


def test_silent_feed_is_flagged_on_the_page(tmp_path, ops_data):
    from newsmon.warehouse import publish

    p = paths(tmp_path / "data").ensure()
    shutil.copy(ops_data.warehouse, p.warehouse)
    publish(p)
    # Two days later nothing new has come: every feed is silent (one new item every few hours before).
    data = load_page_data(p, NOW + timedelta(days=2))
    kinds = {(f["feed"], f["kind"]) for f in data.flags}
    assert ("wire", "silent") in kinds and ("daily", "silent") in kinds
    assert ("herald", "failing") in kinds and ("herald", "silent") not in kinds


def test_bad_pair_level_is_refused(ops_data):
    with pytest.raises(ValueError, match="pair level must be one of"):
        load_page_data(ops_data, NOW, pair_level="chapter")


def test_chart_scales_and_marks_spikes():
    days = [NOW.date() - timedelta(days=i) for i in range(3, -1, -1)]
    svg = line_chart_svg("t", days, {"CN": [1.0, 2.0, 3.0, 17.0]}, {"CN": [False, False, False, True]})
    assert svg.count('class="spike"') == 1 and ">20</text>" in svg  # 17 rounds up to a 20 axis
    assert "no data yet" in line_chart_svg("t", days, {})


# ---------------------------------------------------------------------------------------------------- real server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str | None = None, accept: str = "application/json"):
    req = urllib.request.Request(url, headers={"Accept": accept})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture(scope="module")
def api_server(airflow_db, demo_data, tmp_path_factory):
    """A real `airflow api-server` with the project's plugins folder, over the demo corpus's analyst database."""
    port = _free_port()
    home = tmp_path_factory.mktemp("api")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": "admin-pw"}))
    env = os.environ.copy()
    env.update(
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__CORE__LAZY_LOAD_PLUGINS="False",
        NEWSMON_DATA_DIR=str(demo_data[0].data_dir),
    )
    log = open(home / "api-server.log", "wb")  # noqa: SIM115 (closed in teardown)
    proc = subprocess.Popen(
        [sys.executable, "-m", "airflow", "api-server", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"api-server exited: {(home / 'api-server.log').read_text()[-3000:]}")
            try:
                if _get(f"{base}/api/v2/monitor/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            pytest.fail(f"api-server did not answer: {(home / 'api-server.log').read_text()[-3000:]}")
        req = urllib.request.Request(
            f"{base}/auth/token",
            data=json.dumps({"username": "admin", "password": "admin-pw"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            token = json.loads(resp.read())["access_token"]
        yield base, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.mark.slow
def test_unauthenticated_requests_are_refused(api_server):
    base, _ = api_server
    for path in ("/newsmon/", "/newsmon/data.json"):
        status, body = _get(base + path)
        assert status == 401 and "Not authenticated" in body
    status, body = _get(base + "/newsmon/", accept="text/html")
    assert status == 401 and "/auth/login" in body
    status, _ = _get(base + "/newsmon/data.json", token="not-a-jwt")
    assert status in (401, 403)


def _headers(url: str, token: str | None = None, accept: str = "text/html"):
    req = urllib.request.Request(url, headers={"Accept": accept})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.mark.slow
def test_no_docs_or_schema_and_every_answer_sends_the_security_headers(api_server):
    import base64
    import hashlib
    import re

    base, token = api_server
    for path in ("/newsmon/docs", "/newsmon/redoc", "/newsmon/openapi.json", "/newsmon/docs/oauth2-redirect"):
        for who in (None, token):
            status, _, body = _headers(base + path, who)
            assert status == 404, (path, status, body[:200])
            assert "swagger" not in body.lower() and "cdn" not in body.lower()
    answers = {
        "page": _headers(f"{base}/newsmon/", token),
        "json": _headers(f"{base}/newsmon/data.json", token, accept="application/json"),
        "refused": _headers(f"{base}/newsmon/"),
        "bad level": _headers(f"{base}/newsmon/?level=chapter", token),
        "missing": _headers(f"{base}/newsmon/docs", token),
    }
    assert [a[0] for a in answers.values()] == [200, 200, 401, 400, 404]
    for name, (_, headers, _) in answers.items():
        csp = headers.get("Content-Security-Policy") or ""
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives.get("default-src") == "'none'", (name, csp)
        assert directives.get("frame-ancestors") == "'self'", (name, csp)
        assert "http" not in csp and "*" not in csp and "unsafe" not in csp, (name, csp)  # nothing external
        assert headers.get("X-Content-Type-Options") == "nosniff", name
    # The policy allows exactly the page's own inline stylesheet, so the page still looks as designed.
    page = answers["page"][2]
    assert "<script" not in page and " style=" not in page
    (css,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = answers["page"][1]["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in csp


@pytest.mark.slow
def test_plugin_is_registered_with_its_menu_entry(api_server):
    base, token = api_server
    status, body = _get(f"{base}/api/v2/plugins", token)
    assert status == 200
    plugin = next(p for p in json.loads(body)["plugins"] if p["name"] == "newsmon")
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/newsmon"
    view = plugin["external_views"][0]
    assert (view["name"], view["href"], view["destination"]) == ("News monitor", "newsmon/", "nav")


@pytest.mark.slow
def test_page_through_the_api_server_with_screenshot(api_server, demo_data):
    """The demo corpus's trends, stories, feed health and digest, as the API server serves them."""
    import duckdb

    base, token = api_server
    p, report = demo_data
    con = duckdb.connect(str(p.analyst_db), read_only=True)
    try:
        feeds = {r[0] for r in con.execute("SELECT feed FROM feed_health").fetchall()}
        last_day, cn_stories = con.execute(
            "SELECT day, stories FROM daily_country WHERE country = 'CN' ORDER BY day DESC LIMIT 1"
        ).fetchone()
        peak = con.execute("SELECT max(stories) FROM daily_country").fetchone()[0]
    finally:
        con.close()

    status, body = _get(f"{base}/newsmon/data.json", token)
    assert status == 200
    data = json.loads(body)
    assert data["day"] == last_day.isoformat() and data["country_series"]["CN"][-1] == cn_stories
    assert max(v for s in data["country_series"].values() for v in s if v is not None) == peak
    assert set(data["pair_series"]) >= {"CN-US", "RU-US"}
    assert {f["feed"] for f in data["feeds"]} == feeds and len(feeds) >= 5
    assert data["stories"] and all(s["title"] for s in data["stories"])
    assert data["digest"]["subject"] and data["digest"]["file"].startswith("digest-")

    status, page = _get(f"{base}/newsmon/", token, accept="text/html")
    assert status == 200 and page.count("<svg") == 2 and "Countries" in page
    assert data["stories"][0]["title"].replace("'", "&#x27;") in page
    assert all(f in page for f in feeds) and data["digest"]["subject"].replace("'", "&#x27;") in page
    status, page_article = _get(f"{base}/newsmon/?level=article", token, accept="text/html")
    assert status == 200 and "Pairs (co-mentioned in one article)" in page_article
    assert _get(f"{base}/newsmon/?level=chapter", token)[0] == 400

    ARTIFACTS.mkdir(exist_ok=True)
    html_file = ARTIFACTS / "news_monitor_page.html"
    html_file.write_text(page, encoding="utf-8")
    shot = screenshot(html_file, ARTIFACTS / "news_monitor_page.png")
    assert shot.stat().st_size > 20_000  # a blank page is a few kB; charts and tables make it much larger


@pytest.mark.slow
def test_quality_gates_pass_on_the_demo_corpus(demo_data):
    import duckdb
    from newsmon.quality import check_analyst_db

    p, _ = demo_data
    con = duckdb.connect(str(p.analyst_db), read_only=True)
    try:
        (run_id,) = con.execute("SELECT DISTINCT run_id FROM fetch_log").fetchone()
    finally:
        con.close()
    result = check_analyst_db(p.analyst_db, run_id=run_id)
    assert result.articles > 50 and result.failures == []


def screenshot(html_file: Path, png: Path) -> Path:
    """Headless Chromium screenshot of a page saved from the server (its charts are inline, nothing to fetch)."""
    if not chromium_available():
        pytest.skip(INSTALL_HINT)
    png.unlink(missing_ok=True)
    subprocess.run(
        screenshot_command(html_file, png, 1400, 1700), check=True, capture_output=True, timeout=120
    )
    return png
