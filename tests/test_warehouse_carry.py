"""One load of several batches: the story index carried from batch to batch (StoryCarry) and the stored texts
read in chunks (StoredTexts) give the stories that batch-by-batch loads give."""

from __future__ import annotations

import duckdb
import pytest
from newsmon import warehouse
from newsmon.config import Paths
from newsmon.dedupe import StoryIndex
from newsmon.warehouse import (
    LoadCounts,
    StoredTexts,
    StoryCarry,
    load_batch,
    load_pending,
    open_warehouse,
    stage_batch,
)
from test_batching import _article, _corpus, _partition, _truth

COLUMNS = "article_id, story_id, duplicate_of, dup_reason, is_wire"


def _batches(corpus: list[dict], n: int) -> list[list[dict]]:
    """The corpus in `n` batches, every n-th article in each: originals and their copies are split apart."""
    return [corpus[i::n] for i in range(n)]


def _stored(paths: Paths) -> tuple[list[tuple], int]:
    with open_warehouse(paths) as con:
        rows = con.execute(f"SELECT {COLUMNS} FROM articles ORDER BY article_id").fetchall()
        merges = con.execute("SELECT count(*) FROM story_merges").fetchone()[0]
    return rows, merges


def _stage(paths: Paths, batches: list[list[dict]]) -> None:
    for n, batch in enumerate(batches):
        stage_batch(paths.staging, f"b{n:04d}", [_article(a) for a in batch])


def test_one_load_of_several_batches_stores_what_one_load_per_batch_stores(tmp_path):
    corpus = _corpus()
    batches = _batches(corpus, 3)
    apart = Paths(tmp_path / "apart").ensure()
    for n, batch in enumerate(batches):  # one load per batch: each restores its stories from the warehouse
        stage_batch(apart.staging, f"b{n:04d}", [_article(a) for a in batch])
        load_pending(apart)
    together = Paths(tmp_path / "together").ensure()
    _stage(together, batches)
    counts = load_pending(together)  # one load: the index of each batch is carried to the next
    assert counts.batches == 3
    assert _stored(together) == _stored(apart)
    with open_warehouse(together) as con:
        stories = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    ids = {_article(a).article_id: a["id"] for a in corpus}
    assert _partition({ids[k]: v for k, v in stories.items()}) == _truth(corpus)


def test_a_batch_rolled_back_empties_the_carry_and_the_next_batch_restores_afresh(tmp_path, monkeypatch):
    corpus = _corpus()
    first, second = _batches(corpus, 2)
    paths = Paths(tmp_path / "d").ensure()
    good = stage_batch(paths.staging, "b0", [_article(a) for a in first])
    failing = stage_batch(paths.staging, "b1", [_article(a) for a in second])
    carry = StoryCarry()

    def broken(*args):
        raise ValueError("a part the loader cannot make sense of")

    with open_warehouse(paths) as con:
        load_batch(con, good, LoadCounts(), carry=carry)
        assert carry.index is not None and len(carry.index) == len(first)
        with monkeypatch.context() as patch:  # fails inside the transaction, its articles added to the index
            patch.setattr(warehouse, "_insert_children", broken)
            with pytest.raises(warehouse.BatchUnreadable):
                load_batch(con, failing, LoadCounts(), carry=carry)
        assert carry.index is None  # it would hold the rolled-back batch's articles
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == len(first)
        # put right, it loads, its stories restored from the warehouse
        load_batch(con, failing, LoadCounts(), carry=carry)
        stories = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    ids = {_article(a).article_id: a["id"] for a in corpus}
    assert _partition({ids[k]: v for k, v in stories.items()}) == _truth(corpus)


def test_a_carry_over_its_size_is_dropped():
    index = StoryIndex()
    for n in range(3):
        index.add(f"a{n}", "", None, "S", simhash=n + 1, content_hash=f"h{n}")
    carry = StoryCarry(max_entries=2)
    carry.keep(index)
    assert carry.take() is None
    carry = StoryCarry(max_entries=3)
    carry.keep(index)
    assert carry.take() is index and carry.take() is None  # taken once: a failing batch cannot hand it on


class _CountingConnection:
    def __init__(self, con):
        self.con, self.queries = con, 0

    def execute(self, *args):
        self.queries += 1
        return self.con.execute(*args)


def test_stored_texts_come_in_growing_chunks_of_the_expected_articles():
    con = duckdb.connect()
    con.execute("CREATE TABLE articles (article_id VARCHAR, text VARCHAR)")
    con.execute("INSERT INTO articles SELECT 'a' || i, 'text ' || i FROM range(9) t(i)")
    con.execute("INSERT INTO articles VALUES ('empty', NULL)")
    counting = _CountingConnection(con)
    texts = StoredTexts(counting, chunk=4)
    texts.expect([*(f"a{i}" for i in range(9)), "empty"])
    asked = (5, 0, 1, 2, 3, 4, 6, 7, 8)
    assert [texts(f"a{i}") for i in asked] == [f"text {i}" for i in asked]
    # a5 alone, then a0 with a1, a2 with the next three (a3, a4, a6), a7 with the next three (a8, empty)
    assert counting.queries == 4
    assert texts("empty") == "" and counting.queries == 4  # read with a7, NULL as an empty text
    assert texts("gone") == "" and counting.queries == 5  # not stored (any more): empty, as one query said
