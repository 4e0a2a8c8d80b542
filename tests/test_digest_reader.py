"""Digest details for readers (issue 15): clean links, an unsubscribe header and line, a footer in plain words,
the SPIKE rule beside the table, and a hint for headlines in other languages. Built from the demo corpus."""

from __future__ import annotations

import pytest
from helpers_explorer import demo_corpus
from newsmon.digest import build_digest, canonical_link, gloss


@pytest.fixture(scope="module")
def spike_digest(tmp_path_factory):
    p, spike = demo_corpus(tmp_path_factory.mktemp("demo"))
    return build_digest(p.analyst_db, spike, ["reader@example.org"])


def test_links_lose_tracking_parameters_only():
    url = "https://news.example/a?id=7&utm_source=rss&utm_medium=feed&fbclid=x&page=2#top"
    assert canonical_link(url) == "https://news.example/a?id=7&page=2#top"
    assert canonical_link("https://news.example/a") == "https://news.example/a"
    assert canonical_link("https://news.example/a?utm_campaign=z") == "https://news.example/a"


def test_gloss_names_the_english_copy_or_the_language():
    assert gloss("zh", "China and Russia sign deals") == "English copy: China and Russia sign deals"
    assert gloss("ru", None) == "in Russian"
    assert gloss("en", "x") == "" and gloss(None, None) == ""


def test_message_has_list_unsubscribe_and_a_footer_for_readers(spike_digest):
    msg = spike_digest.message("reader@example.org", "newsmon <digest@news.example>")
    assert msg["List-Unsubscribe"] == "<mailto:digest@news.example?subject=unsubscribe>"
    for body in (spike_digest.text, spike_digest.html):
        assert "docs/analysts.md" not in body
        assert "To stop it, reply with" in body and "copies of it in other outlets count once" in body


def test_spike_rule_sits_beside_the_table(spike_digest):
    assert "SPIKE" in spike_digest.text
    rule = "SPIKE: at least 3 stories, 2x the mean or more, and 3 standard deviations above it"
    assert rule in spike_digest.text and rule in spike_digest.html
    table = spike_digest.text.split("WHAT MOVED")[1].split("\n\n")[0]
    assert rule in table  # in the table's own block, not lost at the bottom


def test_foreign_language_headlines_get_a_hint(spike_digest):
    stories = [s for group in spike_digest.facts["stories"].values() for s in group]
    foreign = [s for s in stories if s["gloss"]]
    assert foreign, "the demo's Chinese and Russian summit stories are in the digest"
    assert all(s["gloss"].startswith(("English copy: ", "in ")) for s in foreign)
    for s in foreign:
        assert f"({s['gloss']})" in spike_digest.text
    assert all("utm_" not in s["url"] for s in stories)
