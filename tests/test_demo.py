"""The demo corpus (ground truth, counts, determinism) and the demo server (feeds, pages, failures, HTTP caching)."""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from statistics import mean

import feedparser
import pytest
from newsmon.config import load_feeds
from newsmon.demo.corpus import FAILURE_MODES, build_corpus
from newsmon.demo.server import DemoServer

END_DAY = date(2026, 11, 20)
SLOW = 1.0
ROOT = Path(__file__).resolve().parents[1]
NEWSMON = [
    sys.executable,
    "-c",
    "import sys; from newsmon.cli import main; sys.exit(main())",
]  # the console script

# Unambiguous aliases for a plain check that the stories really name the countries (the tagger does it properly).
_NOT_A_MENTION = re.compile(
    r"South China Sea|Republic of China|Chinese whispers|speaks fluent Russian|Russian salad|Russian roulette"
    r"|Moscow mule|Moscow, Idaho|Latin America\w*|North America|Bank of America|Washington state"
    r"|University of Washington"
)
_ALIASES = {
    "CN": re.compile(r"\b(China|Chinese|Beijing|Xi Jinping)\b|中国|Китай|Китая"),
    "RU": re.compile(r"\b(Russia|Russian|Moscow|Kremlin|Putin)\b|俄罗斯|Росси"),
    "US": re.compile(r"\b(United States|US|American|Americans|Washington|White House|Pentagon)\b|美国|США"),
}


def _sentences(text: str) -> list[str]:
    return [
        s
        for p in text.split("\n")
        for s in re.split(r"(?<=[.!?。\u201d\"])\s*(?=[A-Z\u201c\"А-Я\u4e00-\u9fff])", p)
    ]


def _countries(sentence: str) -> set[str]:
    cleaned = _NOT_A_MENTION.sub(" ", sentence)
    return {code for code, rx in _ALIASES.items() if rx.search(cleaned)}


def _unedit(paragraph: str) -> str:
    """Undo the house-style edits a subscriber makes to wire copy, to compare a copy with its original."""
    for a, b in (
        ("\u201c", '"'),
        ("\u201d", '"'),
        ("\u2018", "'"),
        ("\u2019", "'"),
        (" per cent", " percent"),
    ):
        paragraph = paragraph.replace(a, b)
    return paragraph.replace("center", "centre").replace("favor", "favour")


def _cn_ru_sentence(text: str) -> bool:
    return any({"CN", "RU"} <= _countries(s) for s in _sentences(text))


@pytest.fixture(scope="module")
def corpus():
    return build_corpus(END_DAY)


@pytest.fixture(scope="module")
def server():
    with DemoServer(end_day=END_DAY, slow_seconds=SLOW) as s:
        yield s


def _get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, dict, bytes]:
    """A plain GET that does not add Accept-Encoding (requests would) and returns 304/404 instead of raising."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- corpus ---------------------------------------------------------------------------------------------------


def test_corpus_meets_the_counts(corpus):
    assert len(corpus.articles) >= 70
    days = corpus.days
    assert len(days) >= 16 and days[-1] == END_DAY and days[0] >= END_DAY - timedelta(days=17)
    outlets = {a.outlet for a in corpus.articles}
    assert len(outlets) >= 6 and outlets <= set(corpus.outlets)
    assert any(o.state_affiliated for o in corpus.outlets.values())
    assert corpus.spike_day == END_DAY - timedelta(days=3)
    assert len({a.path for a in corpus.articles}) == len(corpus.articles)
    languages = Counter(a.language for a in corpus.articles)
    assert languages["ru"] >= 2 and languages["zh"] >= 2
    assert {a.charset for a in corpus.articles} >= {"utf-8", "windows-1251", "gb2312"}


def test_default_end_day_is_yesterday_utc():
    from newsmon.demo.corpus import default_end_day

    assert build_corpus().end_day == default_end_day()
    assert (date.today() - default_end_day()).days in (0, 1, 2)  # local vs UTC date


def test_english_articles_read_like_news(corpus):
    for a in corpus.articles:
        if a.language != "en" or a.failure == "thin":
            continue
        assert 150 <= a.word_count <= 600, (a.path, a.word_count)
        assert len(a.paragraphs) >= 4, a.path
        assert a.title and a.author and a.summary and a.summary in " ".join(a.paragraphs).replace("\n", " ")
        assert "{" not in a.text and "}" not in a.text, a.path  # every placeholder filled
    thin = next(a for a in corpus.articles if a.failure == "thin")
    assert len(thin.text) < 200 < len(thin.summary)


def test_country_ground_truth_is_real_in_the_text(corpus):
    for a in corpus.articles:
        found = set().union(*(_countries(s) for s in _sentences(a.title + "\n" + a.text)))
        assert set(a.countries) <= found, (a.path, a.countries, found)
    # Unrelated stories exist too.
    assert sum(1 for a in corpus.articles if not a.countries) >= 8


def test_mention_policy_tricky_cases_occur_naturally(corpus):
    text = "\n".join(a.title + "\n" + a.text for a in corpus.articles)
    for phrase in (
        "US$",
        "Latin America",
        "Washington state",
        "South China Sea",
        "Soviet era",
        "Soviet Union",
        "speaks fluent Russian",
        "MOSCOW, Idaho",
        "Republic of China",
        "Russian roulette",
        "Chinese whispers",
        "fine china",
        "Moscow mule",
        "North America",
        "University of Washington",
    ):
        assert phrase in text, phrase
    assert re.search(r"\b(us|Us)\b", text), "the pronoun us"


def test_spike_day_has_the_most_china_russia_co_mentions(corpus):
    per_day = Counter(a.day for a in corpus.articles if _cn_ru_sentence(a.title + "\n" + a.text))
    spike = per_day[corpus.spike_day]
    others = [per_day.get(d, 0) for d in corpus.days if d != corpus.spike_day]
    assert spike == max(per_day.values())
    assert spike >= 8 and spike >= 3 * max(others) and spike >= 10 * mean(others)
    # Many outlets and several distinct stories, not just wire copies.
    summit = [a for a in corpus.articles if a.day == corpus.spike_day and "summit" in a.topic]
    assert len({a.outlet for a in summit}) >= 6
    assert len({a.topic for a in summit if not a.is_wire_copy_of}) >= 6


def test_wire_copies_are_syndicated_with_edits(corpus):
    copies = corpus.wire_copies()
    by_original = defaultdict(list)
    for c in copies:
        by_original[c.is_wire_copy_of].append(c)
    assert len(by_original) >= 4
    assert all(2 <= len(v) <= 4 for v in by_original.values())
    for path, group in by_original.items():
        original = corpus.article(path)
        assert original.outlet == "meridian-wire"
        for c in group:
            assert c.outlet != "meridian-wire" and c.path != original.path
            assert c.title != original.title
            story = [p for p in c.paragraphs if not p.startswith("Additional reporting by")]
            # The last paragraph is trimmed; the rest survives with house-style edits only.
            assert [_unedit(p) for p in story] == [_unedit(p) for p in original.paragraphs[:-1]]
    assert any(c.paragraphs[0] != corpus.article(c.is_wire_copy_of).paragraphs[0] for c in copies)
    assert any("utm_source=" in c.link_query for c in copies)


def test_failure_modes_are_present(corpus):
    assert {a.failure for a in corpus.articles if a.failure} == set(FAILURE_MODES)
    private = next(a for a in corpus.articles if a.failure == "robots")
    assert "/private/" in private.path


def test_corpus_is_deterministic(corpus):
    again = build_corpus(END_DAY)
    assert again == corpus
    assert again.render("http://127.0.0.1:9") == corpus.render("http://127.0.0.1:9")
    shifted = build_corpus(END_DAY + timedelta(days=5))
    assert [a.title for a in shifted.articles] == [a.title for a in corpus.articles]
    assert shifted.articles[0].published - corpus.articles[0].published == timedelta(days=5)


def test_pages_carry_metadata_and_chrome(corpus):
    site = corpus.render("http://127.0.0.1:9")
    json_ld_pages = 0
    for a in corpus.articles:
        resource = site[a.path]
        if a.failure in ("not_found",):
            assert resource.status == 404
            continue
        page = resource.body.decode(a.charset)
        outlet = corpus.outlets[a.outlet]
        assert f'<html lang="{"zh-CN" if a.language == "zh" else a.language}">' in page
        for needle in (
            "<title>",
            'property="og:title"',
            f'property="og:site_name" content="{outlet.name}"',
            'property="article:published_time"',
            'name="author"',
            f'rel="canonical" href="http://127.0.0.1:9{a.path}"',
            "cookie-banner",
            "registration-toast",
            'aria-label="Share"',
        ):
            assert needle in page, (a.path, needle)
        if a.failure == "broken_html":
            continue  # the truncated page loses everything after the cut
        for needle in (
            'id="comments"',
            "site-footer",
            outlet.newsletter[0],
        ):
            assert needle in page, (a.path, needle)
        if a.language == "en" and a.failure not in ("thin", "broken_html"):
            start = page.index('<div class="article-body"')
            body = page[start : page.index("\n</div>\n", start)]
            assert f"<p>{html.escape(outlet.appeal[0])}</p>" in body
            assert ("donation-appeal" in body or "aside" in body) == outlet.appeal_marked, a.path
        match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
        if match:
            data = json.loads(match.group(1))
            assert data["@type"] == "NewsArticle" and data["headline"] == a.title
            json_ld_pages += 1
    assert json_ld_pages > len(corpus.articles) * 0.6
    markers = sum(1 for o in corpus.outlets.values() if o.appeal_marked)
    assert markers >= len(corpus.outlets) - 1 and markers < len(corpus.outlets)
    appeals = [o.appeal[0] for o in corpus.outlets.values()]
    assert len(set(appeals)) == len(appeals)
    assert all(re.search(r"Americans|US history|Russia|China|Washington|Beijing", a) for a in appeals)


# --- server ---------------------------------------------------------------------------------------------------


def test_every_feed_parses_with_all_its_entries(server):
    for row in server.feeds():
        status, headers, body = _get(row["url"])
        assert status == 200, row["url"]
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (row["name"], parsed.get("bozo_exception"))
        expected = server.corpus.feed_articles(row["name"])
        assert len(parsed.entries) == len(expected) > 0
        assert [e.title for e in parsed.entries] == [a.title for a in expected]
        first = parsed.entries[0]
        assert first.get("summary") and first.get("published_parsed") and first.get("link")
        assert first.get("author") or first.get("authors")
    kinds = Counter(r["kind"] for r in server.feeds())
    assert len(server.feeds()) >= 8 and kinds["wire"] >= 1
    atom = next(r for r in server.feeds() if r["name"] == "meridian-wire-world")
    assert feedparser.parse(_get(atom["url"])[2]).version == "atom10"


def test_every_article_page_is_served_with_its_charset(server):
    corpus = server.corpus
    for a in corpus.articles:
        if a.failure == "slow":
            continue
        status, headers, body = _get(a.feed_link(server.url))  # tracking parameters are ignored
        if a.failure == "not_found":
            assert status == 404
            continue
        assert status == 200, a.path
        assert headers["Content-Type"] == f"text/html; charset={a.charset}"
        page = body.decode(a.charset)
        assert f'<h1 class="headline">{html.escape(a.title)}</h1>' in page
        if a.failure != "broken_html":
            assert all(f">{html.escape(p)}</p>" in page for p in a.paragraphs), a.path
    assert _get(server.url + "/meridian-wire/2000/01/01/no-such-story.html")[0] == 404


def test_non_utf8_pages_decode_in_their_declared_charset(server):
    for charset, word in (("windows-1251", "Россия"), ("gb2312", "中国")):
        a = next(x for x in server.corpus.articles if x.charset == charset)
        status, headers, body = _get(a.url(server.url))
        assert headers["Content-Type"].endswith(f"charset={charset}")
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        page = body.decode(charset)
        assert f'<meta charset="{charset}">' in page and word in page
        assert not re.search(r"&#(\d{3,}|x[0-9a-fA-F]{3,});", page)  # every character native, none escaped


def test_slow_page_waits_longer_than_the_configured_delay(server):
    slow = next(a for a in server.corpus.articles if a.failure == "slow")
    started = time.monotonic()
    status, _, body = _get(slow.url(server.url))
    assert status == 200 and time.monotonic() - started >= SLOW
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        _get(slow.url(server.url), timeout=SLOW / 4)


def test_broken_page_is_truncated_with_unclosed_tags(server):
    broken = next(a for a in server.corpus.articles if a.failure == "broken_html")
    status, _, body = _get(broken.url(server.url))
    page = body.decode()
    assert status == 200 and "</html>" not in page and "</body>" not in page
    assert broken.paragraphs[0].split(" — ")[1][:40] in page
    assert broken.paragraphs[-1][:40] not in page


def test_conditional_get_gives_304(server):
    url = server.feeds()[0]["url"]
    status, headers, body = _get(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert _get(url, {"If-None-Match": etag})[0] == 304
    assert _get(url, {"If-None-Match": f'"stale", {etag}'})[0] == 304
    assert _get(url, {"If-Modified-Since": last_modified})[0] == 304
    assert _get(url, {"If-None-Match": '"stale"'})[0] == 200
    assert _get(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200


def test_gzip_only_when_asked(server):
    url = server.feeds()[2]["url"]
    status, headers, plain = _get(url)
    assert "Content-Encoding" not in headers
    status, headers, packed = _get(url, {"Accept-Encoding": "gzip, deflate"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(packed) == plain
    assert len(packed) < len(plain)
    assert "Content-Encoding" not in _get(url, {"Accept-Encoding": "gzip;q=0, identity"})[1]


def test_robots_allows_articles_and_disallows_private(server):
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(_get(server.url + "/robots.txt")[2].decode().splitlines())
    private = next(a for a in server.corpus.articles if a.failure == "robots")
    public = next(a for a in server.corpus.articles if a.failure is None)
    assert robots.can_fetch("newsmon", public.url(server.url))
    assert not robots.can_fetch("newsmon", private.url(server.url))
    assert not robots.can_fetch("newsmon", server.url + "/private/anything.html")


def test_feeds_yaml_loads_with_the_project_loader(server, tmp_path):
    path = server.write_feeds_yaml(tmp_path / "feeds.yaml")
    feeds = load_feeds(path)
    assert [f.name for f in feeds] == [r["name"] for r in server.feeds()]
    by_name = {f.name: f for f in feeds}
    assert by_name["steppe-courier"].state_affiliated and by_name["steppe-courier"].country == "RU"
    assert by_name["eastern-lantern-zh"].language == "zh"
    assert all(f.url.startswith(server.url) for f in feeds)


def test_cli_serves_until_interrupted_and_exits_cleanly(tmp_path):
    feeds_file = tmp_path / "demo-feeds.yaml"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "include"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [*NEWSMON, "demo-server", "--port", "0", "--write-feeds", str(feeds_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while not feeds_file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert feeds_file.exists(), proc.stderr.read() if proc.poll() is not None else "no feeds file"
        time.sleep(0.2)
        url = load_feeds(feeds_file)[0].url
        assert _get(url)[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "http://127.0.0.1:" in out and str(feeds_file) in out


def test_cli_reports_a_busy_port_in_one_line(server):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "include"))
    proc = subprocess.run(
        [*NEWSMON, "demo-server", "--port", str(server.port)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "cannot listen" in proc.stderr
