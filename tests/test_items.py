"""Per-item rules of the pipeline, through the real pipeline on loopback sites: dates that are placeholders,
canonical links that claim another site's article, and caps on hostile titles and pages."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from helpers_fetch import LoopbackServer, Reply, static
from newsmon.config import Settings
from newsmon.config import paths as get_paths
from newsmon.dedupe import canonical_url
from newsmon.models import Article, Mention
from newsmon.pipeline import (
    believable_date,
    cap_mentions,
    choose_published,
    cut_at_word,
    format_summary,
    registrable_domain,
    run_once,
)

PARAGRAPHS = [
    "The harbour council of Northport met on Tuesday evening to settle the new ferry timetable, which "
    "residents of the outer islands have asked for since the spring storms closed the old pier.",
    "Council members agreed that the first boat will leave at six in the morning and the last at ten at "
    "night, with two extra crossings on market days and a night service in the summer months.",
    "The harbour master said the new pier would be finished before the winter, and that the fares would "
    "stay the same for another year while the council looks at a discount for students and pensioners.",
]


def _page(title: str, canonical: str | None = None, published: str | None = None, body: str = "") -> bytes:
    meta = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    if published:
        meta += f'<meta property="article:published_time" content="{published}">'
    # each page its own text: the same paragraphs on two pages would be one article to the content-hash dedupe
    paragraphs = (
        "".join(f"<p>{p.replace('Northport', html.escape(title[:40]))}</p>" for p in PARAGRAPHS) + body
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>{meta}"
        f"</head><body><article><h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _rss(items: list[tuple[str, str, str | None]]) -> bytes:
    """items: (link, title, RFC 822 pubDate or None)."""
    entries = "".join(
        f"<item><guid>{html.escape(link)}</guid><title>{html.escape(title)}</title><link>{html.escape(link)}</link>"
        f"<description>Ferry timetable news.</description>"
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + "</item>"
        for link, title, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Northport</title>'
        f"<link>http://northport.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.fixture
def loopback_env(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", "127.0.0.0/8")
    monkeypatch.setenv("NEWSMON_SHARDS", "1")  # one shard in this process: quicker, same code path
    monkeypatch.setenv("NEWSMON_ROBOTS", "0")
    monkeypatch.setenv("NEWSMON_SETTINGS", str(tmp_path / "no-settings.yaml"))  # defaults only
    return tmp_path


def _write_feeds(tmp_path, feeds: dict[str, str]):
    path = tmp_path / "feeds.yaml"
    lines = ["feeds:"] + [
        f"  - name: {name}\n    url: {url}\n    language: en" for name, url in feeds.items()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(sql: str):
    con = duckdb.connect(str(get_paths().analyst_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------------- dates


def test_placeholder_and_future_dates_are_not_believed():
    fetched = datetime(2026, 11, 20, 12, tzinfo=UTC)
    feed = fetched - timedelta(hours=5)
    for placeholder in (
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1900, 1, 1, tzinfo=UTC),
        datetime(1994, 12, 31),
    ):
        assert believable_date(placeholder, fetched) is None
        assert choose_published(placeholder, feed, fetched) == (feed, "feed")
        assert choose_published(placeholder, placeholder, fetched) == (fetched, "fetch")
    # year 1 with a positive offset is before year 1 in UTC: not an OverflowError
    from datetime import timezone

    assert believable_date(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3))), fetched) is None
    assert believable_date(datetime(1995, 1, 1, tzinfo=UTC), fetched) == datetime(1995, 1, 1, tzinfo=UTC)
    assert believable_date(fetched + timedelta(hours=1), fetched) is None


def test_year_1_and_1900_dates_make_no_daily_rows(loopback_env):
    recent = (datetime.now(UTC) - timedelta(hours=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    with LoopbackServer("127.0.0.1") as site:
        site.routes["/a"] = static(
            _page("Ferry timetable settled", published="0001-01-01T00:00:00Z", body="<p>One.</p>"),
            "text/html",
        )
        site.routes["/b"] = static(
            _page("New pier before winter", published="1900-01-01", body="<p>Two.</p>"), "text/html"
        )
        site.routes["/rss"] = static(
            _rss(
                [
                    (site.url("/a"), "Ferry timetable settled", "Mon, 01 Jan 1900 00:00:00 +0000"),
                    (site.url("/b"), "New pier before winter", recent),
                ]
            )
        )
        summary = run_once(_write_feeds(loopback_env, {"northport": site.url("/rss")}))
    assert _rows("SELECT count(*) FROM articles")[0][0] == 2
    origins = dict(_rows("SELECT title, published_from FROM articles"))
    assert origins == {"Ferry timetable settled": "fetch", "New pier before winter": "feed"}
    assert _rows("SELECT count(*) FROM articles WHERE year(published_at) < 1995")[0][0] == 0
    for table in ("daily_total", "daily_country", "daily_source"):
        assert _rows(f"SELECT count(*) FROM {table} WHERE year(day) < 1995")[0][0] == 0
    assert _rows("SELECT count(*) FROM daily_total")[0][0] >= 1
    assert summary["fetch"]["adjusted"]["page_date_not_believed"] == 2


# ---------------------------------------------------------------------------------------------------- canonical


def test_registrable_domain_is_public_suffix_aware():
    assert registrable_domain("news.bbc.co.uk") == registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("a.github.io") != registrable_domain("b.github.io")  # private suffixes count
    assert registrable_domain("edition.cnn.com") == "cnn.com"
    assert registrable_domain("127.0.0.1") == "127.0.0.1" != registrable_domain("127.0.0.2")
    assert registrable_domain("localhost") == "localhost"
    assert registrable_domain("WWW.Example.COM.") == "example.com"


def test_one_site_cannot_claim_another_sites_article(loopback_env):
    """The first site's page names the second site's article as its canonical URL; both articles are stored."""
    with LoopbackServer("127.0.0.1") as claimer, LoopbackServer("127.0.0.2") as victim:
        real = victim.url("/story")
        victim.routes["/story"] = static(_page("Ferry timetable settled", canonical=real), "text/html")
        victim.routes["/rss"] = static(_rss([(real, "Ferry timetable settled", None)]))
        copy = claimer.url("/copy")
        claimer.routes["/copy"] = static(
            _page("Ferry timetable settled, our copy", canonical=real, body="<p>Copied by another site.</p>"),
            "text/html",
        )
        claimer.routes["/rss"] = static(_rss([(copy, "Ferry timetable settled, our copy", None)]))
        same_site = claimer.url("/moved")  # a canonical link on the item's own site is still followed
        claimer.routes["/moved"] = static(
            _page("Pier opens", canonical=claimer.url("/pier"), body="<p>The pier opened.</p>"), "text/html"
        )
        claimer.routes["/rss2"] = static(_rss([(same_site, "Pier opens", None)]))
        feeds = {
            "claimer": claimer.url("/rss"),
            "claimer-2": claimer.url("/rss2"),
            "victim": victim.url("/rss"),
        }
        summary = run_once(_write_feeds(loopback_env, feeds))
    stored = dict(_rows("SELECT feed, canonical_url FROM articles"))
    assert stored["victim"] == canonical_url(real)
    assert stored["claimer"] == canonical_url(copy)  # its own URL, not the victim's
    assert stored["claimer-2"] == canonical_url(claimer.url("/pier"))
    assert _rows("SELECT count(*) FROM rejections WHERE reason = 'duplicate_url'")[0][0] == 0
    assert summary["fetch"]["adjusted"]["canonical_other_site"] == 1


# ---------------------------------------------------------------------------------------------------- caps


def _article(mentions: list[Mention], countries: dict) -> Article:
    now = datetime.now(UTC)
    return Article(
        article_id="a", url="u", canonical_url="u", guid=None, feed="f", source="s", title="t", text="x",
        text_source="page", published_at=now, published_from="page", fetched_at=now,
        mentions=mentions, countries=countries,
    )  # fmt: skip


def test_mention_caps_per_country_and_per_article():
    m = [Mention("CN", i, i + 5, "China", "name", "body", 0, 0) for i in range(10)]
    m += [Mention("RU", i, i + 6, "Russia", "name", "body", 0, 0) for i in range(3)]
    a = _article(list(m), {"CN": {"mentions": 10, "salience": 0.8}, "RU": {"mentions": 3, "salience": 0.2}})
    assert cap_mentions(a, per_article=100, per_country=4) == ["country_mentions_capped"]
    assert [x.country for x in a.mentions] == ["CN"] * 4 + ["RU"] * 3
    assert a.countries["CN"]["mentions"] == 4 and a.countries["RU"]["mentions"] == 3
    b = _article(list(m), {"CN": {"mentions": 10}, "RU": {"mentions": 3}})
    b.pairs = {"sentence": ["CN-RU"], "article": ["CN-RU"]}
    assert cap_mentions(b, per_article=5, per_country=100) == ["mentions_capped"]
    assert len(b.mentions) == 5
    # every count has its mention rows behind it: the per-article cap lowers the country figures too
    assert b.countries["CN"]["mentions"] == 5 and "RU" not in b.countries
    assert b.pairs == {"sentence": [], "article": []}
    c = _article(list(m), {"CN": {"mentions": 10}})
    assert cap_mentions(c, per_article=100, per_country=100) == [] and len(c.mentions) == 13


def test_cut_at_word():
    assert cut_at_word("China " * 100, 200) == ("China " * 33).strip()
    assert cut_at_word("x" * 50, 20) == "x" * 20
    assert len(cut_at_word("China " * 1_000_000, 1000)) <= 1000


def test_a_hostile_title_and_page_are_capped_and_counted(loopback_env, monkeypatch):
    """Short version of bench/hostile_item.py: a 1 MB feed title of "China " (its page is gone, so the feed's
    title and text are used) and a 1 MB page of it."""
    title = "China " * 170_000
    monkeypatch.setenv("NEWSMON_MAX_TEXT_CHARS", "50000")
    with LoopbackServer("127.0.0.1") as site:
        site.routes["/gone"] = lambda h: Reply(404, b"gone")
        site.routes["/huge"] = static(_page("Ferry news", body="<p>" + title + "</p>"), "text/html")
        site.routes["/rss"] = static(
            _rss([(site.url("/gone"), title, None), (site.url("/huge"), "Ferry", None)])
        )
        summary = run_once(_write_feeds(loopback_env, {"hostile": site.url("/rss")}))
    limits = Settings()
    assert _rows("SELECT count(*) FROM articles")[0][0] == 2
    assert _rows("SELECT max(length(title)) FROM articles")[0][0] <= limits.max_title_chars
    assert _rows("SELECT max(length(text)) FROM articles")[0][0] <= 50_000
    per_article = _rows("SELECT article_id, count(*) FROM mentions GROUP BY ALL")
    assert len(per_article) == 2 and max(n for _, n in per_article) <= limits.max_mentions_per_country
    assert _rows("SELECT max(mentions) FROM article_countries")[0][0] == limits.max_mentions_per_country
    stored = _rows("SELECT article_id, country, count(*) FROM mentions GROUP BY ALL ORDER BY ALL")
    counted = _rows(
        "SELECT article_id, country, mentions FROM article_countries WHERE mentions > 0 ORDER BY ALL"
    )
    assert stored == counted  # every counted mention is a stored row with its sentence
    day_cn = _rows("SELECT sum(mentions) FROM daily_country WHERE country = 'CN'")[0][0]
    assert day_cn <= 2 * limits.max_mentions_per_country
    adjusted = summary["fetch"]["adjusted"]
    assert adjusted["title_capped"] == 1 and adjusted["text_capped"] == 1
    assert adjusted["country_mentions_capped"] == 1  # the page; the capped title has ~170 mentions only
    assert "title_capped 1" in format_summary(summary)
