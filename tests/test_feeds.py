"""Feed fetching against a real loopback server, feed parsing on real-world feeds, state, health report."""

from __future__ import annotations

import json
import socket
import unicodedata
from argparse import Namespace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import yaml
from helpers_fetch import (
    LoopbackServer,
    Reply,
    gzip_bomb,
    redirect,
    rss,
    slow,
    static,
    status,
    with_etag,
    with_last_modified,
)
from newsmon.config import DEFAULT_FEEDS_FILE, Settings, load_feeds
from newsmon.feeds import (
    BACKOFF_BASE,
    GONE_RETRY,
    GONE_TO_RETIRE,
    REDIRECT_CONFIRMATIONS,
    RETIRED_RECHECK,
    SEEN_IDS_LIMIT,
    FeedError,
    FeedStateStore,
    _parse_fast,
    _parse_with_feedparser,
    cli_feeds,
    commit_states,
    fetch_feed,
    fetch_many,
    html_to_text,
    parse_feed,
)
from newsmon.http import HttpClient
from newsmon.models import FeedConfig, FeedState

BENCH_FEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "feeds"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ITEMS = [("a1", "First story"), ("a2", "Second story"), ("a3", "Third story")]


class Bench:
    """A loopback server, a client that may reach it, a state store, and a way to run feeds through them."""

    def __init__(self, server: LoopbackServer, client: HttpClient, store: FeedStateStore):
        self.server, self.client, self.store = server, client, store

    def feed(self, name: str, path: str) -> FeedConfig:
        return FeedConfig(name=name, url=self.server.url(path), source=name.title(), kind="western")

    def run(self, feeds: list[FeedConfig], now: datetime) -> dict:
        results = fetch_many(self.client, feeds, self.store, now, workers=8)
        commit_states(self.store, feeds, results)  # as the pipeline does once the items are staged
        return {r.feed: r for r in results}

    def state(self, feed: FeedConfig) -> FeedState:
        return self.store.load(feed)


@pytest.fixture
def bench(tmp_path):
    settings = Settings(
        allow_hosts=["127.0.0.1/32", "127.0.0.2/32"],
        host_spacing=0,
        connect_timeout=2.0,
        read_timeout=1.0,
        max_feed_bytes=256 * 1024,
    )
    with LoopbackServer() as server, HttpClient(settings) as client:
        yield Bench(server, client, FeedStateStore(tmp_path / "state" / "feeds"))


# ---------------------------------------------------------------------------------------------------- fetching


def test_every_outcome_in_one_run_and_the_good_feed_is_unaffected(bench):
    s = bench.server
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]  # nobody listens there once the block ends
    s.routes["/good"] = static(rss("Good", ITEMS))
    s.routes["/gone"] = status(410)
    s.routes["/limited"] = status(429, Retry_After="120")
    s.routes["/busy"] = status(503)
    s.routes["/broken"] = status(500)
    s.routes["/huge"] = static(rss("Huge", [(f"h{i}", "x" * 200) for i in range(2000)]))
    s.routes["/bomb"] = gzip_bomb(32 * 1024 * 1024)
    s.routes["/loop"] = redirect(302, "/loop2")
    s.routes["/loop2"] = redirect(302, "/loop")
    s.routes["/html"] = static(b"<!DOCTYPE html><html><body><p>Welcome!</p></body></html>", "text/html")
    names = ["good", "gone", "limited", "busy", "broken", "huge", "bomb", "loop", "html"]
    feeds = [bench.feed(n, f"/{n}") for n in names]
    with LoopbackServer("127.0.0.2") as silent:  # a host that accepts requests and never answers in time
        silent.routes["/slow"] = silent.routes["/slow2"] = slow(4.0, rss("Slow", ITEMS))
        slow_feeds = [FeedConfig(n, silent.url(f"/{n}"), "Slow") for n in ("slow", "slow2")]
        dead = FeedConfig("dead", f"http://127.0.0.1:{dead_port}/feed", "Dead")
        results = bench.run([*feeds, *slow_feeds, dead], T0)

    assert results["good"].status == "ok" and [i.guid for i in results["good"].items] == ["a1", "a2", "a3"]
    expected = {
        "gone": ("failed", "HTTP 410 Gone (1 of 3 in a row before the feed is retired)"),
        "limited": ("failed", "HTTP 429 Too Many Requests; server asked us to wait 120 s"),
        "busy": ("failed", "HTTP 503 Service Unavailable; no Retry-After"),
        "broken": ("failed", "HTTP 500 Internal Server Error"),
        "huge": ("failed", "TooLarge: body over the 262,144-byte cap"),
        "bomb": ("failed", "after decompression"),
        "loop": ("failed", "TooManyRedirects: redirect loop"),
        "html": ("failed", "not a feed (looks like HTML)"),
    }
    for name, (outcome, message) in expected.items():
        assert results[name].status == outcome, name
        assert message in results[name].error, (name, results[name].error)
        state = bench.state(bench.feed(name, f"/{name}"))
        assert state.last_status == outcome and message in state.last_error, name
        assert results[name].items == []
    # The silent host is asked once; its second feed is skipped instead of waiting out another timeout.
    assert {results["slow"].status, results["slow2"].status} == {"failed"}
    assert sorted(results[n].error.split(":")[0] for n in ("slow", "slow2")) == [
        "ConnectError",
        "FetchTimeout",
    ]
    assert any(
        f"skipped: 127.0.0.2:{silent.port} gave no answer" in results[n].error for n in ("slow", "slow2")
    )
    assert results["dead"].status == "failed" and "ConnectError: connection failed" in results["dead"].error
    good = bench.state(feeds[0])
    assert good.consecutive_failures == 0 and good.last_success_at == T0 and good.items_seen == 3


def test_200_then_304_by_etag(bench):
    bench.server.routes["/f"] = with_etag(rss("F", ITEMS), '"e1"')
    feed = bench.feed("etag", "/f")
    assert len(bench.run([feed], T0)["etag"].items) == 3
    second = bench.run([feed], T0 + timedelta(hours=1))["etag"]
    assert (second.status, second.http_status, second.items) == ("not_modified", 304, [])
    assert bench.server.log[-1].headers["if-none-match"] == '"e1"'
    assert bench.state(feed).etag == '"e1"' and bench.state(feed).last_status == "not_modified"


def test_200_then_304_by_last_modified(bench):
    bench.server.routes["/f"] = with_last_modified(rss("F", ITEMS))
    feed = bench.feed("lm", "/f")
    bench.run([feed], T0)
    second = bench.run([feed], T0 + timedelta(hours=1))["lm"]
    assert (second.status, second.http_status) == ("not_modified", 304)
    assert "if-modified-since" in bench.server.log[-1].headers


def test_body_hash_fallback_when_the_server_ignores_validators(bench):
    body = {"now": rss("F", ITEMS)}
    bench.server.routes["/f"] = lambda h: Reply(200, body["now"], {"Content-Type": "application/rss+xml"})
    feed = bench.feed("hash", "/f")
    assert bench.run([feed], T0)["hash"].status == "ok"
    same = bench.run([feed], T0 + timedelta(hours=1))["hash"]
    assert (same.status, same.http_status, same.items) == ("not_modified", 200, [])
    body["now"] = rss("F", [("a0", "Newest story"), *ITEMS])
    changed = bench.run([feed], T0 + timedelta(hours=2))["hash"]
    assert changed.status == "ok" and [i.guid for i in changed.items] == ["a0"]  # only the unseen item
    state = bench.state(feed)
    assert state.items_seen == 4 and state.last_new_item_at == T0 + timedelta(hours=2)
    assert len(state.new_item_times) == 4


def test_permanent_redirect_is_adopted_after_confirmations(bench):
    bench.server.routes["/old"] = redirect(301, "/new")
    bench.server.routes["/new"] = static(rss("F", ITEMS))
    feed = bench.feed("moved", "/old")
    assert REDIRECT_CONFIRMATIONS == 3  # the documented rule
    for run in (1, 2, 3):
        assert bench.run([feed], T0 + timedelta(hours=run))["moved"].status in ("ok", "not_modified")
        state = bench.state(feed)
        if run < 3:
            assert state.url == feed.url and state.redirect_candidate == bench.server.url("/new")
            assert state.redirect_confirmations == run
    assert state.url == bench.server.url("/new") and state.redirect_candidate is None
    before = len(bench.server.requests_to("/old"))
    bench.run([feed], T0 + timedelta(hours=9))
    assert len(bench.server.requests_to("/old")) == before  # now fetched at its new home directly


def test_temporary_redirect_is_followed_not_adopted(bench):
    bench.server.routes["/feed"] = redirect(302, "/today")
    bench.server.routes["/today"] = static(rss("F", ITEMS))
    feed = bench.feed("temp", "/feed")
    for run in range(REDIRECT_CONFIRMATIONS + 1):
        bench.run([feed], T0 + timedelta(hours=run))
    state = bench.state(feed)
    assert state.url == feed.url and state.redirect_candidate is None and state.items_seen == 3


def test_permanent_redirect_to_a_failing_target_is_not_counted(bench):
    bench.server.routes["/old"] = redirect(308, "/missing")
    feed = bench.feed("bad-move", "/old")
    result = bench.run([feed], T0)["bad-move"]
    assert result.status == "failed" and bench.state(feed).redirect_candidate is None


def test_gone_feed_retires_after_three_410s_and_a_later_success_revives_it(bench):
    bench.server.routes["/gone"] = status(410)
    feed = bench.feed("gone", "/gone")
    outcomes = [bench.run([feed], T0 + timedelta(days=day))["gone"].status for day in range(3)]
    assert outcomes == ["failed", "failed", "retired"]
    assert bench.state(feed).retired and bench.state(feed).consecutive_gone == GONE_TO_RETIRE
    again = bench.run([feed], T0 + timedelta(days=3))["gone"]
    assert (
        again.status == "retired" and len(bench.server.requests_to("/gone")) == 3
    )  # not asked within a week
    bench.server.routes["/gone"] = static(rss("Back", ITEMS))
    back = bench.run([feed], T0 + timedelta(days=2) + RETIRED_RECHECK)["gone"]
    assert back.status == "ok" and len(back.items) == 3
    state = bench.state(feed)
    assert (state.retired, state.consecutive_gone, state.last_status) == (False, 0, "ok")


def test_a_single_410_between_successes_does_not_count_towards_retirement(bench):
    feed = bench.feed("blip", "/blip")
    now = T0
    for code in (410, 410, 200, 410, 410, 200):
        bench.server.routes["/blip"] = status(410) if code == 410 else static(rss("Blip", ITEMS))
        bench.run([feed], now)
        now += GONE_RETRY
    state = bench.state(feed)
    assert not state.retired and state.consecutive_gone == 0 and len(bench.server.requests_to("/blip")) == 6


def test_retry_after_sets_next_due_and_is_bounded(bench):
    bench.server.routes["/limited"] = status(429, Retry_After="120")
    far = format_datetime(datetime.now(UTC) + timedelta(days=3), usegmt=True)
    bench.server.routes["/busy"] = status(503, Retry_After=far)
    limited, busy = bench.feed("limited", "/limited"), bench.feed("busy", "/busy")
    bench.run([limited, busy], T0)
    assert bench.state(limited).next_due_at == T0 + timedelta(seconds=120)
    assert bench.state(busy).next_due_at == T0 + timedelta(hours=24)  # not three days
    early = bench.run([limited], T0 + timedelta(seconds=60))["limited"]
    assert early.status == "not_due" and len(bench.server.requests_to("/limited")) == 1
    bench.server.routes["/limited"] = static(rss("L", ITEMS))
    later = bench.run([limited], T0 + timedelta(seconds=121))["limited"]
    assert later.status == "ok" and bench.state(limited).consecutive_failures == 0


def test_failures_back_off_exponentially_and_success_resets(bench):
    bench.server.routes["/flaky"] = status(500)
    feed = bench.feed("flaky", "/flaky")
    now = T0
    for failures in (1, 2, 3):
        bench.run([feed], now)
        state = bench.state(feed)
        assert state.consecutive_failures == failures
        assert state.next_due_at == now + BACKOFF_BASE * 2 ** (failures - 1)
        now = state.next_due_at
    bench.server.routes["/flaky"] = static(rss("F", ITEMS))
    bench.run([feed], now)
    state = bench.state(feed)
    assert (state.consecutive_failures, state.last_error, state.next_due_at) == (0, None, None)


def test_private_feed_url_refused_unless_allowed(bench, tmp_path):
    bench.server.routes["/f"] = static(rss("F", ITEMS))
    feed = bench.feed("private", "/f")
    with HttpClient(Settings(host_spacing=0)) as strict:
        state = FeedState(feed.name, feed.url)
        result = fetch_feed(strict, feed, state, T0)
    assert result.status == "failed" and result.error.startswith("BlockedAddress: refused: 127.0.0.1")
    assert state.consecutive_failures == 1 and bench.server.log == []
    assert bench.run([feed], T0)["private"].status == "ok"  # the bench client allows 127.0.0.1


def test_redirect_from_allowed_feed_to_private_address_is_refused(bench):
    bench.server.routes["/f"] = redirect(301, "http://192.168.1.1/router-admin")
    result = bench.run([bench.feed("sneaky", "/f")], T0)["sneaky"]
    assert result.status == "failed" and "192.168.1.1" in result.error and "private" in result.error


def test_fetch_many_keeps_input_order_and_skips_not_due(bench):
    for i in range(6):
        bench.server.routes[f"/f{i}"] = static(rss(f"F{i}", [(f"g{i}", f"Story {i}")]))
    feeds = [bench.feed(f"feed{i}", f"/f{i}") for i in range(6)]
    parked = bench.store.load(feeds[2])
    parked.next_due_at = T0 + timedelta(hours=1)
    bench.store.save(parked, feeds[2])
    results = fetch_many(bench.client, feeds, bench.store, T0, workers=3)
    assert [r.feed for r in results] == [f.name for f in feeds]
    assert [r.status for r in results] == ["ok", "ok", "not_due", "ok", "ok", "ok"]
    assert not bench.server.requests_to("/f2")


def test_seen_ids_are_bounded(bench):
    feed = bench.feed("busy-feed", "/f")
    state = FeedState(feed.name, feed.url, seen_ids=[f"old{i}" for i in range(SEEN_IDS_LIMIT)])
    bench.server.routes["/f"] = static(rss("F", ITEMS))
    result = fetch_feed(bench.client, feed, state, T0)
    assert len(result.items) == 3 and len(state.seen_ids) == SEEN_IDS_LIMIT
    assert state.seen_ids[-1] == "https://news.example/a3"


# ---------------------------------------------------------------------------------------------------- parsing


def test_parse_feed_fields():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
         xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Demo &amp; Co</title>
    <item><title>Leaders meet &amp; talk &#8212; again</title><link>/world/summit</link>
      <guid isPermaLink="false">id-1</guid><dc:creator>A. Writer</dc:creator>
      <pubDate>Mon, 02 Mar 2026 10:00:00 +0300</pubDate>
      <description>Short teaser</description>
      <content:encoded><![CDATA[<p>First paragraph with <b>bold</b> text.</p><script>evil()</script>
        <p>Second&nbsp;paragraph.</p><ul><li>One</li><li>Two</li></ul>]]></content:encoded></item>
    <item><title>No link at all</title><description>skipped</description></item>
    </channel></rss>"""
    feed = FeedConfig("demo", "https://demo.example/rss", "Demo")
    parsed = parse_feed(body, "https://demo.example/rss", {"Content-Type": "application/rss+xml"}, feed)
    assert parsed.title == "Demo & Co" and parsed.bozo_reason is None and parsed.skipped == 1
    (item,) = parsed.items
    assert item.url == "https://demo.example/world/summit" and item.guid == "id-1"
    assert item.title == "Leaders meet & talk \u2014 again"
    assert item.summary == "First paragraph with bold text.\nSecond paragraph.\nOne\nTwo"
    assert item.published == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert item.authors == ["A. Writer"] and (item.feed, item.source) == ("demo", "Demo")


def test_atom_feed_with_relative_links_and_updated_dates():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
    <feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Atom &lt;b&gt;Demo&lt;/b&gt;</title>
    <entry><id>tag:demo,2026:1</id><title>An entry</title><link rel="alternate" href="stories/1"/>
    <updated>2026-03-01T23:30:00-05:00</updated><author><name>B. Reporter</name></author>
    <summary type="text">Plain &lt;not a tag&gt; text</summary></entry></feed>"""
    parsed = parse_feed(
        body, "https://atom.example/feeds/all", {}, FeedConfig("a", "https://atom.example/", "A")
    )
    (item,) = parsed.items
    assert parsed.title == "Atom Demo"
    assert item.url == "https://atom.example/feeds/stories/1"
    assert item.published == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    assert item.summary == "Plain <not a tag> text" and item.authors == ["B. Reporter"]


@pytest.mark.parametrize(
    ("encoding", "text", "declare"),
    [
        ("koi8-r", "Переговоры в Москве продолжаются", False),
        ("windows-1251", "Новости дня: переговоры продолжаются", True),
        ("gb2312", "中国外交部发言人就中美关系答记者问", True),
        ("gb2312", "中国外交部发言人就中美关系答记者问以及其他国际问题", False),
        ("latin-1", "Négociations à Genève: déclarations du ministère", False),
    ],
)
def test_encodings_decode_without_mojibake(encoding, text, declare):
    """Original sample text in legacy encodings, declared or not."""
    decl = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    items = "".join(
        f"<item><title>{text} {i}</title><link>https://e.example/{i}</link>"
        f"<description>{text}. {text}.</description></item>"
        for i in range(3)
    )
    body = f"{decl}<rss version='2.0'><channel><title>{text}</title>{items}</channel></rss>".encode(encoding)
    parsed = parse_feed(body, "https://e.example/rss", {}, FeedConfig("e", "https://e.example/rss", "E"))
    assert [i.title for i in parsed.items] == [f"{text} {i}" for i in range(3)]


def test_charset_from_content_type_header():
    text = "Санкции и переговоры"
    body = f"<rss version='2.0'><channel><item><title>{text}</title><link>https://r.example/1</link></item></channel></rss>"
    headers = {"Content-Type": "application/rss+xml; charset=windows-1251"}
    parsed = parse_feed(
        body.encode("cp1251"), "https://r.example/", headers, FeedConfig("r", "https://r.example/", "R")
    )
    assert parsed.items[0].title == text


RU_TITLE = "Паромное сообщение между Благовещенском и Хэйхэ возобновится в мае"
ZH_TITLE = "中国与俄罗斯在黑龙江边境口岸恢复客运渡轮，首班船计划于五月第二周启航"


def _rss(titles: list[str], declaration: str = "") -> str:
    items = "".join(
        f"<item><title>{t}</title><link>https://e.example/{i}</link><description>{t}.</description></item>"
        for i, t in enumerate(titles)
    )
    return f"{declaration}<rss version='2.0'><channel><title>Новости</title>{items}</channel></rss>"


@pytest.mark.parametrize("title", [RU_TITLE, ZH_TITLE], ids=["ru", "zh"])
@pytest.mark.parametrize("bad", [b"\xff", b"\xc0", b"\xe4\xb8"], ids=["ff", "lone-lead", "cut-sequence"])
@pytest.mark.parametrize(
    ("prefix", "headers"),
    [
        (b'<?xml version="1.0" encoding="utf-8"?>', {}),
        (b"", {"Content-Type": "application/rss+xml; charset=UTF-8"}),
        (b"\xef\xbb\xbf", {}),
        (b'<?xml version="1.0" encoding="UTF-8"?>', {"Content-Type": "text/xml"}),
    ],
    ids=["xml-declaration", "http-charset", "bom", "declaration-under-text-xml"],
)
def test_declared_utf8_with_one_bad_byte_stays_utf8(title, bad, prefix, headers, monkeypatch):
    """One invalid byte must not turn a declared UTF-8 feed into KOI8-U or cp1125 mojibake (WHATWG: U+FFFD)."""
    titles = [f"{title} {i}" for i in range(4)]
    body = prefix + _rss(titles).encode("utf-8").replace(b" 1</title>", b" 1" + bad + b"</title>", 1)
    parsed = parse_feed(body, "https://e.example/rss", headers, FeedConfig("e", "https://e.example/rss", "E"))
    got = [i.title for i in parsed.items]
    assert got[0] == titles[0] and got[2:] == titles[2:], got
    assert got[1].startswith(titles[1]) and "\ufffd" in got[1]
    assert parsed.title == "Новости" and parsed.encoding == "utf-8"
    assert "replaced with U+FFFD" in (parsed.bozo_reason or "")


def test_a_repaired_utf8_feed_still_takes_the_fast_path(monkeypatch):
    import newsmon.feeds

    def no_feedparser(*args, **kwargs):
        raise AssertionError("feedparser was used")

    monkeypatch.setattr(newsmon.feeds.feedparser, "parse", no_feedparser)
    body = _rss([RU_TITLE + " \udcff"], '<?xml version="1.0" encoding="utf-8"?>')
    body = body.encode("utf-8", errors="surrogateescape")  # the lone \xff byte
    parsed = parse_feed(body, "https://e.example/rss", {}, FeedConfig("e", "https://e.example/rss", "E"))
    assert parsed.items[0].title == RU_TITLE + " \ufffd"


def test_declared_windows_1251_with_an_undefined_byte_stays_windows_1251():
    """0x98 has no character in windows-1251: the rest of the feed is still read as declared."""
    titles = ["Санкции и переговоры", "Новости дня"]
    body = _rss(titles, '<?xml version="1.0" encoding="windows-1251"?>').encode("cp1251")
    body = body.replace("дня".encode("cp1251"), "дня".encode("cp1251") + b"\x98", 1)
    parsed = parse_feed(body, "https://e.example/rss", {}, FeedConfig("e", "https://e.example/rss", "E"))
    assert [i.title for i in parsed.items] == ["Санкции и переговоры", "Новости дня\ufffd"]
    assert parsed.encoding == "cp1251" and "1 invalid cp1251 byte sequence" in parsed.bozo_reason


@pytest.mark.parametrize(
    "headers", [{}, {"Content-Type": "application/rss+xml; charset=windows-1251"}], ids=["xml", "http"]
)
def test_a_byte_order_mark_outranks_the_declarations(headers):
    """WHATWG: a UTF-8 BOM decides, whatever the XML declaration or the HTTP charset say."""
    titles = [RU_TITLE, ZH_TITLE]
    body = b"\xef\xbb\xbf" + _rss(titles, '<?xml version="1.0" encoding="windows-1251"?>').encode("utf-8")
    parsed = parse_feed(body, "https://e.example/rss", headers, FeedConfig("e", "https://e.example/rss", "E"))
    assert [i.title for i in parsed.items] == titles
    assert parsed.encoding == "utf-8" and parsed.bozo_reason is None


def test_an_undeclared_feed_is_still_sniffed():
    titles = ["Переговоры в Москве продолжаются " + str(i) for i in range(3)]
    parsed = parse_feed(
        _rss(titles).encode("koi8-r"), "https://e.example/rss", {}, FeedConfig("e", "https://e.example/", "E")
    )
    assert [i.title for i in parsed.items] == titles


def test_html_and_garbage_are_clear_errors():
    feed = FeedConfig("x", "https://x.example/", "X")
    with pytest.raises(FeedError, match=r"not a feed \(looks like HTML\)"):
        parse_feed(
            b"\n<!doctype html><html><head><title>Home</title></head></html>", "https://x.example/", {}, feed
        )
    with pytest.raises(FeedError, match="not a readable feed"):
        parse_feed(b"<rss><channel><item><title>unterminated", "https://x.example/", {}, feed)
    with pytest.raises(FeedError):
        parse_feed(b"/etc/passwd", "https://x.example/", {}, feed)  # never read as a local file name


def test_html_to_text():
    assert html_to_text("<p>a &amp; b</p><p>c<br>d</p><style>p{}</style>") == "a & b\nc\nd"
    assert html_to_text("") == "" and html_to_text("plain   words") == "plain words"


# ---------------------------------------------------------------------------------------------------- real feeds


def _manifest() -> dict[str, dict]:
    if not (BENCH_FEEDS / "manifest.json").exists():
        return {}
    return {m["file"]: m for m in json.loads((BENCH_FEEDS / "manifest.json").read_text(encoding="utf-8"))}


MANIFEST = _manifest()
needs_bench = pytest.mark.skipif(not MANIFEST, reason=f"benchmark feeds not found at {BENCH_FEEDS}")
SCRIPTS = {"ru": "CYRILLIC", "zh": "CJK", "el": "GREEK", "hi": "DEVANAGARI"}
MOJIBAKE = ("Ã", "Â", "Ð", "Ñ", "â€", "\ufffd", "Ï", "à¤")


def _script_share(text: str, script: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(script in unicodedata.name(c, "") for c in letters) / max(1, len(letters))


@needs_bench
@pytest.mark.parametrize("name", sorted(f for f in MANIFEST if f.startswith("real/")) or ["-"])
def test_real_feed_parses_to_its_entries(name):
    meta = MANIFEST[name]
    body = (BENCH_FEEDS / name).read_bytes()
    parsed = parse_feed(
        body, "https://publisher.example/feed", {}, FeedConfig("r", "https://p.example/", "R")
    )
    assert len(parsed.items) + parsed.skipped == meta["feedparser_6_0_14"]["n_entries"]
    assert parsed.skipped <= len(parsed.items)  # only empty <item/> elements are skipped
    assert all(i.url.startswith(("http://", "https://")) for i in parsed.items)
    titles = " ".join(i.title for i in parsed.items)
    assert titles.strip(), "titles decoded to nothing"
    mojibake = [m for m in MOJIBAKE if m in titles and m not in body.decode("utf-8", "ignore")]
    assert not mojibake, f"mojibake {mojibake} in {titles[:200]}"
    if meta["lang"] in SCRIPTS:
        assert _script_share(titles, SCRIPTS[meta["lang"]]) > 0.5, titles[:200]


@needs_bench
@pytest.mark.parametrize("name", sorted(f for f in MANIFEST if f.startswith("malformed/")) or ["-"])
def test_malformed_feed_is_an_error_or_its_good_items(name, bench):
    body = (BENCH_FEEDS / name).read_bytes()
    feed = FeedConfig("m", "https://m.example/", "M")
    try:
        parsed = parse_feed(body, "https://m.example/feed", {}, feed)
    except FeedError as exc:
        assert str(exc)
    else:
        assert parsed.bozo_reason, "a malformed feed must say why"
        assert all(i.title or i.summary for i in parsed.items)
    # And through the fetcher: a recorded outcome, never an exception.
    bench.server.routes["/m"] = static(body, "application/xml")
    result = bench.run([bench.feed("malformed", "/m")], T0)["malformed"]
    state = bench.state(bench.feed("malformed", "/m"))
    assert result.status in ("ok", "failed")
    assert (result.error and state.last_error) if result.status == "failed" else state.bozo_reason


def _same_items(body: bytes, headers: dict) -> int:
    """The lxml fast path and feedparser agree item for item; returns how many items were compared."""
    feed = FeedConfig("f", "https://p.example/feed", "F")
    fast = _parse_fast(body, "https://p.example/feed", headers, feed)
    assert fast is not None, "fast path declined"
    slow = _parse_with_feedparser(body, "https://p.example/feed", headers, feed)
    assert slow.bozo_reason is None
    assert (fast.title, fast.skipped) == (slow.title, slow.skipped)
    assert fast.items == slow.items
    return len(fast.items)


FAST_PATH_SAMPLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Sample &amp; Co</title>
<item><title>Talks in Beijing &amp; Moscow: &lt;b&gt;bold&lt;/b&gt; move</title><link> /rel/1 </link>
  <guid isPermaLink="false">x-1</guid><author>desk@sample.example (Desk Editor)</author>
  <dc:creator>Second Author</dc:creator><pubDate>Tue, 03 Mar 2026 08:15:00 GMT</pubDate>
  <description><![CDATA[<p>Lead.</p><p>More &amp; more.</p>]]></description>
  <content:encoded><![CDATA[<div><p>Full text one.</p><script>x()</script><p>Full text two.</p></div>]]></content:encoded></item>
<item><title>AT&amp;T and a &lt; b</title><guid>https://sample.example/permalink/2</guid>
  <dc:date>2026-03-03T09:00:00+03:00</dc:date><description>Plain description</description></item>
<item><title>Atom link inside RSS</title><atom:link href="https://sample.example/3" rel="alternate"/></item>
<item><title>No link</title><guid>not-a-url</guid></item>
{"".join(f"<item><title>Item {i} — ünïcödé 中文 Русский</title><link>https://sample.example/{i}</link></item>" for i in range(4, 9))}
</channel></rss>""".encode()

ATOM_SAMPLE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://atom.example/base/"><title>Atom</title>
<entry><id>tag:a,2026:1</id><title type="html">&lt;em&gt;Hello&lt;/em&gt; world</title>
  <link rel="enclosure" href="/audio.mp3"/><link href="stories/1" type="text/html"/>
  <published>2026-03-03T10:00:00Z</published><updated>2026-03-04T10:00:00Z</updated>
  <author><name>A. Person</name></author><author><name>B. Person</name></author>
  <summary>Short</summary><content type="html">&lt;p&gt;Long content here.&lt;/p&gt;</content></entry>
<entry><id>https://atom.example/2</id><title>Only an id</title><updated>2026-03-05T10:00:00+01:00</updated></entry>
</feed>"""


@pytest.mark.parametrize("content_type", ["", "application/rss+xml; charset=utf-8", "application/xml"])
def test_fast_path_matches_feedparser_on_samples(content_type):
    headers = {"content-type": content_type} if content_type else {}
    assert _same_items(FAST_PATH_SAMPLE, headers) == 8
    assert _same_items(ATOM_SAMPLE, headers) == 2


@needs_bench
def test_fast_path_matches_feedparser_on_real_feeds():
    compared = 0
    for name in sorted(MANIFEST):
        body = (BENCH_FEEDS / name).read_bytes()
        if _parse_fast(body, "https://p.example/feed", {}, FeedConfig("f", "https://p.example/", "F")):
            compared += _same_items(body, {})
    assert compared >= 150  # most of the real feeds are well-formed UTF-8


def test_fast_path_declines_what_only_feedparser_reads_right():
    feed = FeedConfig("f", "https://p.example/feed", "F")
    rss_1251 = '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel></channel></rss>'
    declined = [
        (rss_1251.encode("cp1251"), {}),  # legacy charset
        (FAST_PATH_SAMPLE, {"content-type": "text/xml"}),  # RFC 3023: US-ASCII
        (FAST_PATH_SAMPLE, {"content-type": "application/rss+xml; charset=iso-8859-1"}),
        (FAST_PATH_SAMPLE, {"content-type": "text/html"}),
        (FAST_PATH_SAMPLE.replace(b"</channel>", b"</chanel>"), {}),  # ill-formed
        (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]><rss><channel/></rss>', {}),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', {}),  # RSS 1.0
        ("<rss version='2.0'><channel><title>caf\u00e9</title></channel></rss>".encode("latin-1"), {}),
    ]
    for body, headers in declined:
        assert _parse_fast(body, "https://p.example/feed", headers, feed) is None, body[:60]


@needs_bench
def test_undeclared_koi8r_and_gb2312_samples_are_detected():
    for name, expected in [
        ("feedparser_chardet_koi8r.xml", "KOI8-R"),
        ("feedparser_chardet_gb2312.xml", "GB"),
    ]:
        parsed = parse_feed(
            (BENCH_FEEDS / "malformed" / name).read_bytes(),
            "https://x/",
            {},
            FeedConfig("x", "https://x/", "X"),
        )
        assert parsed.encoding.upper().startswith(expected), parsed.encoding


# ---------------------------------------------------------------------------------------------------- state and report


def test_state_store_round_trip_is_atomic_and_aware(tmp_path):
    store = FeedStateStore(tmp_path / "feeds")
    feed = FeedConfig("BBC World / Asia", "https://bbc.example/rss", "BBC")
    state = store.load(feed)
    assert state.url == feed.url and state.last_status is None
    state.last_success_at = T0
    state.next_due_at = T0 + timedelta(minutes=15)
    state.seen_ids = ["g1", "https://bbc.example/1"]
    path = store.save(state, feed)
    assert path.parent == tmp_path / "feeds" and path.name.startswith("bbc-world-asia-")
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp files left behind
    assert json.loads(path.read_text())["last_success_at"] == "2026-03-02T12:00:00+00:00"
    loaded = store.load(feed)
    assert loaded == state and loaded.last_success_at.tzinfo is not None
    assert store.path_for("BBC-World / Asia") != path  # similar names never share a file


def test_state_store_survives_a_corrupt_file_and_url_changes(tmp_path):
    store = FeedStateStore(tmp_path)
    feed = FeedConfig("f", "https://a.example/rss", "F")
    store.path_for("f").write_text("{not json", encoding="utf-8")
    assert store.load(feed).url == feed.url  # fresh state, no crash
    assert list(tmp_path.glob("*.corrupt-*")), "the damaged file is kept for inspection"
    state = FeedState("f", feed.url, retired=True, etag='"x"', seen_ids=["s1"], items_seen=1)
    store.save(state, feed)
    moved = FeedConfig("f", "https://b.example/rss", "F")
    fresh = store.load(moved)
    assert (fresh.url, fresh.retired, fresh.etag, fresh.seen_ids) == (moved.url, False, None, ["s1"])


def test_cli_feeds_table_and_json(bench, tmp_path, monkeypatch, capsys):
    bench.server.routes["/ok"] = static(rss("OK", ITEMS))
    bench.server.routes["/bad"] = status(404)
    feeds = [bench.feed("ok-feed", "/ok"), bench.feed("bad-feed", "/bad"), bench.feed("new-feed", "/new")]
    data = tmp_path / "data"
    store = FeedStateStore(data / "state" / "feeds")
    commit_states(store, feeds, fetch_many(bench.client, feeds[:2], store, T0, workers=2))
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(yaml.safe_dump({"feeds": [{"name": f.name, "url": f.url} for f in feeds]}))
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(data))

    assert cli_feeds(Namespace(feeds=str(feeds_file), json=True)) == 0
    rows = {r["feed"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["ok-feed"]["status"] == "ok" and rows["ok-feed"]["items_seen"] == 3
    assert rows["bad-feed"]["status"] == "failed" and rows["bad-feed"]["error"] == "HTTP 404 Not Found"
    assert rows["bad-feed"]["consecutive_failures"] == 1 and rows["new-feed"]["status"] == "never fetched"

    assert cli_feeds(Namespace(feeds=str(feeds_file), json=False)) == 0
    table = capsys.readouterr().out
    assert "last success" in table and "HTTP 404 Not Found" in table and "2026-03-02 12:00" in table
    assert "1 failed, 1 never fetched, 1 ok" in table


# ---------------------------------------------------------------------------------------------------- feed list


def test_bundled_feed_list():
    raw = yaml.safe_load(DEFAULT_FEEDS_FILE.read_text(encoding="utf-8"))["feeds"]
    required = {"name", "url", "source", "country", "language", "state_affiliated", "kind"}
    assert len(raw) >= 25
    for entry in raw:
        assert required <= entry.keys(), entry
        assert isinstance(entry["state_affiliated"], bool) and len(entry["country"]) == 2
        assert entry["kind"] in {"wire", "western", "chinese", "russian", "regional"}
    feeds = load_feeds(DEFAULT_FEEDS_FILE)
    assert len(feeds) == len(raw) and len({f.url for f in feeds}) == len(feeds)
    kinds = {f.kind for f in feeds}
    assert kinds == {"wire", "western", "chinese", "russian", "regional"}
    assert {"CN", "RU", "US"} <= {f.country for f in feeds}
    # Both state media and outlets outside state control, for the Chinese and the Russian side.
    for kind in ("chinese", "russian"):
        assert {f.state_affiliated for f in feeds if f.kind == kind} == {True, False}, kind
