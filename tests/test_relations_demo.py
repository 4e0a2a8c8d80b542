"""The demo corpus's stories with known relations (demo.stories.RELATION_STORIES) through the real pipeline: each
story holds exactly the relations it was written with, daily_relation counts them on their day and in their
direction, and that day's digest says how ties moved with their sentences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers_explorer import demo_corpus
from newsmon.demo.corpus import RELATION_DAYS, build_corpus
from newsmon.demo.stories import RELATION_STORIES
from newsmon.reader import open_analyst


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_corpus(tmp_path_factory.mktemp("demo"))


def _rows(p, sql: str, params: list | None = None) -> list[tuple]:
    con = open_analyst(p.analyst_db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_relation_stories_are_in_the_corpus_after_the_spike():
    corpus = build_corpus()
    by_topic = {a.topic: a for a in corpus.articles}
    for topic in RELATION_STORIES:
        article = by_topic[topic.key]
        assert article.day == corpus.spike_day + timedelta(days=RELATION_DAYS[topic.key]) > corpus.spike_day
        assert article.day <= corpus.end_day and topic.relations
        assert {c for s, t, _ in topic.relations for c in (s, t)} == set(topic.countries)
    classes = {cls for topic in RELATION_STORIES for _, _, cls in topic.relations}
    assert classes == {"material_conflict", "verbal_conflict", "material_cooperation", "verbal_cooperation"}


@pytest.mark.parametrize("topic", RELATION_STORIES, ids=lambda t: t.key)
def test_each_story_holds_exactly_its_known_relations_on_its_day(demo, topic):
    p, spike = demo
    day = spike + timedelta(days=RELATION_DAYS[topic.key])
    found = _rows(
        p,
        "SELECT DISTINCT day, source, target, class FROM relation_evidence WHERE title = ? ORDER BY ALL",
        [topic.titles[0]],
    )
    assert found == sorted((day, *r) for r in topic.relations)
    daily = {
        (s, t, cls): (stories, sentences)
        for s, t, cls, stories, sentences in _rows(
            p,
            "SELECT source, target, class, stories, sentences FROM daily_relation WHERE day = ? AND stories > 0",
            [day],
        )
    }
    for relation in topic.relations:
        assert daily[relation][0] >= 1 and daily[relation][1] >= 1, (relation, daily)


def test_sanctions_and_accusations_day_in_the_tables_and_the_digest(demo):
    """US sanctions on Russian banks (material conflict US->RU, answered by an accusation RU->US) and the US-China
    exchange of accusations (verbal conflict both ways), on the same day: only conflict between those pairs."""
    from newsmon.digest import build_digest

    p, spike = demo
    day = spike + timedelta(days=RELATION_DAYS["bank-sanctions"])
    assert RELATION_DAYS["port-hacking"] == RELATION_DAYS["bank-sanctions"]
    daily = _rows(
        p,
        "SELECT source, target, class, stories FROM daily_relation WHERE day = ? AND stories > 0 ORDER BY ALL",
        [day],
    )
    assert daily == [
        ("CN", "US", "verbal_conflict", 1),
        ("RU", "US", "verbal_conflict", 1),
        ("US", "CN", "verbal_conflict", 1),
        ("US", "RU", "material_conflict", 1),
    ]
    assert _rows(
        p,
        "SELECT pair, cooperation_stories, conflict_stories, share FROM daily_cooperation "
        "WHERE day = ? AND stories > 0 ORDER BY pair",
        [day],
    ) == [("CN-US", 0, 1, 0.0), ("RU-US", 0, 1, 0.0)]
    digest = build_digest(p.analyst_db, day)
    ties = digest.text.split("HOW TIES MOVED")[1].split("TREND:")[0]
    assert "China-US: 0% cooperation (0 cooperation, 1 conflict stories)" in ties
    assert "Russia-US: 0% cooperation (0 cooperation, 1 conflict stories)" in ties
    assert '- US -> Russia, material conflict (1 story), Meridian Wire: "' in ties
    assert (
        "- Russia -> US, verbal conflict (1 story), Meridian Wire: \"Russia's foreign ministry accused"
        in ties
    )
    assert "China -> US, verbal conflict" in ties and "US -> China, verbal conflict" in ties
    assert "How ties moved" in digest.html and "accused Washington of waging economic war" in digest.html


def test_summit_day_shows_cooperation_both_ways_against_the_conflict_before(demo):
    from newsmon.digest import build_digest

    p, spike = demo
    day = spike + timedelta(days=RELATION_DAYS["singapore-summit"])
    daily = {
        (s, t, cls): n
        for s, t, cls, n in _rows(
            p,
            "SELECT source, target, class, stories FROM daily_relation WHERE day = ? AND stories > 0",
            [day],
        )
    }
    for direction in (("CN", "US"), ("US", "CN")):
        assert (
            daily[(*direction, "material_cooperation")] >= 1
            and daily[(*direction, "verbal_cooperation")] >= 1
        )
    assert not any(cls.endswith("conflict") for _, _, cls in daily)
    (share, share_28d), *_ = _rows(
        p, "SELECT share, share_28d FROM daily_cooperation WHERE day = ? AND pair = 'CN-US'", [day]
    )
    assert share == 1.0 and share_28d < 1.0  # the exchange of accusations the day before is in the baseline
    digest = build_digest(p.analyst_db, day)
    tie = next(t for t in digest.facts["ties"] if t["pair"] == "CN-US")
    assert tie["conflict"] == 0 and tie["cooperation"] >= 1
    ties = digest.text.split("HOW TIES MOVED")[1].split("TREND:")[0]
    # the summit story has the most relation sentences of the pair that day, so its outlet gives the evidence
    assert "China-US: 100% cooperation" in ties and 'cooperation (2 stories), Pacific Sentinel: "' in ties
