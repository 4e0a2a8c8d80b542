"""The term index of newsmon.search (search_index.py): the same answers as the plain scan, on the demo corpus
published by the real pipeline and on hand-made rows chosen to trip a word index (parts of words, punctuation,
double spaces, line breaks, Cyrillic and Chinese, titles without sentences), kept up to date row by row."""

from __future__ import annotations

import duckdb
import pytest
from helpers_explorer import demo_corpus
from newsmon import search_index
from newsmon.reader import open_analyst
from newsmon.search import search


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_corpus(tmp_path_factory.mktemp("demo"))


def _same(con, phrase, **kwargs):
    fast = search(con, phrase, **kwargs)
    slow = search(con, phrase, use_index=False, **kwargs)
    assert not slow.index
    assert fast.days == slow.days, phrase
    assert fast.stories == slow.stories, phrase
    return fast


def test_the_published_demo_has_a_current_index_that_answers_as_the_scan(demo):
    p, spike = demo
    con = open_analyst(p.analyst_db)
    try:
        assert search_index.is_current(con)
        words = [
            r[0] for r in con.execute("SELECT term FROM search_terms ORDER BY units DESC LIMIT 40").fetchall()
        ]
        phrases = ["Pipeline Framework", "gas pipeline framework", "secondary sanctions", "summit", "ummi",
                   "sanctions.", "Russia's", "china-russia", "xyzzy never", *words[::4]]  # fmt: skip
        found = 0
        for phrase in phrases:
            if len(phrase) < 2:
                continue
            for kwargs in ({}, {"pair": "CN-RU"}, {"country": "RU"}):
                result = _same(con, phrase, days=60, **kwargs)
                found += result.total_articles
        assert found > 0
        spiky = _same(con, "pipeline framework", pair="CN-RU", days=30)
        assert spiky.index and max(spiky.days, key=lambda d: d["stories"])["day"] == spike
    finally:
        con.close()


TEXTS = [
    ("a1", "Sanctions on Russia", ["New sanctions  on Russia were set.", "Talks\non Russia's gas."]),
    ("a2", "Санкции против России", ["Новые санкции против России.", "Газ и нефть"]),
    ("a3", "中国对俄罗斯的制裁", ["中国宣布新的制裁措施。", "Trade talks, on hold."]),
    ("a4", None, ["U.S. sanctions on Russia, again.", "sanctioned entities on Russia-linked lists"]),
    ("a5", "Über die Sanktionen", ["Die Sanktionen gegen Russland.", "ÉNERGIE et gaz"]),
]
PHRASES = [
    "sanctions on russia", "new sanctions on russia", "sanctions  on", "sanctions on", "on russia", "on russia's",
    "russia's gas", "talks\non", "ns on ru", "anction", "sanction", "u.s.", "u.s. sanctions", "s. sanctions",
    "russia,", "russia-linked", "-linked", "санкции", "санкции против", "против россии.", "中国", "制裁", "的制裁措施",
    "über", "sanktionen gegen", "énergie", "talks, on", "on hold.", "gas", "as.", "xyzzy", ", on", "  ",
]  # fmt: skip


def _make(db, texts) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE articles (article_id VARCHAR, story_id VARCHAR, day DATE, source VARCHAR, url VARCHAR, "
        "title VARCHAR, text VARCHAR, published_at TIMESTAMPTZ, fetched_at TIMESTAMPTZ, countries VARCHAR[], "
        "pairs_sentence VARCHAR[], pairs_paragraph VARCHAR[], pairs_article VARCHAR[])"
    )
    con.execute("CREATE TABLE sentences (article_id VARCHAR, sentence INTEGER, text VARCHAR)")
    _add(con, texts)
    return con


def _add(con, texts) -> None:
    for n, (article_id, title, sentences) in enumerate(texts):
        con.execute(
            "INSERT INTO articles VALUES (?, ?, DATE '2026-11-01' + ?::INTEGER, 'Outlet', 'https://x.example/' || ?, "
            "?, ?, NULL, TIMESTAMPTZ '2026-11-01 09:00:00+00', ['CN', 'RU'], ['CN-RU'], ['CN-RU'], ['CN-RU'])",
            [article_id, article_id, n % 3, article_id, title, " ".join(sentences)],
        )
        for i, text in enumerate(sentences):
            con.execute("INSERT INTO sentences VALUES (?, ?, ?)", [article_id, i, text])


def test_hand_made_rows_give_the_scan_s_answer(tmp_path):
    con = _make(tmp_path / "a.duckdb", TEXTS)
    try:
        assert search_index.update_index(con)["mode"] == "full"
        for phrase in PHRASES:
            if len(phrase.strip()) < 2:
                continue
            fast = _same(con, phrase, days=10)
            assert fast.index or not search_index.phrase_runs(con, phrase.lower()), phrase
    finally:
        con.close()


def test_the_expected_articles_are_found(tmp_path):
    con = _make(tmp_path / "a.duckdb", TEXTS)
    try:
        search_index.update_index(con)
        hits = {p: {s["article_id"] for s in search(con, p, days=10).stories} for p in PHRASES[:14]}
    finally:
        con.close()
    assert hits["sanctions on russia"] == {"a1", "a4"}  # a1's title; a4's sentence (not "sanctions  on")
    assert hits["sanctions  on"] == hits["sanctions on"]  # whitespace in a phrase is one space (clean_phrase)
    assert hits["talks\non"] == set()  # so "talks on", which no text has (a1 has a line break there)
    assert hits["new sanctions on russia"] == set()  # a1's sentence has two spaces
    assert hits["anction"] == {"a1", "a4"} and hits["u.s."] == {"a4"}
    assert hits["on russia's"] == {"a1"} and hits["ns on ru"] == {"a1", "a4"}


def test_appended_rows_are_indexed_and_a_deletion_rebuilds(tmp_path):
    con = _make(tmp_path / "a.duckdb", TEXTS[:2])
    try:
        assert search_index.update_index(con)["mode"] == "full"
        _add(con, TEXTS[2:])
        assert not search_index.is_current(con)
        before = search(con, "sanctions on russia", days=10)
        assert not before.index  # a stale index is not used
        step = search_index.update_index(con)
        assert step["mode"] == "append" and step["units"] == 2 + 6  # two titles (a4 has none), six sentences
        for phrase in PHRASES:
            if len(phrase.strip()) >= 2:
                _same(con, phrase, days=10)
        con.execute("DELETE FROM sentences WHERE article_id = 'a1'")
        con.execute("INSERT INTO sentences VALUES ('a1', 9, 'a new line on tariffs')")
        assert search_index.update_index(con)["mode"] == "full"  # row numbers moved: rebuilt
        assert {s["article_id"] for s in _same(con, "on tariffs", days=10).stories} == {"a1"}
    finally:
        con.close()


def test_a_phrase_in_most_units_is_left_to_the_scan(tmp_path, monkeypatch):
    con = _make(tmp_path / "a.duckdb", TEXTS)
    try:
        search_index.update_index(con)
        monkeypatch.setattr(search_index, "SCAN_MIN_UNITS", 0)
        monkeypatch.setattr(search_index, "SCAN_SHARE", 0.1)
        assert not _same(con, "on", days=10).index  # in more than 10% of the units
        assert _same(con, "制裁措施", days=10).index  # in one of 18
    finally:
        con.close()


def test_rows_moved_by_a_list_update_rebuild_the_index(tmp_path):
    """An UPDATE of a list column is a delete and an insert; after a checkpoint other rows sit at the old row
    numbers, which the index must notice (its fingerprint of keys by row number) rather than point at them."""
    con = _make(tmp_path / "a.duckdb", TEXTS)
    try:
        search_index.update_index(con)
        con.execute("UPDATE articles SET countries = ['CN'] WHERE article_id IN ('a1', 'a2')")
        con.execute("CHECKPOINT")
        step = search_index.update_index(con)
        assert step["mode"] == "full"
        for phrase in ("sanctions on russia", "санкции", "anction", "制裁"):
            assert _same(con, phrase, days=10).index
    finally:
        con.close()


def test_the_fingerprint_sees_rows_that_a_checkpoint_moved_onto_dense_row_numbers(tmp_path):
    con = duckdb.connect(str(tmp_path / "big.duckdb"))
    try:
        con.execute(
            "CREATE TABLE articles AS SELECT printf('%016x', range) AS article_id, ['CN'] AS countries "
            "FROM range(300000)"
        )
        con.execute(
            "CREATE TABLE sentences AS SELECT printf('%016x', range) AS article_id, 0 AS sentence FROM range(10)"
        )
        con.execute("CHECKPOINT")
        db = '"big"'
        before = search_index._fingerprint(con, db, 0, 300000, 0, 10)
        con.execute("UPDATE articles SET countries = ['RU'] WHERE hash(article_id) % 3 = 0")
        con.execute("CHECKPOINT")
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 300000
        after = search_index._fingerprint(con, db, 0, 300000, 0, 10)
        moved = con.execute(
            "SELECT count(*) FROM articles WHERE rowid <> ('0x' || article_id)::BIGINT"
        ).fetchone()[0]
        assert moved > 0 and after[0] != before[0] and after[1] == before[1]
    finally:
        con.close()


# Texts chosen for their separators: ". ", ", ", "-", quotes, a dash, an ellipsis, tabs and double spaces,
# case, letters with combining marks, Cyrillic, Chinese, a phrase at the very end or start of a text.
PUNCTUATED = [
    ("p1", "U.S. Sanctions on Russia, again", ["He said: \"sanctions on Russia.\" Then he left.",
                                             "Sanctions on Russia-linked firms — and more…"]),
    ("p2", "«Санкции» против России.", ["Санкции против России. Новые санкции, снова.", "...on russia"]),
    ("p3", "中国对俄罗斯的制裁。", ["制裁，再次。", "Ends with on russia."]),
    ("p4", "ÉNERGIE, gaz; pétrole!", ["Cafe\u0301 talks\ton  russia", "'Gas' – \"on russia\"? (maybe)"]),
    ("p5", None, ["on russia.", "sanctions on russia. sanctions on russia,", "x-y-z, on-russia.on"]),
]  # fmt: skip
PUNCTUATED_PHRASES = [
    "on russia.", "russia.", "on russia,", "russia,", ", again", "russia, again", "u.s. sanctions", "u.s.",
    ".s.", "s. s", "s on russia.\"", "\"sanctions on russia.\"", ": \"sanctions", "russia-linked", "-linked",
    "a-l", "— and", "more…", "санкции против россии.", "«санкции»", "» против", "россии. новые",
    "санкции, снова.", "...on russia", "..on", "中国对", "的制裁。", "制裁，再", "ends with on russia.",
    "énergie, gaz;", "gaz; pétrole!", "pétrole!", "e\u0301 talks", "cafe\u0301", "cafe", "talks\ton",
    "on  russia", "'gas' –", "– \"on russia\"?", "\"? (maybe)", "(maybe)", "russia. sanctions", "x-y-z, on-russia.on",
    "z, on-", "russia.on", ".on", "on-russia", "left. sanctions", "again he said", "russia. then",
    "then he left.", "left.", "s, s",
]  # fmt: skip


def _expected_units(con, needle: str) -> set[int]:
    """The units that hold the needle, by the scan's predicate."""
    rows = con.execute(
        "SELECT -1 - rowid FROM articles WHERE contains(lower(title), $n) "
        "UNION ALL SELECT rowid FROM sentences WHERE contains(lower(text), $n)",
        {"n": needle},
    ).fetchall()
    return {r[0] for r in rows}


def _index_units(con, needle: str) -> set[int] | None:
    if not search_index.find_units(con, needle):
        return None
    units = {r[0] for r in con.execute("SELECT unit FROM search_units").fetchall()}
    con.execute("DROP TABLE search_units")
    return units


def test_punctuated_phrases_are_answered_by_the_index_alone_as_the_scan(tmp_path):
    con = _make(tmp_path / "p.duckdb", PUNCTUATED)
    try:
        search_index.update_index(con)
        for phrase in PUNCTUATED_PHRASES:
            fast = _same(con, phrase, days=10)
            assert fast.index, phrase  # every phrase with a letter in it: no text is read
            assert _index_units(con, phrase.lower()) == _expected_units(con, phrase.lower()), phrase
        hits = {p: {s["article_id"] for s in search(con, p, days=10).stories} for p in PUNCTUATED_PHRASES}
    finally:
        con.close()
    assert hits["on russia."] == {"p1", "p3", "p5"}  # inside quotes, at the end of a sentence, a whole sentence
    assert hits["russia,"] == {"p1", "p5"} and hits["on russia,"] == {"p1", "p5"}
    assert hits["u.s."] == {"p1"} and hits[".s."] == {"p1"} and hits["s. s"] == {"p1"}
    assert hits["-linked"] == {"p1"} and hits["a-l"] == {"p1"} and hits["more…"] == {"p1"}
    assert hits["санкции против россии."] == {"p2"} and hits["» против"] == {"p2"}
    assert hits["...on russia"] == {"p2"} and hits["..on"] == {"p2"} and hits[".on"] == {"p2", "p5"}
    assert hits["的制裁。"] == {"p3"} and hits["ends with on russia."] == {"p3"}
    assert hits["e\u0301 talks"] == {"p4"} and hits["cafe"] == {"p4"}  # a combining mark is part of the token
    # the search phrase's whitespace is one space: "talks on" is in no text (a tab there), "on russia" in all
    assert hits["talks\ton"] == set() and hits["on  russia"] == {"p1", "p2", "p3", "p4", "p5"}
    assert hits["russia. sanctions"] == {"p5"} and hits["russia.on"] == {"p5"}
    # a phrase across two evidence sentences, or from the title into a sentence, is not in one text: no match
    assert hits["left. sanctions"] == set() and hits["again he said"] == set() and hits["russia. then"] == set()
    assert hits["then he left."] == {"p1"} and hits["left."] == {"p1"}


def test_any_piece_of_a_text_finds_the_units_the_scan_finds(tmp_path):
    """Every substring around the separators of the texts (and seeded random ones), lower-cased, raw (double
    spaces and tabs kept): the index's units are exactly those whose text contains it."""
    import random

    con = _make(tmp_path / "p.duckdb", PUNCTUATED + TEXTS)
    try:
        search_index.update_index(con)
        texts = [t for _, title, sentences in PUNCTUATED + TEXTS for t in [title, *sentences] if t]
        rng = random.Random(15)
        needles = set()
        for text in texts:
            low = text.lower()
            for _ in range(12):
                lo = rng.randrange(len(low))
                needles.add(low[lo : lo + rng.randint(1, 14)])
            for at, ch in enumerate(low):  # pieces that start or end at a separator
                if not (ch.isalnum() or ch == "_"):
                    needles.add(low[max(0, at - 4) : at + 1])
                    needles.add(low[at : at + 5])
        needles |= {n.upper() for n in list(needles)[:20]}  # upper case in the needle matches nothing lowered
        checked = 0
        for needle in sorted(needles):
            units = _index_units(con, needle)
            if units is None:  # nothing but separators: the scan answers
                assert not search_index.phrase_runs(con, needle), needle
                continue
            assert units == _expected_units(con, needle), needle
            checked += 1
        assert checked > 300
    finally:
        con.close()


def test_an_index_of_an_older_shape_is_rebuilt(tmp_path):
    con = _make(tmp_path / "a.duckdb", TEXTS)
    try:
        search_index.update_index(con)
        con.execute("ALTER TABLE search_index_state DROP COLUMN version")  # the shape before separators
        assert search_index.index_state(con) is None and not search_index.is_current(con)
        assert not search(con, "on russia", days=10).index
        assert search_index.update_index(con)["mode"] == "full"
        con.execute("UPDATE search_index_state SET version = version + 1")  # a newer or older version
        assert not search_index.is_current(con)
        assert search_index.update_index(con)["mode"] == "full"
        assert _same(con, "russia's gas", days=10).index
    finally:
        con.close()


def test_a_full_build_in_steps_gives_the_index_of_one_step(tmp_path, monkeypatch):
    con = _make(tmp_path / "a.duckdb", PUNCTUATED + TEXTS)
    try:
        search_index.update_index(con)
        one = con.execute("SELECT count(*), sum(hash(t.term, p.unit, p.pos, b.sep, a.sep)) FROM search_postings p "
                          "JOIN search_terms t USING (term_id) JOIN search_separators b ON b.sep_id = p.before "
                          "JOIN search_separators a ON a.sep_id = p.after").fetchone()  # fmt: skip
        monkeypatch.setattr(search_index, "CHUNK_TITLES", 2)
        monkeypatch.setattr(search_index, "CHUNK_SENTENCES", 3)
        con.execute("DROP TABLE search_index_state")
        assert search_index.update_index(con)["mode"] == "full"
        steps = con.execute("SELECT count(*), sum(hash(t.term, p.unit, p.pos, b.sep, a.sep)) FROM search_postings p "
                            "JOIN search_terms t USING (term_id) JOIN search_separators b ON b.sep_id = p.before "
                            "JOIN search_separators a ON a.sep_id = p.after").fetchone()  # fmt: skip
        assert steps == one and one[0] > 100
        units = dict(con.execute("SELECT term, units FROM search_terms").fetchall())
        assert units["russia"] == len(_expected_units(con, "russia"))  # each unit counted once across steps
        for phrase in PUNCTUATED_PHRASES[:12]:
            _same(con, phrase, days=10)
    finally:
        con.close()
