"""The template signal of the repetition layer (issue 12): a block at the same place of a site's page template
(same DOM path and class, same position from the story's start or end) on 3 pages is furniture, sooner than the
count alone (5 articles) would say, while a quote two stories share in their ordinary paragraphs survives.

The pages are real HTML documents written here (pseudo-word stories, no publisher text), read as bytes or served
by a loopback HTTP server and fetched by the real pipeline.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import duckdb
from helpers_batching import load_in_batches, site_article
from helpers_fetch import LoopbackServer, Reply, static
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsmon.aggregates import recompute_days
from newsmon.clean import (
    BoilerplateMemory,
    CleanOptions,
    block_paths,
    clean_page,
    clean_text,
    template_keys,
)
from newsmon.clean import _place_of as place_of
from newsmon.config import Paths
from newsmon.dedupe import content_hash, simhash
from newsmon.extract import extract_page, parse_html
from newsmon.models import Article
from newsmon.warehouse import open_warehouse

SITE = "Harbour Gazette"
SYLLABLES = "ka lo mi ne su ta ri po ve da gu an el or is um ba ce fo hi ju ke ly mo nu pe".split()
NOTE = (
    "Correction: an earlier version of this story gave the wrong date for the Russian ministry's statement."
)
QUOTE = (
    '"We will rebuild the quay before the winter storms arrive," the harbour master told reporters on Monday.'
)
NOTE_PAGES = (0, 2, 3, 5)  # 4 of 6 pages: under the count-only layer's 5 articles
QUOTE_AT = {1: 1, 4: 4}  # page -> paragraph index: two stories quote the harbour master, at different places


def stamp(n: int) -> str:
    """The varying-text template block: only its figures change from page to page."""
    return f"Updated at {10 + n}:{n * 7 % 60:02d}, corrections: write to the harbour desk quoting item {n * 37 + 100}"


def story(n: int) -> list[str]:
    rng = random.Random(n)
    paragraphs = [
        " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(30)) + "."
        for _ in range(5 + n % 3)
    ]
    if n in QUOTE_AT:
        paragraphs.insert(QUOTE_AT[n], QUOTE)
    return paragraphs


def page_html(n: int) -> str:
    body = "".join(f"<p>{p}</p>" for p in story(n))
    note = f'<p class="correction-note note-{n}"><em>{NOTE}</em></p>' if n in NOTE_PAGES else ""
    return (
        f"<!doctype html><html><head><title>Quay works, part {n}</title></head><body>"
        f'<header><nav><a href="/">Home</a> <a href="/harbour">Harbour</a></nav></header>'
        f'<article class="story"><h1>Quay works, part {n}</h1><p class="dateline">{stamp(n)}</p>'
        f'<div class="story-body col-{n % 2 + 8}">{body}</div>{note}</article>'
        f"<footer><p>Harbour Gazette, 1 Quay Street.</p></footer></body></html>"
    )


def url(n: int, base: str = "https://harbour.example") -> str:
    return f"{base}/news/quay-{n}"


def clean(n: int, memory: BoilerplateMemory):
    return clean_page(page_html(n).encode(), url(n), SITE, memory)


# ------------------------------------------------------------------------------------------ template keys


def test_template_keys_place_marked_blocks_at_the_story_edges_and_never_story_paragraphs():
    html = page_html(2)
    tree = parse_html(html)
    blocks = block_paths(tree)
    lines = extract_page(tree, url(2)).text.splitlines()
    assert (
        NOTE in lines and stamp(2) in lines
    )  # trafilatura keeps both: only the repetition layer can drop them
    kept = [line for line in lines if line != "Quay works, part 2"]
    keys = dict(zip(kept, template_keys(kept, [place_of(blocks, line) for line in kept]), strict=True))
    # class tokens lose their digits ("note-2" -> "note-", dropped when nothing is left to name)
    assert keys[NOTE] == "e0|article.story>p.correction-note.note>em"
    assert keys[stamp(2)] == "s0|article.story>p.dateline"
    assert all(keys[p] is None for p in story(2))  # the story's own paragraphs have no template place


# ------------------------------------------------------------------------------------------ the memory


def test_a_template_block_on_three_pages_is_furniture_while_a_shared_quote_survives():
    memory = BoilerplateMemory(None)
    pages = [clean(n, memory) for n in range(6)]
    # the note is learned on the third page that has it (page 3), the varying stamp on the third page (page 2)
    assert [NOTE in p.text for p in pages] == [True, False, True, False, False, False]
    assert [stamp(n) in p.text for n, p in enumerate(pages)] == [True, True, False, False, False, False]
    assert [QUOTE in p.text for p in pages] == [False, True, False, False, True, False]
    assert all(para in p.text for n, p in enumerate(pages) for para in story(n))
    # what the fetch side kept on the first pages goes when they are judged again (the loader's revision)
    judge_only = CleanOptions(structure=False, phrases=False, repetition=True, learn=False)
    for n in (0, 1):
        again = clean_text(pages[n].text, SITE, memory, judge_only, article_key=_key(n))
        assert NOTE not in again.text and stamp(n) not in again.text
        assert all(para in again.text for para in story(n))  # the quote too
    # without the template signal the count alone keeps the note (4 of 6 pages) and every stamp
    plain = BoilerplateMemory(None, min_template_pages=10**6)
    texts = [clean(n, plain).text for n in range(6)]
    assert sum(NOTE in t for t in texts) == 4 and all(stamp(n) in t for n, t in enumerate(texts))


def test_the_template_signal_needs_the_same_place_not_just_the_same_text():
    """A quote in three stories' bodies at different places, and a marked block that moves around: count only."""
    memory = BoilerplateMemory(None)
    for n in range(3):
        paragraphs = story(10 + n)
        paragraphs.insert(n + 1, QUOTE)  # story-body path: never a template place
        moved = f'<p class="pull-quote">{NOTE}</p>'  # a marked block, at another place on each page
        body = "".join(f"<p>{p}</p>" for p in paragraphs[: 2 * n + 1]) + moved
        body += "".join(f"<p>{p}</p>" for p in paragraphs[2 * n + 1 :])
        html = f"<html><body><article><div class='story-body'>{body}</div></article></body></html>"
        page = clean_page(html, url(10 + n), SITE, memory)
        assert QUOTE in page.text and NOTE in page.text
    assert memory.furniture(SITE) == set()


def test_template_places_persist_and_old_memory_files_still_load(tmp_path):
    memory = BoilerplateMemory(tmp_path)
    for n in (0, 2):
        clean(n, memory)
    memory.save()
    again = BoilerplateMemory(tmp_path)
    assert (
        NOTE not in clean(3, again).text
    )  # the third page with the note, with what was saved of the first two
    file = again.file_for(SITE)
    old = file.read_text().replace('"templates":', '"templates_of_a_future_version":')
    file.write_text(old)  # a file written before the template signal has no "templates"
    assert NOTE in clean(5, BoilerplateMemory(tmp_path)).text  # count-only: learns places afresh


def _key(n: int) -> str:
    from newsmon.pipeline import _page_key

    return _page_key(url(n))


# ----------------------------------------------------------------------------------- through the pipeline


def test_served_pages_in_two_runs_lose_the_template_blocks_on_every_page(tmp_path, monkeypatch):
    """A new site's pages arrive over two runs, fetched from a loopback server by `run_once`: the note and the
    stamp go from every page, the first ones included (re-cleaned, re-tagged and logged in the load that
    learned them), and the quote two stories share stays."""
    from newsmon.pipeline import _tagger, run_once

    data = tmp_path / "data"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    with LoopbackServer() as server:
        for n in range(6):
            server.routes[f"/news/quay-{n}"] = static(page_html(n).encode(), "text/html; charset=utf-8")
        server.routes["/robots.txt"] = lambda h: Reply(404, b"")
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(
            f"feeds:\n  - name: harbour\n    url: {server.url('/rss')}\n    source: {SITE}\n"
            "    country: GB\n    language: en\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", server.url(""))
        revised = []
        for published in (2, 6):  # the feed lists the pages published so far
            server.routes["/rss"] = static(_rss(server, published, start))
            summary = run_once(feeds, data)
            revised.append(summary["load"]["revised"]["articles"])
    # the second run learns the stamp (3rd page) and the note (page 3, its 3rd page): pages 0 and 1 revised
    assert revised == [0, 2]
    paths = Paths(data)
    with open_warehouse(paths) as con:
        rows = con.execute("SELECT url, text, countries FROM articles ORDER BY url").fetchall()
        logged = con.execute("SELECT count(DISTINCT article_id) FROM article_revisions").fetchall()[0][0]
    assert len(rows) == 6 and logged == 2
    for n, (page_url, text, countries) in enumerate(rows):
        assert page_url == server.url(f"/news/quay-{n}")
        assert NOTE not in text and "Updated at" not in text
        assert (QUOTE in text) == (n in QUOTE_AT)
        assert "RU" not in str(countries)  # the note's Russian ministry went with it
    analyst = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        leaked = analyst.execute(
            "SELECT count(*) FROM articles WHERE text LIKE '%earlier version%'"
        ).fetchall()
        russia = analyst.execute(
            "SELECT coalesce(sum(mentions), 0), coalesce(sum(articles), 0) FROM daily_country WHERE country = 'RU'"
        ).fetchall()
        days = analyst.execute("SELECT count(*) FROM daily_total WHERE articles > 0").fetchall()[0][0]
    finally:
        analyst.close()
    assert leaked == [(0,)]
    assert russia == [(0, 0)] and days >= 1  # the days the revised pages touched were recomputed
    assert (
        "RU" in _tagger().tag_article("Quay works", NOTE, start.date()).countries
    )  # which the note would add


def _rss(server: LoopbackServer, published: int, start: datetime) -> bytes:
    items = "".join(
        f"<item><guid>quay-{n}</guid><title>Quay works, part {n}</title><link>{server.url(f'/news/quay-{n}')}</link>"
        f"<pubDate>{format_datetime(start + timedelta(hours=5 * n))}</pubDate>"
        f"<description>Part {n} of the quay works.</description></item>"
        for n in range(published)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Harbour Gazette</title>'
        f"<link>{server.url('/')}</link>{items}</channel></rss>"
    ).encode()


# ------------------------------------------------------------------------------------------ any batching

ONE_BATCH: dict = {}
# The pages are dated two days back from now (the memory and the revision look 30 days back), once per session.
START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)


def _article(n: int, memory: BoilerplateMemory, when: datetime) -> Article:
    """A page as a fetch shard makes it: cleaned with the memory of its run, then tagged."""
    page = clean(n, memory)
    return site_article(
        url(n), SITE, page.title, page, when, content_hash=content_hash(page.text), simhash=simhash(page.text)
    )


def _second_look(articles: list[Article], memory: BoilerplateMemory) -> None:
    from types import SimpleNamespace

    from newsmon.config import Settings
    from newsmon.pipeline import _tagger, second_look

    ctx = SimpleNamespace(
        memory=memory,
        page_keys={a.article_id: a.url for a in articles},
        tagger=_tagger(),
        settings=Settings(),
    )
    second_look(articles, ctx)


def _load(root, batches: list[list[int]]) -> dict[str, tuple]:
    """Each batch one fetch run (the saved memory, a second look) and one load with the revision."""
    start = START  # one fixed time for every batching: the daily rows compare equal
    paths = load_in_batches(
        Paths(root).ensure(),
        batches,
        lambda n, memory: _article(n, memory, start + timedelta(hours=5 * n)),
        _second_look,
    )
    with open_warehouse(paths) as con:
        rows = con.execute("SELECT url, text, countries FROM articles ORDER BY url").fetchall()
        days = [r[0] for r in con.execute("SELECT DISTINCT day FROM articles").fetchall()]
        recompute_days(con, days)
        daily = {
            table: con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
            for table, columns in (
                ("daily_total", "day, articles, stories, sources"),
                ("daily_country", "*"),
            )
        }
    return {**{row[0]: row[1:] for row in rows}, **daily}


@settings(
    max_examples=int(os.environ.get("NEWSMON_BATCHING_EXAMPLES", "3")),  # bench/batching.py runs more
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(slots=st.lists(st.integers(0, 3), min_size=6, max_size=6), order=st.permutations(range(4)))
def test_any_split_into_batches_gives_the_texts_of_one_batch(tmp_path_factory, slots, order):
    if not ONE_BATCH:
        ONE_BATCH.update(_load(tmp_path_factory.mktemp("one"), [list(range(6))]))
    batches = [[n for n, slot in enumerate(slots) if slot == b] for b in order]
    many = _load(tmp_path_factory.mktemp("split"), [b for b in batches if b])
    assert many == ONE_BATCH  # texts, countries and the daily rows
    texts = [row[0] for page_url, row in many.items() if page_url.startswith("https://")]
    assert len(texts) == 6 and not any(NOTE in text or "Updated at" in text for text in texts)
    assert sum(QUOTE in text for text in texts) == 2
    assert many["daily_total"] and not any(row[1] == "RU" and row[2] for row in many["daily_country"])
