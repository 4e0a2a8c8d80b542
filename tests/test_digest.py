"""The daily digest: content, quiet days, and exactly-once delivery through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import inspect
import re
import shutil
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import duckdb
import pytest
from helpers_digest import SPIKE_HEADLINE, RecordingHandler, SmtpServer, make_analyst_db
from newsmon import health, quality
from newsmon.cli import main as cli_main
from newsmon.config import ConfigError, Settings, paths
from newsmon.digest import (
    DigestSendError,
    SmtpSettings,
    build_digest,
    resolve_recipients,
    send_digest,
    yesterday_utc,
)

DAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def spike_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("spike") / "newsmon.duckdb"
    make_analyst_db(db, DAY, history_days=40, spike=True)
    return db


@pytest.fixture(scope="module")
def spike_digest(spike_db):
    return build_digest(spike_db, DAY)


@pytest.fixture
def data(tmp_path, monkeypatch, spike_db):
    """A data folder whose analyst database is the spike corpus; no SMTP or recipients from the environment."""
    for var in ("NEWSMON_SMTP_HOST", "NEWSMON_DIGEST_TO", "NEWSMON_DIGEST_FROM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NEWSMON_SETTINGS", str(tmp_path / "no-settings.yaml"))
    p = paths(tmp_path / "data").ensure()
    shutil.copy(spike_db, p.analyst_db)
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(p.data_dir))
    return p


def ledger(p) -> list[tuple]:
    con = duckdb.connect(str(p.warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT day, recipient, status, message_id FROM digest_ledger ORDER BY recipient"
        ).fetchall()
    finally:
        con.close()


def parts(msg):
    """(text, html, image part) of a received digest."""
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html_part = msg.get_body(preferencelist=("html",))
    related = [p for p in msg.walk() if p.get_content_maintype() == "image"]
    return text, html_part.get_content(), related


# ---------------------------------------------------------------------------------------------------- content


def test_subject_states_the_biggest_spike(spike_digest):
    assert spike_digest.subject.startswith("China-Russia co-mentions ")
    assert re.search(r"co-mentions \d+\.\dx their 28-day mean", spike_digest.subject)
    assert "(+2 more spikes)" in spike_digest.subject  # China and Russia alone spike too
    facts = spike_digest.facts
    assert facts["main"] == "CN-RU" and facts["main_kind"] == "spike"
    assert set(facts["spikes"]) == {"CN-RU", "CN", "RU"}
    cn_ru = next(f for f in facts["pairs"] if f["key"] == "CN-RU")
    assert cn_ru["stories"] == 11 and cn_ru["spike"]  # 9 spike stories + 2 routine, the syndicated copy once


def test_text_and_html_carry_the_same_facts(spike_digest):
    text, html = spike_digest.text, spike_digest.html
    for needle in (
        "China-Russia co-mentions",
        "28-day mean",
        "SPIKE",
        "northern-courier (HTTP 503)",
        "plains-gazette (4 days)",
    ):
        assert needle in text, needle
        assert needle in html, needle
    # the spike's top story: outlet, headline, link and evidence sentence, in both parts
    assert SPIKE_HEADLINE in text
    assert "Beijing and Moscow sign a pipeline accord &lt;at&gt; the border" in html
    assert "<at>" not in html  # escaped everywhere
    story = spike_digest.facts["stories"]["CN-RU"][0]
    assert story["headline"] == SPIKE_HEADLINE and story["outlets"] == 2
    assert story["url"] in text and f'href="{story["url"]}"' in html
    assert story["evidence"].startswith("Officials in China and Russia") and story["evidence"] in text


def test_stories_are_deduplicated_within_and_across_sections(spike_digest):
    stories = spike_digest.facts["stories"]
    assert set(stories) >= {"CN-RU", "CN", "RU", "US"}
    ids = [s["story_id"] for section in stories.values() for s in section]
    assert len(ids) == len(set(ids))
    assert all(len(section) <= 3 for section in stories.values())
    assert spike_digest.text.count(SPIKE_HEADLINE) == 1


def test_html_is_mail_safe(spike_digest):
    html = spike_digest.html
    assert "<script" not in html.lower() and "<link" not in html.lower() and "<style" not in html.lower()
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs == [f"cid:{spike_digest.content_id}"]  # the only resource: the inline chart
    assert not re.search(r"url\(", html)
    assert all(h.startswith("https://news.example.org/") for h in re.findall(r'href="([^"]*)"', html))


def test_chart_is_a_real_png(spike_digest):
    import io

    from PIL import Image

    assert spike_digest.png[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(spike_digest.png)).convert("RGB")
    assert img.size == (800, 576)
    assert len(img.getcolors(maxcolors=1_000_000) or []) > 50  # lines, labels, shading: not a blank canvas


def test_quiet_day_is_short_and_honest(tmp_path):
    db = tmp_path / "quiet.duckdb"
    make_analyst_db(db, DAY, history_days=40, spike=False)
    d = build_digest(db, DAY)
    assert d.facts["spikes"] == [] and d.facts["main_kind"] == "quiet"
    assert d.subject.startswith("Quiet day: ") and "nothing unusual" in d.subject
    assert "No spikes and no big moves" in d.text and "No spikes and no big moves" in d.html
    assert "SPIKE" not in d.text
    assert len(d.png) > 10_000


def test_day_without_articles(tmp_path):
    db = tmp_path / "empty-day.duckdb"
    make_analyst_db(db, DAY, history_days=40, spike=False, empty_last_day=True)
    d = build_digest(db, DAY)
    assert d.facts["main_kind"] == "empty"
    assert d.subject.startswith("No articles collected")
    assert "No articles were collected for Friday 27 November 2026" in d.text
    assert "Feed health:" in d.text and "Feed health:" in d.html
    assert len(d.png) > 10_000  # the 30-day series still drawn, today at zero


def test_no_history_at_all(tmp_path):
    db = tmp_path / "nothing.duckdb"
    make_analyst_db(db, DAY, history_days=0, spike=False)
    d = build_digest(db, DAY)
    assert d.facts["main_kind"] == "empty"
    assert "no articles in this period yet" in d.text
    assert d.png[:4] == b"\x89PNG"


def test_first_day_of_history_says_there_is_no_baseline(tmp_path):
    db = tmp_path / "first.duckdb"
    make_analyst_db(db, DAY, history_days=1, spike=False)
    d = build_digest(db, DAY)
    assert d.facts["history_days"] == 0 and d.facts["main_kind"] == "first_day"
    assert d.subject.startswith("First digest: ") and "no baseline yet" in d.subject
    assert "first day of history" in d.text and "first day of history" in d.html
    assert d.facts["spikes"] == []
    assert "TODAY: stories (no baseline yet)" in d.text and not re.search(r"\bnew\b", d.text)


def test_short_history_says_how_long_the_baseline_is(tmp_path):
    db = tmp_path / "short.duckdb"
    make_analyst_db(db, DAY, history_days=10, spike=True)
    d = build_digest(db, DAY)
    assert d.facts["baseline_days"] == 9
    assert "9-day mean" in d.subject and "28-day" not in d.text


def test_missing_analyst_database_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="analyst database not found"):
        build_digest(tmp_path / "nope.duckdb", DAY)


def test_missing_daily_tables_name_the_fix(tmp_path):
    db = tmp_path / "raw.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(ConfigError, match="newsmon daily"):
        build_digest(db, DAY)


# ---------------------------------------------------------------------------------------------------- settings


def test_recipients_from_argument_env_and_settings(tmp_path):
    s = Settings(extra={"digest": {"to": ["Reader One <one@example.org>", "two@example.org"]}})
    assert resolve_recipients(None, s, env={}) == ["one@example.org", "two@example.org"]
    assert resolve_recipients(None, s, env={"NEWSMON_DIGEST_TO": "a@x.org, b@x.org,A@x.org"}) == [
        "a@x.org",
        "b@x.org",
    ]
    assert resolve_recipients("c@x.org", s, env={"NEWSMON_DIGEST_TO": "a@x.org"}) == ["c@x.org"]
    with pytest.raises(ConfigError, match="'not-an-address'.*NEWSMON_DIGEST_TO"):
        resolve_recipients(None, s, env={"NEWSMON_DIGEST_TO": "ok@x.org,not-an-address"})


def test_smtp_settings_from_env():
    assert SmtpSettings.from_env({}) is None
    s = SmtpSettings.from_env(
        {"NEWSMON_SMTP_HOST": "mail.x.org", "NEWSMON_SMTP_PORT": "587", "NEWSMON_SMTP_STARTTLS": "1"}
    )
    assert (s.host, s.port, s.starttls, s.ssl) == ("mail.x.org", 587, True, False)
    with pytest.raises(ConfigError, match="port"):
        SmtpSettings.from_env({"NEWSMON_SMTP_HOST": "mail.x.org", "NEWSMON_SMTP_PORT": "smtp"})


def test_yesterday_is_the_last_complete_utc_day():
    assert yesterday_utc(datetime(2026, 11, 28, 0, 5, tzinfo=UTC)) == date(2026, 11, 27)


# ---------------------------------------------------------------------------------------------------- delivery


def test_smtp_delivery_multipart_with_inline_chart(data):
    with SmtpServer() as server:
        report = send_digest(data, DAY, recipients=["a@example.org", "b@example.org"], smtp=server.settings())
        received = server.handler.messages
    assert [r["recipient"] for r in report.delivered] == ["a@example.org", "b@example.org"]
    assert sorted(rcpts[0] for rcpts, _ in received) == ["a@example.org", "b@example.org"]
    for rcpts, msg in received:
        assert msg["To"] == rcpts[0]
        assert msg["Subject"].startswith("China-Russia co-mentions ") and "28-day mean" in msg["Subject"]
        assert msg["From"] == "newsmon <digest@newsmon.test>"
        assert msg.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "multipart/related"]
        text, html, images = parts(msg)
        assert len(images) == 1 and images[0].get_content_type() == "image/png"
        cid = images[0]["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html
        assert images[0].get_content()[:4] == b"\x89PNG"
        for body in (text, html):
            assert "Spike: China-Russia co-mentions" in body or "SPIKE: CHINA-RUSSIA CO-MENTIONS" in body
    rows = ledger(data)
    assert [(r[1], r[2]) for r in rows] == [("a@example.org", "sent"), ("b@example.org", "sent")]
    assert {r[3] for r in rows} == {msg["Message-ID"].strip() for _, msg in received}


def test_retry_after_rejected_send_delivers_exactly_once(data):
    with SmtpServer(RecordingHandler(fail_data=1)) as server:
        with pytest.raises(DigestSendError, match="451"):
            send_digest(data, DAY, recipients="reader@example.org", smtp=server.settings())
        assert server.handler.messages == [] and ledger(data) == []  # nothing accepted, nothing recorded
        send_digest(data, DAY, recipients="reader@example.org", smtp=server.settings())  # the retry
        rerun = send_digest(data, DAY, recipients="reader@example.org", smtp=server.settings())
        assert server.handler.attempts == 2
        assert len(server.handler.messages) == 1
    assert rerun.delivered == [] and rerun.skipped == ["reader@example.org"]
    assert [(r[1], r[2]) for r in ledger(data)] == [("reader@example.org", "sent")]


def test_partial_failure_resends_only_to_the_missing(data):
    to = ["a@example.org", "b@example.org", "c@example.org"]
    with SmtpServer(RecordingHandler(refuse={"b@example.org"})) as server:
        with pytest.raises(DigestSendError, match="b@example.org: 450"):
            send_digest(data, DAY, recipients=to, smtp=server.settings())
        assert sorted(r[0][0] for r in server.handler.messages) == ["a@example.org", "c@example.org"]
        server.handler.refuse.clear()
        report = send_digest(data, DAY, recipients=to, smtp=server.settings())
        delivered = sorted(r[0][0] for r in server.handler.messages)
    assert [d["recipient"] for d in report.delivered] == ["b@example.org"]
    assert sorted(report.skipped) == ["a@example.org", "c@example.org"]
    assert delivered == ["a@example.org", "b@example.org", "c@example.org"]  # each exactly once


def test_unreachable_server_records_nothing(data):
    with SmtpServer() as server:
        settings = server.settings()
    with pytest.raises(DigestSendError, match="cannot reach SMTP server"):
        send_digest(data, DAY, recipients="a@example.org", smtp=settings)
    assert ledger(data) == []


def test_force_sends_again_with_a_new_message_id(data):
    with SmtpServer() as server:
        send_digest(data, DAY, recipients="a@example.org", smtp=server.settings())
        send_digest(data, DAY, recipients="a@example.org", smtp=server.settings(), force=True)
        ids = [m["Message-ID"].strip() for _, m in server.handler.messages]  # long ids get folded
    assert len(ids) == 2 and ids[0] != ids[1]
    assert ledger(data)[0][3] == ids[1]


def test_outbox_when_no_smtp_is_configured(data, caplog):
    caplog.set_level("INFO", logger="newsmon.digest")
    report = send_digest(data, DAY, recipients="reader@example.org")
    files = sorted(data.outbox.glob("*.eml"))
    assert [Path(d["path"]) for d in report.delivered] == files and len(files) == 1
    assert str(files[0]) in caplog.text
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["To"] == "reader@example.org" and msg.get_content_type() == "multipart/alternative"
    assert [(r[1], r[2]) for r in ledger(data)] == [("reader@example.org", "outbox")]
    mtime = files[0].stat().st_mtime_ns
    again = send_digest(data, DAY, recipients="reader@example.org")
    assert again.delivered == [] and files[0].stat().st_mtime_ns == mtime


def test_smtp_from_environment(data, monkeypatch):
    with SmtpServer() as server:
        monkeypatch.setenv("NEWSMON_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("NEWSMON_SMTP_PORT", str(server.port))
        monkeypatch.setenv("NEWSMON_DIGEST_TO", "env@example.org")
        send_digest(data, DAY)
        assert [r[0] for r, _ in server.handler.messages] == ["env@example.org"]
    assert not list(data.outbox.glob("*.eml"))


# ---------------------------------------------------------------------------------------------------- CLI


def test_cli_preview_send_and_rerun(data, tmp_path, capsys):
    preview = tmp_path / "preview" / "digest.html"
    assert cli_main(["digest", "--date", DAY.isoformat(), "--preview", str(preview)]) == 0
    page = preview.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "cid:" not in page
    out_dir = tmp_path / "eml"
    args = ["digest", "--date", DAY.isoformat(), "--to", "me@example.org", "--outbox", str(out_dir)]
    assert cli_main(args) == 0
    assert "outbox: me@example.org" in capsys.readouterr().out
    assert cli_main(args) == 0
    assert "already sent: me@example.org (use --force" in capsys.readouterr().out
    assert cli_main(args + ["--force"]) == 0
    assert len(list(out_dir.glob("*.eml"))) == 1  # same file name, rewritten


def test_cli_bad_date_is_one_clear_line(data, capsys):
    assert cli_main(["digest", "--date", "27/11/2026"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "newsmon digest: --date '27/11/2026' is not a date (YYYY-MM-DD)"


def test_no_recipients_writes_one_outbox_file_but_never_mails_nobody(data):
    report = send_digest(data, DAY)
    assert [d["recipient"] for d in report.delivered] == ["digest@localhost"]
    assert (data.outbox / "digest-2026-11-27-digest@localhost.eml").exists()
    with SmtpServer() as server, pytest.raises(ConfigError, match="no digest recipients"):
        send_digest(data, DAY, smtp=server.settings())


def test_pair_level_from_settings_is_checked(data):
    with pytest.raises(ConfigError, match="pair_level 'sentences'"):
        send_digest(
            data,
            DAY,
            recipients="a@example.org",
            settings=Settings(extra={"digest": {"pair_level": "sentences"}}),
        )
    level = Settings(extra={"digest": {"pair_level": "article"}})
    report = send_digest(data, DAY, recipients="a@example.org", settings=level)
    assert report.delivered and "co-mentions" in report.subject


def _send_in_child(data_dir: str, smtp: dict) -> int:
    report = send_digest(paths(data_dir), DAY, recipients=["a@example.org", "b@example.org"], smtp=smtp)
    return len(report.delivered)


def test_two_concurrent_senders_deliver_once(data):
    """Two processes (say an Airflow retry and a hand-run command) racing on the same day: one message each."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with SmtpServer() as server:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            futures = [pool.submit(_send_in_child, str(data.data_dir), server.settings()) for _ in range(2)]
            delivered = sorted(f.result(timeout=120) for f in futures)
        received = sorted(rcpts[0] for rcpts, _ in server.handler.messages)
    assert delivered == [0, 2]
    assert received == ["a@example.org", "b@example.org"]


def test_hostile_feed_text_is_escaped_in_the_html_and_links_stay_http(tmp_path, spike_db):
    """Titles, outlets, links and sentences come from feeds and pages: the templates escape them all, and a
    javascript: link is shown as text, never as an href."""
    db = tmp_path / "newsmon.duckdb"
    shutil.copy(spike_db, db)
    con = duckdb.connect(str(db))
    con.execute(
        """UPDATE articles SET title = '<script>alert(1)</script>', url = 'javascript:alert(2)',
                  source = CASE WHEN duplicate_of IS NULL THEN '<b onmouseover=x>Outlet</b>' ELSE source END
           WHERE title = ?""",
        [SPIKE_HEADLINE],
    )
    con.execute(  # the sentence a mention stands in (mentions is a view over sentences)
        "UPDATE sentences SET text = '\"><img src=x onerror=alert(3)> China and Russia' "
        "WHERE text LIKE 'Officials in China and Russia%'"
    )
    con.close()
    digest = build_digest(db, DAY)
    html = digest.html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b onmouseover" not in html and "&lt;b onmouseover=x&gt;Outlet&lt;/b&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', html))
    # the plain-text part is text: the same words as they came, nothing to escape
    assert "<script>alert(1)</script>" in digest.text and "javascript:alert(2)" in digest.text


def test_the_page_and_the_digest_read_the_analyst_file_only_through_the_reader():
    """One reader of newsmon.duckdb: the SQL of the page and the digest lives in newsmon.reader (send.py's ledger
    is in the warehouse, which the sender owns)."""
    package = Path(__file__).resolve().parents[1] / "include" / "newsmon"
    for source in ("ui.py", "digest/facts.py", "digest/chart.py", "digest/render.py", "digest/__init__.py"):
        text = (package / source).read_text(encoding="utf-8")
        assert "duckdb.connect" not in text and not re.search(r"\bSELECT\b", text), source
        assert "import duckdb" not in text or source == "digest/facts.py", source  # facts: duckdb.Error only


def test_feed_health_and_the_gates_read_the_analyst_file_only_through_the_reader():
    """ui.py, digest/*, health.py and quality.py open no database themselves: the gates open the analyst file by
    reader.open_analyst, and every query of the flags and the gates is one of newsmon.reader's. health.py keeps
    the SQL of alert_with only, the alert ledger in the warehouse (opened by newsmon.warehouse under its lock)."""
    package = Path(__file__).resolve().parents[1] / "include" / "newsmon"
    sources = [package / "ui.py", package / "health.py", package / "quality.py", *package.glob("digest/*.py")]
    assert len(sources) >= 8
    for source in sources:  # digest/send.py too: its ledger is the warehouse's, opened by newsmon.warehouse
        assert "duckdb.connect" not in source.read_text(encoding="utf-8"), source
    assert not re.search(r"\bSELECT\b", inspect.getsource(quality))
    outside_alerts = inspect.getsource(health).replace(inspect.getsource(health.alert_with), "")
    assert not re.search(r"\bSELECT\b", outside_alerts)
    assert "reader.open_analyst(" in inspect.getsource(quality.check_analyst_db)
