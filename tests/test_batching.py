"""Counts that do not depend on how articles arrive: story grouping over batches (issue 12).

The texts are generated pseudo-words (no publisher text). A "grey-zone" copy is one whose SimHash is 11-16 bits
from its original, so only a containment check on both texts can group it: the case the loader used to miss when
the original was in an earlier batch.
"""

from __future__ import annotations

import itertools
import os
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from helpers_batching import load_in_batches, site_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsmon.aggregates import recompute_days, touched_days
from newsmon.config import Paths
from newsmon.dedupe import StoryIndex, content_hash, hamming, simhash
from newsmon.models import Article
from newsmon.warehouse import open_warehouse, stage_batch

T0 = datetime(2026, 11, 10, 6, tzinfo=UTC)
SYLLABLES = "ka lo mi ne su ta ri po ve da gu an el or is um ba ce fo hi ju ke ly mo nu pe".split()


def _words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def _story(rng: random.Random) -> list[str]:
    return [" ".join(_words(rng, rng.randint(25, 40))) + "." for _ in range(rng.randint(5, 8))]


def grey_zone_copy(paragraphs: list[str], rng: random.Random) -> str:
    """A copy with its last paragraphs trimmed, a credit line and changed words, retried until 11-16 SimHash bits away."""
    original = "\n".join(paragraphs)
    for _ in range(200):
        paras = [f"By {' '.join(_words(rng, 3))} staff", *paragraphs[: -rng.randint(1, 2)]]
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(1, len(paras))
            words = paras[i].split()
            words[rng.randrange(len(words))] = _words(rng, 1)[0]
            paras[i] = " ".join(words)
        copy = "\n".join(paras)
        if 11 <= hamming(simhash(original), simhash(copy)) <= 16:
            return copy
    raise AssertionError("no grey-zone copy found")


def _corpus(seed: int = 3) -> list[dict]:
    """Originals with grey-zone copies, an exact copy, a late copy (5 days on) and unrelated stories."""
    rng = random.Random(seed)
    out = []
    for s in range(6):
        paras = _story(rng)
        when = T0 + timedelta(hours=7 * s)
        out.append({"id": f"s{s}-0", "truth": s, "text": "\n".join(paras), "when": when, "source": "Wire"})
        for c in range(s % 3 + 1):
            lag = timedelta(days=5) if (s, c) == (1, 0) else timedelta(minutes=40 + 90 * c)
            text = "\n".join(paras) if (s, c) == (2, 1) else grey_zone_copy(paras, rng)
            out.append(
                {"id": f"s{s}-{c + 1}", "truth": s, "text": text, "when": when + lag, "source": f"Paper {c}"}
            )
    return out


def _partition(stories: dict[str, str]) -> set[frozenset[str]]:
    groups = defaultdict(set)
    for article, story in stories.items():
        groups[story].add(article)
    return {frozenset(g) for g in groups.values()}


def _truth(corpus: list[dict]) -> set[frozenset[str]]:
    return _partition({a["id"]: str(a["truth"]) for a in corpus})


# -------------------------------------------------------------------------------------------------- StoryIndex


def test_grouping_does_not_depend_on_the_order_articles_are_added():
    corpus = _corpus()
    rng = random.Random(5)
    orders = [sorted(corpus, key=lambda a: a["when"]), list(reversed(corpus))]
    orders += [rng.sample(corpus, len(corpus)) for _ in range(6)]
    for order in orders:
        index = StoryIndex()
        for a in order:
            index.add(a["id"], a["text"], a["when"], a["source"])
        assert _partition({a["id"]: index.story_of(a["id"]) for a in corpus}) == _truth(corpus)


def _groups(a: str, b: str) -> bool:
    index = StoryIndex()
    index.add("a", a, T0, "A")
    return index.add("b", b, T0 + timedelta(hours=1), "B").story_id == "a"


def bridge_case(rng: random.Random) -> tuple[str, str, str]:
    """Texts left = A+B and right = B+C that do not group, and bridge = A+B+C that groups with each."""
    for _ in range(50):
        a, b, c = _story(rng)[:3], _story(rng)[:3], _story(rng)[:3]
        left, right, bridge = ("\n".join(p) for p in (a + b, b + c, a + b + c))
        if not _groups(left, right) and _groups(left, bridge) and _groups(right, bridge):
            return left, right, bridge
    raise AssertionError("no bridge case found")


def test_an_original_arriving_after_its_copy_joins_the_copys_story():
    rng = random.Random(11)
    paras = _story(rng)
    index = StoryIndex()
    index.add("copy", grey_zone_copy(paras, rng), T0 + timedelta(hours=2), "B")
    late = index.add("orig", "\n".join(paras), T0, "A")
    assert (late.story_id, late.duplicate_of, late.is_wire, index.merges) == ("copy", None, True, [])
    # the earliest member is the original whoever came first: the copy is now its copy, and a wire copy
    again = index.add("copy", "", None, "B")
    assert (again.duplicate_of, again.reason, again.is_wire) == ("orig", "simhash", True)


def test_an_article_linking_two_stories_merges_them_and_the_older_id_survives():
    left, right, bridge = bridge_case(random.Random(4))
    index = StoryIndex()
    index.add("right", right, T0 + timedelta(hours=3), "R")
    index.add("left", left, T0, "L")
    assert index.story_of("left") == "left" and index.story_of("right") == "right"
    joined = index.add("bridge", bridge, T0 + timedelta(hours=1), "B")
    assert joined.story_id == "left" == index.story_of("right")  # the story with the oldest article survives
    assert index.merges == [("right", "left")]


def test_restored_rows_judge_grey_zone_copies_as_one_batch_would():
    rng = random.Random(2)
    paras = _story(rng)
    original, copy = "\n".join(paras), grey_zone_copy(paras, rng)
    row = (
        "w1",
        "w1",
        simhash(original),
        content_hash(original),
        T0,
        "Wire",
        None,
    )  # long text: read on demand
    asked = []

    def loader(article_id: str) -> str:
        asked.append(article_id)
        return original

    restored = StoryIndex().from_rows([row], text_loader=loader)
    assert restored.add("p1", copy, T0 + timedelta(hours=1), "Paper").story_id == "w1"
    assert asked == ["w1"]  # fetched once, only because the SimHash was in the grey zone
    # A copy that arrived first: the original, loaded later, finds it as stored text too.
    row = ("p1", "p1", simhash(copy), content_hash(copy), T0 + timedelta(hours=1), "Paper", None)
    back = StoryIndex().from_rows([row], text_loader=lambda _id: copy)
    assert back.add("w1", original, T0, "Wire").story_id == "p1"


# ----------------------------------------------------------------------------------------- through the loader


def _article(a: dict) -> Article:
    url = _url(a)
    return Article(
        article_id=content_hash(url)[:16],
        url=url,
        canonical_url=url,
        guid=None,
        feed=a["source"],
        source=a["source"],
        title=f"Story {a['id']}",
        text=a["text"],
        text_source="page",
        published_at=a["when"],
        published_from="page",
        fetched_at=a["when"],
        content_hash=content_hash(a["text"]),
        simhash=simhash(a["text"]),
        countries={"CN": {"mentions": 1, "salience": 0.5, "about": True}},
        pairs={"sentence": [], "paragraph": [], "article": []},
    )


def _load(tmp_path, name: str, batches: list[list[dict]], publish_each: bool = False):
    """Each batch as one fetch run and load: appeal-site items are cleaned with the saved memory (and a second
    look within the run, as `pipeline.second_look`), then staged and loaded with `load_and_publish`."""

    def make(a: dict, memory) -> Article:
        return _site_article(a["site"], memory, a["when"]) if "site" in a else _article(a)

    def look(articles: list[Article], memory) -> None:
        _second_look([a for a in articles if a.source == "Harbour News"], memory)

    return load_in_batches(Paths(tmp_path / name).ensure(), batches, make, look, publish_each)


def _second_look(articles: list[Article], memory) -> None:
    from types import SimpleNamespace

    from newsmon.clean import CleanOptions, clean_text
    from newsmon.config import Settings
    from newsmon.pipeline import _page_key, _tag, _tagger

    judge_only = CleanOptions(structure=False, phrases=False, repetition=True, learn=False)
    for a in articles:
        result = clean_text(a.text, a.source, memory, judge_only, article_key=_page_key(a.url))
        if result.removed["repetition"]:
            a.text = result.text
            a.removed["repetition"] = a.removed.get("repetition", 0) + result.removed["repetition"]
            _tag(a, SimpleNamespace(tagger=_tagger(), settings=Settings()))


def _url(a: dict) -> str:
    if "site" in a:
        return f"https://harbour.example/news/{a['site']}"
    return f"https://{a['source'].lower().replace(' ', '-')}.example/news/{a['id']}"


def _stories(paths: Paths, corpus: list[dict]) -> dict[str, str]:
    ids = {content_hash(_url(a))[:16]: a["id"] for a in corpus}
    with open_warehouse(paths) as con:
        return {
            ids[aid]: story
            for aid, story in con.execute("SELECT article_id, story_id FROM articles").fetchall()
        }


def _first_columns(paths: Paths, corpus: list[dict]) -> dict[str, tuple]:
    """Per corpus id: (the corpus id it is recorded as a copy of, dup_reason, is_wire)."""
    ids = {content_hash(_url(a))[:16]: a["id"] for a in corpus}
    with open_warehouse(paths) as con:
        rows = con.execute("SELECT article_id, duplicate_of, dup_reason, is_wire FROM articles").fetchall()
    return {ids[aid]: (ids.get(dup), reason, wire) for aid, dup, reason, wire in rows}


def _texts(paths: Paths) -> dict[str, str]:
    with open_warehouse(paths) as con:
        return dict(con.execute("SELECT article_id, text FROM articles").fetchall())


def _daily(paths: Paths) -> dict:
    with open_warehouse(paths) as con:
        days = [r[0] for r in con.execute("SELECT DISTINCT day FROM articles").fetchall()]
        recompute_days(con, days)
        return {
            t: con.execute(f"SELECT * EXCLUDE (feeds_ok, feeds_failed) FROM {t} ORDER BY ALL").fetchall()
            if t == "daily_total"
            else con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("daily_total", "daily_country")
        }


SPLITS = {
    "30-minute batches": lambda c: [
        list(g)
        for _, g in itertools.groupby(
            sorted(c, key=lambda a: a["when"]), lambda a: a["when"].timestamp() // 1800
        )
    ],
    "one batch per outlet": lambda c: [
        [a for a in c if a["source"] == s] for s in sorted({a["source"] for a in c}, reverse=True)
    ],
    "newest first, one article per batch": lambda c: [
        [a] for a in sorted(c, key=lambda a: a["when"], reverse=True)
    ],
}


@pytest.fixture(scope="module")
def one_batch(tmp_path_factory) -> dict:
    """The corpus loaded in one batch, once for every split: its stories, daily rows and first-article columns."""
    corpus = _corpus()
    one = _load(tmp_path_factory.mktemp("one"), "one", [corpus])
    return {"stories": _stories(one, corpus), "daily": _daily(one), "first": _first_columns(one, corpus)}


@pytest.mark.parametrize("split", list(SPLITS))
def test_batches_give_the_stories_and_daily_rows_of_one_batch(tmp_path, split, one_batch):
    corpus = _corpus()
    assert _partition(one_batch["stories"]) == _truth(corpus)
    many = _load(tmp_path, "many", SPLITS[split](corpus))
    assert _partition(_stories(many, corpus)) == _truth(corpus)
    assert _daily(many) == one_batch["daily"]
    first = one_batch["first"]
    assert _first_columns(many, corpus) == first
    # each story's earliest article is its original; the others copy it, other outlets' copies are wire copies
    assert first["s1-0"] == (None, None, True) and first["s1-1"] == ("s1-0", "simhash", True)
    assert first["s2-2"] == ("s2-0", "content_hash", True)


# The appeal site's articles are dated two days back from now: the memory and the revision look 30 days back.
APPEAL_SITE = [
    {"id": f"h{n}", "truth": 100 + n, "site": n, "source": "Harbour News",
     "when": datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2, hours=-5 * n)}
    for n in range(6)
]  # fmt: skip
CORPUS = _corpus() + APPEAL_SITE
ONE_BATCH: dict = {}


@settings(
    max_examples=int(os.environ.get("NEWSMON_BATCHING_EXAMPLES", "4")),  # bench/batching.py runs 40
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    slots=st.lists(st.integers(0, 5), min_size=len(CORPUS), max_size=len(CORPUS)),
    order=st.permutations(range(6)),
)
def test_any_split_into_batches_gives_the_tables_of_one_batch(tmp_path_factory, slots, order):
    """Each article goes to one of six batches, fetched and loaded in any order: stories, the appeal site's texts,
    the daily rows (mentions included) and each article's duplicate_of, dup_reason and is_wire as in one batch."""
    if not ONE_BATCH:
        one = _load(tmp_path_factory.mktemp("one"), "one", [CORPUS])
        ONE_BATCH.update(
            partition=_partition(_stories(one, CORPUS)),
            daily=_daily(one),
            texts=_texts(one),
            first=_first_columns(one, CORPUS),
        )
    batches = [[a for a, slot in zip(CORPUS, slots, strict=True) if slot == b] for b in order]
    many = _load(tmp_path_factory.mktemp("split"), "many", [b for b in batches if b])
    assert _partition(_stories(many, CORPUS)) == ONE_BATCH["partition"] == _truth(CORPUS)
    assert _daily(many) == ONE_BATCH["daily"]
    assert _texts(many) == ONE_BATCH["texts"]
    assert _first_columns(many, CORPUS) == ONE_BATCH["first"]  # duplicate_of, dup_reason, is_wire
    assert ONE_BATCH["first"]["h0"] == (None, None, False)  # a story of one outlet alone is no wire story
    assert not any(APPEAL in text for text in _texts(many).values())


def test_a_merge_is_logged_touches_its_days_and_reaches_the_published_rows(tmp_path):
    left, right, bridge = bridge_case(random.Random(4))
    corpus = [
        {"id": "right", "truth": 0, "text": right, "when": T0 + timedelta(days=1, hours=3), "source": "Post"},
        {"id": "left", "truth": 0, "text": left, "when": T0, "source": "Wire"},
        {"id": "bridge", "truth": 0, "text": bridge, "when": T0 + timedelta(hours=5), "source": "Paper"},
    ]
    paths = _load(tmp_path, "merge", [[a] for a in corpus], publish_each=True)
    stories = _stories(paths, corpus)
    assert len(set(stories.values())) == 1 and stories["right"] == stories["left"]
    with open_warehouse(paths) as con:
        merges = con.execute("SELECT from_story, into_story, articles, days FROM story_merges").fetchall()
        mark = con.execute("SELECT max(loaded_at) FROM articles WHERE staged_file = 'b0001'").fetchall()[0][0]
        days = touched_days(con, mark, lookback_days=10_000, today=T0.date())
    ids = {a["id"]: content_hash(_article(a).url)[:16] for a in corpus}
    assert merges == [(ids["right"], ids["left"], 1, [(T0 + timedelta(days=1)).date()])]
    assert (
        T0 + timedelta(days=1)
    ).date() in days  # the renamed article's day is recomputed by the next daily run
    analyst = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        published = analyst.execute("SELECT DISTINCT story_id FROM articles").fetchall()
        logged = analyst.execute("SELECT count(*) FROM story_merges").fetchall()[0][0]
        mode = analyst.execute("SELECT mode FROM publish_info").fetchall()[0][0]
    finally:
        analyst.close()
    assert published == [(ids["left"],)] and logged == 1 and mode == "incremental"


def test_a_late_original_revises_the_first_article_columns_of_stored_and_published_copies(tmp_path):
    """A copy and the wire's own update arrive first, the wire's original last: the original becomes the story's
    first article, the copy a wire copy of it, the wire's update no wire copy (same outlet), in the warehouse and
    in the incrementally published rows alike."""
    text = "\n".join(_story(random.Random(8)))
    corpus = [
        {"id": "copy", "truth": 0, "text": text, "when": T0 + timedelta(hours=2), "source": "Paper"},
        {"id": "update", "truth": 0, "text": text, "when": T0 + timedelta(hours=3), "source": "Wire"},
        {"id": "orig", "truth": 0, "text": text, "when": T0, "source": "Wire"},
    ]
    paths = _load(tmp_path, "late", [corpus[:2], corpus[2:]], publish_each=True)
    want = {
        "orig": (None, None, True),
        "copy": ("orig", "content_hash", True),
        "update": ("orig", "content_hash", False),
    }
    assert _first_columns(paths, corpus) == want
    ids = {content_hash(_url(a))[:16]: a["id"] for a in corpus}
    analyst = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        rows = analyst.execute(
            "SELECT article_id, duplicate_of, dup_reason, is_wire FROM articles"
        ).fetchall()
        mode = analyst.execute("SELECT mode FROM publish_info").fetchall()[0][0]
    finally:
        analyst.close()
    assert {ids[a]: (ids.get(d), r, w) for a, d, r, w in rows} == want and mode == "incremental"


# ------------------------------------------------------------------------------------------- newsmon daily


def test_daily_refuses_days_after_tomorrow_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from newsmon.cli import main

    paths = _load(tmp_path, "daily", [_corpus()[:2]])
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(paths.data_dir))
    today = datetime.now(UTC).date()
    later = today + timedelta(days=2)
    assert main(["daily", "--start", str(today - timedelta(days=3)), "--end", str(later)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"newsmon daily: {later} is after tomorrow ({today + timedelta(days=1)}): there is nothing to count "
        f"yet; end the range at {today + timedelta(days=1)} or before"
    )
    with open_warehouse(paths) as con:
        assert con.execute("SELECT count(*) FROM daily_total").fetchall()[0][0] == 0
    assert main(["daily", "--date", str(today + timedelta(days=1))]) == 0  # tomorrow is allowed


# ----------------------------------------------------------------------------------- boilerplate learned later

APPEAL = (
    "Independent reporting on China, Russia and the United States depends on readers like you: "
    "please give what you can today."
)
TOWNS = ["Aberdour", "Balmaha", "Crail", "Dunbar", "Elie", "Fife Ness"]


def _site_article(n: int, memory, when: datetime) -> Article:
    """An article of one site as a fetch shard makes it: cleaned with the shared memory, then tagged."""
    from newsmon.clean import CleanOptions, clean_text
    from newsmon.pipeline import _page_key

    url = f"https://harbour.example/news/{n}"
    raw = "\n".join([*_story(random.Random(n))[:3], APPEAL])  # the site's own story, then its appeal
    cleaned = clean_text(
        raw, "Harbour News", memory, CleanOptions(structure=False), article_key=_page_key(url)
    )
    return site_article(url, "Harbour News", f"Quay reopens in {TOWNS[n]}", cleaned, when)


def test_an_appeal_learned_from_the_fifth_article_leaves_the_first_four_in_the_same_load(tmp_path):
    from newsmon.clean import BoilerplateMemory
    from newsmon.pipeline import load_and_publish

    paths = Paths(tmp_path / "data").ensure()
    start = datetime.now(UTC) - timedelta(days=2)
    revised = []
    for n in range(len(TOWNS)):  # one article per run, as a new site's first days look
        memory = BoilerplateMemory(paths.state / "boilerplate")  # each run's shard loads the saved memory
        article = _site_article(n, memory, start + timedelta(hours=5 * n))
        memory.save()
        assert (APPEAL in article.text) == (n < 4)  # the fetch side learns it from the 5th article on
        stage_batch(paths.staging, f"run{n}", [article])
        revised.append(load_and_publish(data_dir=paths.data_dir)["revised"]["articles"])
    assert revised == [0, 0, 0, 0, 4, 0]  # the load of the 5th article revised the four stored before it
    with open_warehouse(paths) as con:
        texts = con.execute("SELECT text, removed_repetition, countries FROM articles").fetchall()
        mentions = con.execute("SELECT count(*) FROM mention_spans").fetchall()[0][0]
        logged = con.execute("SELECT count(*), count(DISTINCT day) FROM article_revisions").fetchall()[0]
        stories = con.execute("SELECT count(DISTINCT story_id) FROM articles").fetchall()[0][0]
        days = touched_days(con, None, today=datetime.now(UTC).date())
    assert all(APPEAL not in t and removed == 1 and countries == [] for t, removed, countries in texts)
    assert mentions == 0  # the appeal's China, Russia and United States went with it
    assert logged[0] == 4 and set(days) >= {(start + timedelta(hours=5 * n)).date() for n in range(4)}
    assert stories == len(TOWNS)
    analyst = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        published = analyst.execute(
            "SELECT count(*) FROM articles WHERE text LIKE '%readers like you%'"
        ).fetchall()
    finally:
        analyst.close()
    assert published == [(0,)]


# ------------------------------------------------------------------------------------ stories about a country


def test_spikes_of_stories_about_a_country_apart_from_passing_mentions(tmp_path):
    """Two US stories a day (one about the US) for 20 days; on day 20 six more name the US in passing, and on
    day 21 six more are about it: the mention spike is flagged on both days, the about spike on day 21 only."""
    d0 = date(2026, 10, 1)
    docs = []
    for i in range(22):
        day = d0 + timedelta(days=i)
        docs += [
            Doc(f"about{i}", day, countries={"US": 3}, about=("US",)),
            Doc(f"passing{i}", day, countries={"US": 1}),
        ]
        extra = 6 if i in (20, 21) else 0
        docs += [
            Doc(f"x{i}-{j}", day, countries={"US": 2}, about=("US",) if i == 21 else ()) for j in range(extra)
        ]
    paths = Paths(tmp_path / "data")
    con = warehouse_connection(paths)
    insert_docs(con, docs)
    recompute_days(con, [d0 + timedelta(days=i) for i in range(22)])
    rows = con.execute(
        "SELECT day, stories, spike, stories_about, z_28d_about, spike_about FROM daily_country "
        "WHERE country = 'US' AND day >= ? ORDER BY day",
        [d0 + timedelta(days=19)],
    ).fetchall()
    con.close()
    flags = [(r[1], r[2], r[3], r[5]) for r in rows]
    assert flags == [(2, False, 1, False), (8, True, 1, False), (8, True, 7, True)]
    assert rows[2][4] >= 3 and rows[1][4] == 0  # z of the about series: no change on the passing day


def test_the_digest_leads_with_spikes_about_a_country_and_names_mention_only_spikes():
    from newsmon.digest import Facts, Figure, _spike_phrase

    passing = Figure(key="US", kind="country", stories=8, mean_28d=2.0, z_28d=4.2, ratio_28d=4.0, spike=True)
    passing.stories_about, passing.spike_about = 1, False
    about = Figure(key="CN", kind="country", stories=6, mean_28d=2.0, z_28d=3.1, ratio_28d=3.0, spike=True)
    about.stories_about, about.spike_about = 5, True
    pair = Figure(key="CN-US", kind="pair", stories=5, mean_28d=1.0, z_28d=3.5, ratio_28d=5.0, spike=True)
    facts = Facts(date(2026, 11, 13), 20, 20, {}, [passing, about], [pair], "sentence", [])
    assert [f.key for f in facts.spikes] == ["CN-US", "CN", "US"]  # the mention-only spike comes last
    assert "mentions only: 1 of them about it" in _spike_phrase(passing, facts)
    assert "mentions only" not in _spike_phrase(about, facts) + _spike_phrase(pair, facts)
