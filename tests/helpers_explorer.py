"""The demo corpus through the real pipeline, once per test session, for the explorer and search tests; and the
headless Chromium steps the explorer's pages share (hover a canvas point, click it, follow a link)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from newsmon.config import Paths, paths

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
_BUILT: dict[str, tuple[Paths, date]] = {}


def demo_corpus(root: Path) -> tuple[Paths, date]:
    """(paths, spike day): the demo feeds fetched, cleaned, tagged, loaded and published under root."""
    if "demo" in _BUILT:
        return _BUILT["demo"]
    from newsmon.demo.server import DemoServer
    from newsmon.pipeline import run_once

    p = paths(root / "data").ensure()
    # the slow page outwaits the read timeout (so it fails as in production) in seconds, not the default 20 s
    with DemoServer(host="127.0.0.1", port=0, slow_seconds=8) as server, pytest.MonkeyPatch.context() as env:
        env.setenv("NEWSMON_ALLOW_HOSTS", server.url)
        env.setenv("NEWSMON_READ_TIMEOUT", "4")
        run_once(feeds_file=server.write_feeds_yaml(root / "feeds.yaml"), data_dir=p.data_dir)
    import duckdb

    con = duckdb.connect(str(p.analyst_db), read_only=True)
    try:
        spike = con.execute(
            "SELECT day FROM daily_pair WHERE pair = 'CN-RU' AND level = 'sentence' ORDER BY stories DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()
    _BUILT["demo"] = (p, spike)
    return p, spike


def copy_of_demo_corpus(root: Path, data_dir: Path) -> Paths:
    """A copy of the session's demo corpus data folder (`demo_corpus(root)`) at data_dir, for a test that writes."""
    p, _ = demo_corpus(root)
    shutil.copytree(p.data_dir, data_dir)
    return paths(data_dir)


def days_ago(n: int) -> date:
    from datetime import UTC, datetime

    return datetime.now(UTC).date() - timedelta(days=n)


@contextmanager
def explorer_server(p: Paths, runs: list[dict] | None = None):
    """The explorer router on a loopback uvicorn server (no Airflow login here; the plugin adds it): its base URL."""
    import uvicorn
    from fastapi import FastAPI
    from newsmon.explorer import make_router

    app = FastAPI()
    app.include_router(
        make_router(lambda: p, (lambda: runs) if runs is not None else None), prefix="/newsmon"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/newsmon"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def get(url: str) -> tuple[int, dict, str]:
    """GET over real HTTP: status, headers, body; an HTTP error's status and body instead of raising."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


@contextmanager
def chromium(javascript: bool = True):
    """A headless Chromium (helpers_cdp.Browser), closed afterwards; screenshots go to ARTIFACTS."""
    from helpers_cdp import Browser

    ARTIFACTS.mkdir(exist_ok=True)
    browser = Browser(javascript=javascript)
    try:
        yield browser
    finally:
        browser.close()


def hover_and_click(browser, point_js: str, legend_css: str, shot: str, lands_on: str) -> tuple[str, str]:
    """Move the mouse onto the canvas point `point_js` evaluates to ([x, y] in the viewport), wait for the chart's
    legend (`legend_css`) to show, screenshot, click there and wait for the page `lands_on`:
    (the legend's text, the landed page's `day` parameter)."""
    x, y = browser.evaluate(point_js)
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    legend = browser.wait_for(
        f"document.querySelector('{legend_css}') && document.querySelector('{legend_css}').innerText"
    )
    browser.screenshot(ARTIFACTS / shot)
    browser.click(x, y)
    browser.wait_for(f"location.pathname.endsWith('{lands_on}')")
    return legend, browser.evaluate("new URLSearchParams(location.search).get('day')")


def open_story(browser, link_css: str) -> str:
    """Click the story link `link_css` and wait for the story page with its provenance: its headline."""
    browser.evaluate(f"document.querySelector('{link_css}').click()")
    browser.wait_for("location.pathname.endsWith('/story') && !!document.getElementById('provenance')")
    return browser.evaluate("document.querySelector('h1').innerText")


def follow_svg_link_without_script(
    browser, base: str, page: str, chart_css: str, plot: str, shot: str, link_css: str
):
    """With JavaScript off: `page` shows its SVG chart (`chart_css`), the canvas plot (`window.<plot>`) is not
    there; screenshot, then follow the SVG link `link_css` to its page."""
    browser.goto(f"{base}/{page}")
    assert browser.evaluate(f"getComputedStyle(document.querySelector('{chart_css}')).display") != "none"
    assert browser.evaluate(f"!!window.{plot}") is False
    browser.screenshot(ARTIFACTS / shot)
    href = browser.evaluate(f"document.querySelector({link_css!r}).getAttribute('href')")
    browser.goto(f"{base}/{href}")
