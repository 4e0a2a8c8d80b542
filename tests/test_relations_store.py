"""Relations from tagging to the analyst database: staged with the articles, loaded into `relations` with their
sentence once, published (incremental equals full), refreshed by retag, counted in daily_relation and
daily_cooperation with baselines, idempotent per day, and shown by `newsmon trends --relations`."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from helpers_explorer import copy_of_demo_corpus
from newsmon.aggregates import recompute_days, run_daily
from newsmon.config import Paths
from newsmon.dedupe import content_hash, simhash
from newsmon.models import Article
from newsmon.relations import default_finder
from newsmon.tagging import default_tagger
from newsmon.warehouse import load_pending, open_warehouse, publish, replace_tags, stage_batch

SUMMIT = (
    "Xi Jinping and Vladimir Putin signed agreements on natural gas in Moscow on Tuesday.\n"
    "Washington imposed sanctions on Russian banks the same day. Markets were calm."
)
ACCUSATION = "Beijing accused Washington of bullying. Washington criticised Beijing over the drills."
NOTHING = "A ferry service between two Baltic islands resumed after storms closed the harbour."


def tagged_article(
    n: int, text: str, when: datetime, source: str = "wire", story_of: int | None = None
) -> Article:
    """An article tagged and related as the pipeline's tagging step does it."""
    url = f"https://{source}.example/news/{n}"
    tags = default_tagger().tag_article(f"Story {n}", text, when)
    finder = default_finder()
    a = Article(
        article_id=f"{n:016x}",
        url=url,
        canonical_url=url,
        guid=None,
        feed=source,
        source=source,
        title=f"Story {n}",
        text=text,
        text_source="page",
        published_at=when,
        published_from="page",
        fetched_at=when,
        content_hash=content_hash(text),
        simhash=simhash(text),
        mentions=tags.mentions,
        countries=tags.countries,
        pairs=tags.pairs,
        watchlist_version=tags.watchlist_version,
    )
    a.relations, a.lexicon_version = finder.find(a.mentions, a.text, a.title), finder.version
    return a


def rows(db, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    finally:
        con.close()


DAY = datetime(2026, 11, 20, 9, tzinfo=UTC)


@pytest.fixture
def loaded(tmp_path) -> Paths:
    paths = Paths(tmp_path / "data").ensure()
    stage_batch(paths.staging, "b0", [tagged_article(1, SUMMIT, DAY), tagged_article(2, NOTHING, DAY)])
    load_pending(paths)
    stage_batch(paths.staging, "b1", [tagged_article(3, ACCUSATION, DAY + timedelta(days=1))])
    load_pending(paths)
    return paths


def test_relations_are_stored_with_their_sentence_once_and_the_lexicon_version(loaded):
    publish(loaded)
    got = rows(
        loaded.analyst_db,
        "SELECT article_id, sentence, source, target, class, cue, reported, lexicon_version FROM relations ORDER BY ALL",
    )
    version = default_finder().version
    assert got == [
        (f"{1:016x}", 0, "CN", "RU", "material_cooperation", "signed agreements", False, version),
        (f"{1:016x}", 0, "RU", "CN", "material_cooperation", "signed agreements", False, version),
        (f"{1:016x}", 1, "US", "RU", "material_conflict", "imposed sanctions", False, version),
        (f"{3:016x}", 0, "CN", "US", "verbal_conflict", "accused", False, version),
        (f"{3:016x}", 1, "US", "CN", "verbal_conflict", "criticised", False, version),
    ]
    evidence = rows(
        loaded.analyst_db,
        "SELECT source, target, evidence, outlet FROM relation_evidence WHERE class = 'material_conflict'",
    )
    assert evidence == [("US", "RU", "Washington imposed sanctions on Russian banks the same day.", "wire")]
    # the sentence is stored once, however many relations stand in it
    assert rows(
        loaded.analyst_db,
        "SELECT count(*) FROM sentences WHERE article_id = ? AND sentence = 0",
        [f"{1:016x}"],
    ) == [(1,)]


def test_incremental_publish_of_relations_equals_a_full_rebuild(loaded, tmp_path):
    publish(loaded)
    stage_batch(
        loaded.staging, "b2", [tagged_article(4, ACCUSATION, DAY + timedelta(days=2), source="courier")]
    )
    load_pending(loaded)
    publish(loaded)
    incremental = rows(loaded.analyst_db, "SELECT * FROM relations ORDER BY ALL")
    full_dir = tmp_path / "full"
    shutil.copytree(loaded.data_dir, full_dir)
    publish(Paths(full_dir), full=True)
    assert rows(Paths(full_dir).analyst_db, "SELECT * FROM relations ORDER BY ALL") == incremental
    assert len(incremental) == 7


def test_a_batch_staged_before_relations_existed_still_loads(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    batch = stage_batch(paths.staging, "old", [tagged_article(1, SUMMIT, DAY)])
    (batch / "relations.parquet").unlink()
    load_pending(paths)
    assert not (paths.staging / "failed").exists() or not any((paths.staging / "failed").iterdir())
    with open_warehouse(paths) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM relations").fetchone()[0] == 0


def test_retag_replaces_relations(loaded):
    with open_warehouse(loaded) as con:
        article_id = f"{3:016x}"
        text = "Beijing praised Washington for its restraint."
        tags = default_tagger().tag_article(None, text, DAY)
        finder = default_finder()
        replace_tags(con, [(article_id, tags)], {article_id: (finder.find(tags.mentions, text), "v-test")})
        got = con.execute(
            "SELECT source, target, class, lexicon_version FROM relations WHERE article_id = ?", [article_id]
        ).fetchall()
    assert got == [("CN", "US", "verbal_cooperation", "v-test")]


def test_daily_relation_and_cooperation_share_are_idempotent(loaded):
    run_daily(loaded, days=[date(2026, 11, 20), date(2026, 11, 21)])
    db = loaded.analyst_db
    day1 = rows(
        db,
        "SELECT source, target, class, sentences, articles, stories FROM daily_relation "
        "WHERE day = '2026-11-20' AND stories > 0 ORDER BY ALL",
    )
    assert day1 == [
        ("CN", "RU", "material_cooperation", 1, 1, 1),
        ("RU", "CN", "material_cooperation", 1, 1, 1),
        ("US", "RU", "material_conflict", 1, 1, 1),
    ]
    # every ordered pair of the three countries and every class has a row each day, zeros included
    assert rows(db, "SELECT count(*) FROM daily_relation WHERE day = '2026-11-21'") == [(24,)]
    share = rows(
        db,
        "SELECT day, pair, cooperation_stories, conflict_stories, stories, share, share_28d FROM daily_cooperation "
        "ORDER BY day, pair",
    )
    assert share == [
        (date(2026, 11, 20), "CN-RU", 1, 0, 1, 1.0, None),
        (date(2026, 11, 20), "CN-US", 0, 0, 0, None, None),
        (date(2026, 11, 20), "RU-US", 0, 1, 1, 0.0, None),
        (date(2026, 11, 21), "CN-RU", 0, 0, 0, None, 1.0),
        (date(2026, 11, 21), "CN-US", 0, 1, 1, 0.0, None),
        (date(2026, 11, 21), "RU-US", 0, 0, 0, None, 0.0),
    ]
    before = (
        rows(db, "SELECT * FROM daily_relation ORDER BY ALL"),
        rows(db, "SELECT * FROM daily_cooperation ORDER BY ALL"),
    )
    with open_warehouse(loaded) as con:
        recompute_days(con, [date(2026, 11, 21), date(2026, 11, 20)])
    publish(loaded)
    after = (
        rows(db, "SELECT * FROM daily_relation ORDER BY ALL"),
        rows(db, "SELECT * FROM daily_cooperation ORDER BY ALL"),
    )
    assert after == before


def test_relation_spike_follows_the_rule_of_the_other_tables(tmp_path):
    """Thirty quiet days of one US-China criticism a day, then a day of eight: a spike, as in daily_pair."""
    paths = Paths(tmp_path / "data").ensure()
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    articles = [tagged_article(i, ACCUSATION, start + timedelta(days=i), source=f"s{i}") for i in range(30)]
    burst = start + timedelta(days=30)
    articles += [
        tagged_article(100 + j, ACCUSATION + f" Story {j}.", burst, source=f"b{j}") for j in range(8)
    ]
    stage_batch(paths.staging, "all", articles)
    load_pending(paths)
    run_daily(paths, days=[(start + timedelta(days=i)).date() for i in range(31)])
    got = rows(
        paths.analyst_db,
        "SELECT day, stories, round(mean_28d, 2), spike FROM daily_relation "
        "WHERE source = 'CN' AND target = 'US' AND class = 'verbal_conflict' AND day >= '2026-10-30' ORDER BY day",
    )
    assert got == [(date(2026, 10, 30), 1, 1.0, False), (date(2026, 10, 31), 8, 1.0, True)]
    coop = rows(
        paths.analyst_db,
        "SELECT stories, spike FROM daily_cooperation WHERE pair = 'CN-US' AND day = '2026-10-31'",
    )
    assert coop == [(8, True)]


def test_trends_relations_cli(loaded, capsys, monkeypatch):
    from newsmon.cli import main

    run_daily(loaded, days=[date(2026, 11, 20), date(2026, 11, 21)])
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(loaded.data_dir))
    assert main(["trends", "--relations", "us-cn", "--days", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert set(out[1]) == {"─"}  # the rule under the header (rich's table)
    lines = {line.split()[0] + " " + line.split()[1]: line for line in out[2:10]}
    assert set(lines) == {
        f"{a} {c}"
        for a in ("CN->US", "US->CN")
        for c in ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")
    }
    assert lines["CN->US verbal_conflict"].split()[-1] == "1"  # total stories over the two days
    assert lines["CN->US material_conflict"].split()[-1] == "0"
    assert "CN-US cooperation share" in out[10] and "latest 0.00 on 2026-11-21" in out[10]
    assert main(["trends", "--relations", "CN-RU-US"]) == 2
    assert "two country codes" in capsys.readouterr().err


def test_digest_shows_how_ties_moved_with_the_strongest_relations(loaded):
    from newsmon.digest import build_digest

    run_daily(loaded, days=[date(2026, 11, 20), date(2026, 11, 21)])
    digest = build_digest(loaded.analyst_db, date(2026, 11, 21))
    ties = digest.facts["ties"]
    assert [(t["pair"], t["cooperation"], t["conflict"], t["share"], t["share_28d"]) for t in ties] == [
        ("CN-US", 0, 1, 0.0, None)
    ]
    assert [(r["source"], r["target"], r["cls"]) for r in ties[0]["relations"]] == [
        ("CN", "US", "verbal_conflict"),
        ("US", "CN", "verbal_conflict"),
    ]
    assert "HOW TIES MOVED" in digest.text
    assert "China-US: 0% cooperation (0 cooperation, 1 conflict stories), no baseline yet" in digest.text
    assert (
        '- China -> US, verbal conflict (1 story), wire: "Beijing accused Washington of bullying."'
        in digest.text
    )
    assert "How ties moved" in digest.html and "Beijing accused Washington of bullying." in digest.html
    # the day before: China-Russia all cooperation, Russia-US all conflict, each with its sentence
    before = build_digest(loaded.analyst_db, date(2026, 11, 20))
    assert [(t["pair"], t["share"]) for t in before.facts["ties"]] == [("CN-RU", 1.0), ("RU-US", 0.0)]
    assert "Washington imposed sanctions on Russian banks the same day." in before.text


@pytest.mark.slow
def test_demo_corpus_relations_reach_the_daily_tables_and_the_digest(tmp_path_factory, tmp_path):
    """The demo corpus through the real pipeline (a copy of the session's one run, helpers_explorer): the planted China-Russia summit (agreements signed) shows as
    cooperation both ways on its day, the climate-talks exchange of blame as US-China conflict both ways, and the
    summit day's digest says how ties moved with a sentence."""
    from newsmon.demo.corpus import SPIKE_OFFSET
    from newsmon.digest import build_digest

    paths = copy_of_demo_corpus(tmp_path_factory.mktemp("demo"), tmp_path / "data")
    lo, hi = rows(paths.analyst_db, "SELECT min(day), max(day) FROM articles")[0]
    run_daily(paths, days=[lo + timedelta(days=i) for i in range((hi - lo).days + 1)])
    db = paths.analyst_db
    summit = rows(db, "SELECT max(day) FROM spikes WHERE key = 'CN-RU'")[0][0]
    assert summit is not None and (hi - summit).days <= SPIKE_OFFSET + 1
    by_class = dict(
        ((src, tgt, cls), stories)
        for src, tgt, cls, stories in rows(
            db,
            "SELECT source, target, class, stories FROM daily_relation WHERE day = ? AND stories > 0",
            [summit],
        )
    )
    for direction in (("CN", "RU"), ("RU", "CN")):
        assert (
            by_class.get((*direction, "material_cooperation"), 0) >= 2
        )  # agreements signed, in several stories
        assert by_class.get((*direction, "verbal_cooperation"), 0) >= 2
    assert not any(cls.endswith("conflict") and {s, t} == {"CN", "RU"} for s, t, cls in by_class)
    assert rows(db, "SELECT share FROM daily_cooperation WHERE day = ? AND pair = 'CN-RU'", [summit]) == [
        (1.0,)
    ]
    blame = rows(
        db,
        "SELECT DISTINCT source, target FROM relation_evidence WHERE class = 'verbal_conflict' "
        "AND evidence ILIKE '%climate%' ORDER BY ALL",
    )
    assert blame == [("CN", "US"), ("US", "CN")]
    digest = build_digest(db, summit)
    assert "HOW TIES MOVED" in digest.text and "China-Russia: 100% cooperation" in digest.text
    assert any(r["cls"] == "material_cooperation" for r in digest.facts["ties"][0]["relations"])


def test_strongest_relation_evidence_is_the_same_every_run_and_from_one_row(tmp_path):
    """Two outlets' stories tie on copies: the earliest article wins, and its outlet comes with its sentence."""
    from newsmon.reader import open_analyst, strongest_relations

    paths = Paths(tmp_path / "data").ensure()
    late = "Washington accused Beijing of bullying its neighbours at sea."
    early = "Washington accused Beijing of spying on port systems."
    stage_batch(
        paths.staging,
        "b0",
        [
            tagged_article(1, late, DAY + timedelta(hours=3), source="zeta"),
            tagged_article(2, early, DAY, source="alpha-late-name"),
        ],
    )
    load_pending(paths)
    run_daily(paths, days=[date(2026, 11, 20)])
    picks = set()
    for _ in range(5):
        con = open_analyst(paths.analyst_db)
        try:
            picks.add(
                tuple((r["outlet"], r["evidence"]) for r in strongest_relations(con, DAY.date(), "CN-US", 5))
            )
        finally:
            con.close()
    assert picks == {(("alpha-late-name", early),)}
