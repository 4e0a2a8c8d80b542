"""Control characters and bidi overrides from publishers: stripped at ingest, escaped by `newsmon query`."""

from __future__ import annotations

import duckdb
import pytest
from helpers_fetch import LoopbackServer, static
from newsmon.cli import main
from newsmon.config import Paths
from newsmon.feeds import parse_feed
from newsmon.models import FeedConfig, strip_controls

ESC_CLEAR = "\x1b[2J"
RLO = "\u202e"  # right-to-left override: "evil\u202etxt.exe" reads as "evilexe.txt"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
NASTY = "\x00\x07\x08\x1b\x7f\x9b" + BIDI


def _is_clean(text: str) -> bool:
    return not any(c in text for c in NASTY + "\r")


def test_strip_controls_keeps_tab_newline_and_ordinary_text():
    assert strip_controls(f"a\x00b{ESC_CLEAR}c{RLO}d\u2066e\u2069\r\nf\tg\x7fh\x9bi") == "ab[2Jcde\nf\tghi"
    assert strip_controls("line\rnext\x0cpage") == "line\nnext\npage"
    kept = "Москва — 北京 · مرحبا café\u00a0ok \u200f"  # scripts, NBSP and the RTL mark are ordinary text
    assert strip_controls(kept) == kept and strip_controls("") == ""


@pytest.mark.parametrize("how", ["fast path", "feedparser"])
def test_feed_titles_and_summaries_are_stripped(how):
    # ESC and NUL are not legal XML: such a feed goes to feedparser; bidi overrides are legal XML (fast path).
    raw = ESC_CLEAR + "\x00" if how == "feedparser" else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T' + RLO + "</title>"
        "<item><guid>g1</guid><link>https://news.example/a</link>"
        f"<title>Summit{raw} in {RLO}wolsoM</title>"
        f"<description>First{raw}\u2066 line&#10;second\tline</description></item></channel></rss>"
    ).encode()
    feed = FeedConfig("f", "https://news.example/rss", "F")
    parsed = parse_feed(body, feed.url, {"Content-Type": "application/rss+xml"}, feed)
    (item,) = parsed.items
    assert _is_clean(item.title) and _is_clean(item.summary), (item.title, item.summary)
    assert item.title.startswith("Summit") and item.title.endswith("in wolsoM")
    assert item.summary.startswith("First") and item.summary.endswith("line\nsecond line")


def test_page_title_and_text_are_stripped_before_storage_and_query_escapes(tmp_path, monkeypatch, capsys):
    """A feed and its page on loopback, full of controls, through `newsmon run --once` into the analyst database."""
    from newsmon.pipeline import run_once

    text = " ".join(
        f"Sentence {i} of the story about the harbour{ESC_CLEAR} and its new{RLO} cranes." for i in range(20)
    )
    page = (
        f"<html><head><title>Harbour\x1b]0;pwned\x07 opens{RLO}</title></head><body><article>"
        f"<h1>Harbour opens</h1><p>{text}</p><p>{text}</p></article></body></html>"
    ).encode()
    with LoopbackServer() as server:
        feed_xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Port</title>'
            f"<item><guid>p1</guid><link>{server.url('/story')}</link><title>Harbour{RLO} opens</title>"
            "<description>teaser</description><pubDate>Mon, 02 Mar 2026 10:00:00 +0000</pubDate></item>"
            "</channel></rss>"
        ).encode()
        server.routes["/rss"] = static(feed_xml)
        server.routes["/story"] = static(page, "text/html; charset=utf-8")
        server.routes["/robots.txt"] = static(b"", "text/plain")
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - name: port\n    url: {server.url('/rss')}\n")
        data = tmp_path / "data"
        monkeypatch.setenv("NEWSMON_DATA_DIR", str(data))
        monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", server.url(""))
        run_once(feeds, data)
    con = duckdb.connect(str(Paths(data).analyst_db), read_only=True)
    try:
        title, body = con.execute("SELECT title, text FROM articles").fetchone()
    finally:
        con.close()
    assert _is_clean(title) and _is_clean(body), (title, body[:200])
    assert "Harbour" in title and "cranes." in body
    # Whatever a table holds (here made by SQL itself), the query table shows escapes, never raw controls.
    sql = "SELECT 'a' || chr(27) || '[2J' || chr(0) || 'b' || chr(8238) || 'c' || chr(9) || 'd' AS t, title FROM articles"
    assert main(["query", sql]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x00" not in out and RLO not in out and "\t" not in out
    assert r"a\x1b[2J\x00b\u202ec d" in out
