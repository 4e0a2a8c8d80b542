"""A whole `run_once` over a UTF-8 Russian feed with one invalid byte: titles stay Russian and are tagged.

feedparser used to read such a feed as KOI8-U: every title became mojibake, no mention was found and the
mojibake gate did not notice. Now the feed is decoded as it declares (WHATWG: U+FFFD for the one bad byte).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
from helpers_fetch import LoopbackServer, Reply
from newsmon.config import paths as get_paths
from newsmon.pipeline import run_once
from newsmon.quality import QualityGateFailed, check_analyst_db

TITLES = [
    "Россия и Китай обсудили поставки газа в Москве",
    "Президент России прибыл в Пекин с официальным визитом",
    "Министр иностранных дел России встретился с коллегой из Китая",
]
SUMMARY = (
    "Россия и Китай договорились расширить торговлю. Переговоры прошли в Москве, стороны обсудили поставки "
    "газа, строительство мостов через Амур и новые рейсы между городами двух стран. "
)


def feed_with_one_bad_byte(base: str) -> bytes:
    items = "".join(
        f"<item><guid>ru-{i}</guid><title>{title}</title><link>{base}/story/{i}</link>"
        f"<description>{SUMMARY * 2}</description><pubDate>Mon, 02 Mar 2026 10:00:00 +0300</pubDate></item>"
        for i, title in enumerate(TITLES)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Новости</title>'
        f"{items}</channel></rss>"
    ).encode()
    return body.replace("Москве</title>".encode(), "Москве".encode() + b"\xff</title>", 1)


def test_a_utf8_feed_with_one_bad_byte_keeps_its_russian_titles_and_mentions(data_dir, tmp_path, monkeypatch):
    with LoopbackServer() as server:
        body = feed_with_one_bad_byte(server.url(""))
        server.routes["/feed.xml"] = lambda h: Reply(200, body, {"Content-Type": "application/rss+xml"})
        server.routes["/robots.txt"] = lambda h: Reply(404, b"")  # pages 404 too: their feed text is used
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(
            f"feeds:\n  - {{name: ru, url: '{server.url('/feed.xml')}', source: Ru}}\n", encoding="utf-8"
        )
        monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", server.url(""))
        monkeypatch.setenv("NEWSMON_HOST_SPACING", "0")
        started = datetime.now(UTC) - timedelta(seconds=1)
        summary = run_once(feeds_file)
    assert summary["fetch"]["feeds"] == {"ok": 1}
    con = duckdb.connect(str(get_paths().analyst_db), read_only=True)
    try:
        titles = [t for (t,) in con.execute("SELECT title FROM articles ORDER BY title").fetchall()]
        russia = con.execute("SELECT count(*) FROM article_countries WHERE country = 'RU'").fetchone()[0]
        bozo = con.execute("SELECT bozo_reason FROM feed_health WHERE feed = 'ru'").fetchone()[0]
    finally:
        con.close()
    assert titles == sorted([TITLES[0] + "\ufffd", *TITLES[1:]])
    assert russia == 3  # every article is tagged: the text is Russian, not KOI8-U mojibake
    assert "1 invalid utf-8 byte sequence replaced with U+FFFD" in bozo
    try:
        report = check_analyst_db(get_paths().analyst_db, since=started)
    except QualityGateFailed as exc:  # other gates may judge a three-article run; only mojibake matters here
        report = exc.report
    assert next(g for g in report.gates if g.name == "mojibake").ok  # one U+FFFD is not mojibake
