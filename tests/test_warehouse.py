"""Publishing: the incremental publish gives exactly the tables a full rebuild gives."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import duckdb
from newsmon.config import Paths
from newsmon.dedupe import content_hash, simhash
from newsmon.models import Article, Mention
from newsmon.warehouse import PUBLISHED_TABLES, load_pending, mark_full_publish, publish, stage_batch

STORY = (
    "Officials from China and Russia met in Vladivostok on Tuesday to sign a grain corridor agreement.\n"
    "The deal sets tariffs for rail shipments through the border crossing at Zabaikalsk for five years.\n"
    "Analysts in Washington said the United States would watch how the corridor handles sanctioned goods."
)


def _article(n: int, source: str, text: str, when: datetime) -> Article:
    url = f"https://{source}.example/news/{n}"
    return Article(
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
        mentions=[Mention("CN", 17, 22, "China", "name", "lead", 0, 0, "China", text.split("\n")[0])],
        countries={"CN": {"mentions": 1, "salience": 0.5, "about": True}},
        pairs={
            "sentence": ["CN-RU"],
            "paragraph": ["CN-RU"],
            "article": ["CN-RU", "CN-US", "RU-US", "CN-RU-US"],
        },
    )


def _tables(db) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        return {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in PUBLISHED_TABLES
            if t in present
        }
    finally:
        con.close()


def _mode(db) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT mode FROM publish_info").fetchone()[0]
    finally:
        con.close()


def test_incremental_publish_equals_a_full_rebuild(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    day = datetime(2026, 11, 20, 8, tzinfo=UTC)
    other = "A ferry service between two Baltic islands resumed after storms closed the harbour for a week."
    batches = [
        [_article(1, "wire", STORY, day), _article(2, "ledger", other, day)],
        [_article(3, "courier", STORY + "\nThe agreement still needs approval.", day + timedelta(hours=2))],
        [_article(4, "ledger", other + " Repairs continue.", day + timedelta(days=1))],
    ]
    publish(paths)  # before any article: an empty but valid analyst database
    assert _mode(paths.analyst_db) == "full"
    for i, articles in enumerate(batches):
        stage_batch(paths.staging, f"batch-{i}", articles)
        load_pending(paths)
        publish(paths)
        assert _mode(paths.analyst_db) == "incremental"
    incremental = _tables(paths.analyst_db)
    # The syndicated copy arrived in a later batch and flagged the original as a wire story: that update is kept.
    con = duckdb.connect(str(paths.analyst_db), read_only=True)
    wire = dict(con.execute("SELECT article_id, is_wire FROM articles").fetchall())
    con.close()
    assert len(wire) == 4
    assert wire[f"{1:016x}"] and wire[f"{3:016x}"] and not wire[f"{2:016x}"]

    full_dir = tmp_path / "full"
    shutil.copytree(paths.data_dir, full_dir)
    full_paths = Paths(full_dir)
    publish(full_paths, full=True)
    assert _mode(full_paths.analyst_db) == "full"
    assert _tables(full_paths.analyst_db) == incremental


def test_a_retag_or_a_changed_schema_forces_a_full_publish(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    stage_batch(paths.staging, "b0", [_article(1, "wire", STORY, datetime(2026, 11, 20, tzinfo=UTC))])
    load_pending(paths)
    publish(paths)
    publish(paths)
    assert _mode(paths.analyst_db) == "incremental"
    mark_full_publish(paths)
    publish(paths)
    assert _mode(paths.analyst_db) == "full"
    # A previous file whose article count disagrees with the warehouse is never appended to.
    con = duckdb.connect(str(paths.analyst_db))
    con.execute("DELETE FROM articles")
    con.close()
    publish(paths)
    assert _mode(paths.analyst_db) == "full"
    assert len(_tables(paths.analyst_db)["articles"]) == 1


def test_batches_left_by_a_failed_load_are_loaded_by_the_next_run(tmp_path):
    from newsmon.pipeline import load_and_publish

    paths = Paths(tmp_path / "data").ensure()
    when = datetime(2026, 11, 20, tzinfo=UTC)
    stage_batch(paths.staging, "run1-s00", [_article(1, "wire", STORY, when)])  # its load never happened
    fresh = stage_batch(paths.staging, "run2-s00", [_article(2, "ledger", "A ferry resumed service.", when)])
    counts = load_and_publish([str(fresh)], paths.data_dir)
    assert counts["articles_new"] == 2
    assert len(_tables(paths.analyst_db)["articles"]) == 2
