"""The warehouse and the analyst file survive poison batches, dead writers, lost files and careless readers.

Real DuckDB files, real staged batches, real processes killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from newsmon.config import Paths, Settings
from newsmon.dedupe import content_hash, simhash
from newsmon.models import Article, Mention
from newsmon.pipeline import load_and_publish
from newsmon.quality import QualityGateFailed, check_analyst_db
from newsmon.warehouse import WarehouseError, load_pending, open_warehouse, publish, stage_batch

WHEN = datetime(2026, 11, 20, 8, tzinfo=UTC)


def _article(
    n: int, mentions: list[Mention] | None = None, title: str | None = None, countries: dict | None = None
) -> Article:
    url = f"https://outlet{n % 3}.example/news/{n}"
    text = f"Story number {n} about grain prices in the port of Odesa and rail freight rates this week."
    return Article(
        article_id=f"{n:016x}",
        url=url,
        canonical_url=url,
        guid=f"g{n}",
        feed=f"feed{n % 3}",
        source=f"Outlet {n % 3}",
        title=title or f"Story {n}",
        text=text,
        text_source="page",
        published_at=WHEN + timedelta(minutes=n),
        published_from="page",
        fetched_at=WHEN + timedelta(minutes=n),
        content_hash=content_hash(text),
        simhash=simhash(text),
        mentions=mentions or [Mention("UA", 45, 50, "Odesa", "capital", "lead", 0, 0, "Odesa", text)],
        countries=countries or {"UA": {"mentions": 1, "salience": 0.5, "about": True}},
    )


def _stage(paths: Paths, name: str, first: int, n: int) -> Path:
    return stage_batch(paths.staging, name, [_article(i) for i in range(first, first + n)])


def _count(db: Path, sql: str = "SELECT count(*) FROM articles"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def _newsmon(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("newsmon")), "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _temps(paths: Paths) -> list[str]:
    """Temp copies and logs anywhere in the data folder (staging aside)."""
    found = [p for p in paths.data_dir.rglob("*") if "staging" not in p.parts]
    return sorted(p.name for p in found if ".tmp-" in p.name or p.name.endswith(".wal"))


# ---------------------------------------------------------------------------------------------------- finding 5


def test_unreadable_batches_go_to_failed_and_the_others_load_and_publish(tmp_path):
    """Property: one poison batch never blocks the good ones, and it is reported, not lost."""
    paths = Paths(tmp_path / "data").ensure()
    good1 = _stage(paths, "run1-s00", 0, 3)
    corrupt = _stage(paths, "run1-s01", 10, 3)
    (corrupt / "articles.parquet").write_bytes(b"PAR1 this is not parquet at all")
    missing = _stage(paths, "run1-s02", 20, 3)
    (missing / "mentions.parquet").unlink()
    bad_schema = _stage(paths, "run1-s03", 30, 3)
    table = pq.read_table(bad_schema / "articles.parquet").drop_columns(["canonical_url"])
    pq.write_table(table, bad_schema / "articles.parquet")
    bad_values = _stage(paths, "run1-s04", 40, 3)
    table = pq.read_table(bad_values / "fetch_log.parquet")
    pq.write_table(
        pa.table({"run_id": ["r"], "feed": ["f"], "at": ["not a time"]}), bad_values / "fetch_log.parquet"
    )
    (bad_values / "_COMPLETE").write_text('{"fetch_log": 1}')
    good2 = _stage(paths, "run1-s05", 50, 2)

    counts = load_and_publish([str(good1), str(good2)], paths.data_dir)

    assert counts["articles_new"] == 5
    assert _count(paths.analyst_db) == 5
    failed = counts["batches_failed"]
    assert sorted(failed) == ["run1-s01", "run1-s02", "run1-s03", "run1-s04"]
    assert "articles.parquet cannot be read" in failed["run1-s01"]
    assert "mentions.parquet is missing" in failed["run1-s02"]
    assert "canonical_url" in failed["run1-s03"]
    assert "Conversion" in failed["run1-s04"] or "not a time" in failed["run1-s04"]
    for name in failed:
        assert (paths.staging / "failed" / name / "_REASON").read_text().startswith(failed[name])
        assert not (paths.staging / name).exists()
    assert _count(paths.analyst_db, "SELECT count(*) FROM failed_batches") == 4
    with pytest.raises(QualityGateFailed) as gate:
        check_analyst_db(paths.analyst_db, since=WHEN)
    assert "[batches] 4 staged batches could not be loaded" in str(gate.value)

    # Repaired and put back, a batch loads and leaves failed_batches; a deleted one is a loss accepted.
    os.replace(paths.staging / "failed" / "run1-s02", paths.staging / "run1-s02")
    (paths.staging / "run1-s02" / "_REASON").unlink()
    _stage(Paths(tmp_path / "scratch").ensure(), "run1-s02", 20, 3)
    os.replace(
        tmp_path / "scratch" / "staging" / "run1-s02" / "mentions.parquet", missing / "mentions.parquet"
    )
    for name in ("run1-s01", "run1-s03", "run1-s04"):
        import shutil

        shutil.rmtree(paths.staging / "failed" / name)
    counts = load_and_publish(None, paths.data_dir)
    assert counts["articles_new"] == 3 and counts["batches_failed"] == {}
    assert _count(paths.analyst_db) == 8
    assert _count(paths.analyst_db, "SELECT count(*) FROM failed_batches") == 0
    check_analyst_db(paths.analyst_db, since=WHEN)  # no gate fails any more


def test_a_tmp_batch_is_never_loaded_and_dead_temps_are_cleaned_but_live_ones_kept(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    dead = paths.staging / f".tmp-run1-s00-{_dead_pid()}"
    os.replace(_stage(paths, "x", 0, 3), dead)  # complete (it has _COMPLETE) but never renamed
    past = time.time() - 600
    for p in [dead, *dead.iterdir()]:
        os.utime(p, (past, past))
    live_writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = paths.staging / f".tmp-run1-s01-{live_writer.pid}"
        os.replace(_stage(paths, "y", 10, 3), live)
        _stage(paths, "run1-s02", 20, 2)

        counts = load_pending(paths)
        publish(paths)
    finally:
        live_writer.kill()
        live_writer.wait()
    assert counts.articles_new == 2 and counts.batches == 1
    assert _count(paths.analyst_db) == 2
    assert _count(paths.warehouse, "SELECT count(*) FROM loaded_files WHERE staged_file LIKE '.tmp%'") == 0
    assert not dead.exists() and counts.temps_removed == 1
    assert live.exists()  # a writer that is still alive is never disturbed


def test_loaded_batches_are_pruned_after_the_retention_period(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run1-s00", 0, 2)
    load_pending(paths)
    with open_warehouse(paths) as con:  # loaded three weeks ago
        con.execute("UPDATE loaded_files SET loaded_at = loaded_at - INTERVAL 21 DAY")
    _stage(paths, "run2-s00", 10, 2)
    counts = load_pending(paths, settings=Settings(loaded_retention_days=14))
    assert counts.loaded_pruned == 1
    assert sorted(p.name for p in (paths.staging / "loaded").iterdir()) == ["run2-s00"]
    assert Settings.load().loaded_retention_days == 14  # the shipped default


# ---------------------------------------------------------------------------------------------------- finding 6


def test_a_deleted_warehouse_is_an_error_and_rebuild_restores_it(tmp_path):
    """Property: the analyst database never loses articles because the warehouse vanished."""
    paths = Paths(tmp_path / "data").ensure()
    for i in range(3):
        _stage(paths, f"run{i}-s00", 10 * i, 5)
        load_and_publish(None, paths.data_dir)
    assert _count(paths.analyst_db) == 15
    paths.warehouse.unlink()
    fresh = _stage(paths, "run3-s00", 30, 2)

    with pytest.raises(WarehouseError, match="missing but staging/loaded/ holds 3 loaded batches"):
        load_and_publish([str(fresh)], paths.data_dir)
    assert not paths.warehouse.exists() and fresh.exists()
    assert _count(paths.analyst_db) == 15
    result = _newsmon(paths.data_dir, "publish")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "newsmon rebuild" in result.stderr
    assert _count(paths.analyst_db) == 15

    result = _newsmon(paths.data_dir, "rebuild")
    assert result.returncode == 0, result.stderr
    assert "rebuilt the warehouse from 3 batches: 15 new articles" in result.stdout
    assert _count(paths.warehouse) == 15 and _count(paths.analyst_db) == 15
    counts = load_and_publish([str(fresh)], paths.data_dir)
    assert counts["articles_new"] == 2 and _count(paths.analyst_db) == 17


def test_an_emptied_or_older_warehouse_is_an_error(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run0-s00", 0, 4)
    load_and_publish(None, paths.data_dir)
    older = tmp_path / "older.duckdb"
    older.write_bytes(paths.warehouse.read_bytes())
    _stage(paths, "run1-s00", 10, 4)
    load_and_publish(None, paths.data_dir)

    paths.warehouse.write_bytes(older.read_bytes())  # restored from yesterday's copy
    _stage(paths, "run2-s00", 20, 1)
    with pytest.raises(WarehouseError, match="does not know 1 batches in staging/loaded/"):
        load_and_publish(None, paths.data_dir)

    paths.warehouse.unlink()
    with duckdb.connect(str(paths.warehouse)) as con:  # an empty file where the warehouse was
        con.execute("SELECT 1")
    for batch in (paths.staging / "loaded").iterdir():
        import shutil

        shutil.rmtree(batch)  # even with the loaded batches gone, the published copy says there was data
    with pytest.raises(WarehouseError, match="holds 8 articles"):
        load_and_publish(None, paths.data_dir)
    assert _count(paths.analyst_db) == 8


def test_a_publish_that_would_drop_articles_needs_allow_shrink(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run0-s00", 0, 4)
    load_and_publish(None, paths.data_dir)
    older = paths.warehouse.read_bytes()
    _stage(paths, "run1-s00", 10, 4)
    load_and_publish(None, paths.data_dir)
    paths.warehouse.write_bytes(older)

    result = _newsmon(paths.data_dir, "publish")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "would drop 4 of the 8 articles" in result.stderr and "--allow-shrink" in result.stderr
    assert _count(paths.analyst_db) == 8
    result = _newsmon(paths.data_dir, "publish", "--allow-shrink")
    assert result.returncode == 0, result.stderr
    assert _count(paths.analyst_db) == 4


# ---------------------------------------------------------------------------------------------------- finding 12


def test_a_corrupt_warehouse_is_one_error_line(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run0-s00", 0, 3)
    load_and_publish(None, paths.data_dir)
    with open(paths.warehouse, "r+b") as fh:
        fh.write(os.urandom(8192))
    _stage(paths, "run1-s00", 10, 1)
    for command in (["publish"], ["daily"]):
        result = _newsmon(paths.data_dir, *command)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "warehouse" in result.stderr, result.stderr
    assert _count(paths.analyst_db) == 3


# ---------------------------------------------------------------------------------------------------- finding 7

PUBLISH_FOREVER = textwrap.dedent(
    """
    import sys
    from newsmon.config import Paths
    from newsmon.warehouse import publish
    paths = Paths(__import__("pathlib").Path(sys.argv[1]))
    while True:
        publish(paths, full=True)
    """
)


def test_a_killed_publish_leaves_no_temp_copy_behind(tmp_path):
    """Property: after a publisher is SIGKILLed mid-write, the next publish leaves no temp copy or log."""
    paths = Paths(tmp_path / "data").ensure()
    stage_batch(paths.staging, "big", [_article(i) for i in range(3000)])
    load_and_publish(None, paths.data_dir)
    killed = 0
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", PUBLISH_FOREVER, str(paths.data_dir)])
        deadline = time.monotonic() + 120
        while not any(".tmp-" in n for n in _temps(paths)) and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        killed += any(str(child.pid) in n for n in _temps(paths))
    assert killed >= 1, "no publish was caught mid-write"
    assert _count(paths.analyst_db) == 3000  # readers never saw a half-written file

    publish(paths)
    assert _temps(paths) == []
    assert _count(paths.analyst_db) == 3000


def test_a_failed_publish_removes_its_temp_copy(tmp_path, monkeypatch):
    import newsmon.warehouse

    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run0-s00", 0, 3)
    load_and_publish(None, paths.data_dir)

    def disk_full(db_file):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(newsmon.warehouse, "_create_analyst_views", disk_full)
    with pytest.raises(OSError):
        publish(paths, full=True)
    assert _temps(paths) == []
    assert _count(paths.analyst_db) == 3


# ---------------------------------------------------------------------------------------------------- issue 14.8

CARELESS_ANALYST = textwrap.dedent(
    """
    import sys, time, duckdb
    db, go = sys.argv[1], sys.argv[2]
    con = duckdb.connect(db)  # DuckDB's default: read-write
    print("open", flush=True)
    while not __import__("os").path.exists(go):
        time.sleep(0.05)
    con.execute("CREATE TABLE my_notes AS SELECT 'look at this' AS note")
    con.execute("UPDATE articles SET title = 'scribbled'")
    print("written", flush=True)
    time.sleep(600)
    """
)


def test_a_reader_that_writes_and_dies_cannot_break_the_next_published_file(tmp_path):
    """Property: whatever a read-write analyst session does, the next published file opens and is right."""
    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run0-s00", 0, 3)
    load_and_publish(None, paths.data_dir)
    go = tmp_path / "go"
    analyst = subprocess.Popen(
        [sys.executable, "-c", CARELESS_ANALYST, str(paths.analyst_db), str(go)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if os.geteuid() != 0:  # published files are read-only: the default open is refused outright
            assert analyst.wait(timeout=60) != 0
            return
        assert analyst.stdout.readline().strip() == "open"
        _stage(paths, "run1-s00", 10, 2)
        load_and_publish(None, paths.data_dir)  # publishes while the session is open
        go.touch()
        assert analyst.stdout.readline().strip() == "written"
    finally:
        analyst.send_signal(signal.SIGKILL)
        analyst.wait()

    assert _count(paths.analyst_db) == 5
    assert _count(paths.analyst_db, "SELECT count(*) FROM articles WHERE title = 'scribbled'") == 0
    result = _newsmon(paths.data_dir, "query", "SELECT count(*) AS n FROM articles")
    assert result.returncode == 0 and "5" in result.stdout, result.stderr
    for _ in range(2):  # later publishes clean the dead session's log away with its version
        publish(paths)
    assert _temps(paths) == []
    assert _count(paths.analyst_db) == 5


def test_published_files_are_read_only_versions_behind_a_symlink(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    _stage(paths, "run0-s00", 0, 2)
    load_and_publish(None, paths.data_dir)
    first = paths.analyst_db.resolve()
    publish(paths)
    publish(paths)
    assert paths.analyst_db.is_symlink() and not os.path.isabs(os.readlink(paths.analyst_db))
    assert paths.analyst_db.resolve() != first and not first.exists()  # old versions are pruned
    assert len(list((paths.data_dir / "published").iterdir())) == 2  # the current one and the one before
    assert paths.analyst_db.resolve().stat().st_mode & 0o222 == 0


# ---------------------------------------------------------------------------------------------------- finding 9


def test_evidence_is_stored_once_per_sentence_and_mentions_are_capped(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    title = "China " * 300
    flood = [
        Mention("CN", 6 * i, 6 * i + 5, "China", "name", "title", -1, -1, "China", title) for i in range(300)
    ]
    body = [Mention("RU", 0, 6, "Russia", "name", "lead", 0, 0, "Russia", "Russia and China met.")] * 2
    figures = {
        "CN": {"mentions": 300, "salience": 0.9, "about": True},
        "RU": {"mentions": 2, "salience": 0.1},
    }
    flooded = _article(1, flood + body, title=title, countries=figures)
    staged = stage_batch(paths.staging, "b0", [flooded, _article(2)])
    counts = load_pending(paths, settings=Settings(max_mentions_per_country=50))
    publish(paths)

    assert (counts.mentions_capped, counts.articles_capped) == (250, 1)
    db = paths.analyst_db
    assert _count(db, "SELECT count(*) FROM mention_spans WHERE country = 'CN'") == 50
    assert _count(db, "SELECT mentions FROM article_countries WHERE country = 'CN'") == 50
    assert _count(db, "SELECT mentions FROM article_countries WHERE country = 'RU'") == 2
    assert _count(db, "SELECT count(*) FROM sentences") == 3  # the title, article 1's lead, article 2's lead
    # The view gives every mention its sentence, as the table did before.
    assert (
        _count(db, "SELECT count(*) FROM mentions WHERE country = 'CN' AND evidence = repeat('China ', 300)")
        == 50
    )
    assert _count(db, "SELECT count(*) FROM mentions WHERE evidence IS NULL") == 0
    assert not staged.exists()


def test_a_warehouse_with_the_old_mentions_table_is_migrated(tmp_path):
    paths = Paths(tmp_path / "data").ensure()
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(
            """CREATE TABLE mentions (article_id VARCHAR NOT NULL, seq INTEGER NOT NULL, country VARCHAR NOT NULL,
                   start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, surface VARCHAR NOT NULL, alias VARCHAR,
                   kind VARCHAR, position VARCHAR, sentence INTEGER, paragraph INTEGER, evidence VARCHAR,
                   PRIMARY KEY (article_id, seq))"""
        )
        con.execute(
            """INSERT INTO mentions VALUES ('a', 0, 'CN', 0, 5, 'China', 'China', 'name', 'lead', 0, 0, 'China met Russia.'),
                   ('a', 1, 'RU', 10, 16, 'Russia', 'Russia', 'name', 'lead', 0, 0, 'China met Russia.'),
                   ('a', 2, 'US', 0, 2, 'US', 'US', 'name', 'body', 1, 1, 'The US watched.')"""
        )
    with open_warehouse(paths) as con:
        assert con.execute("SELECT count(*) FROM sentences").fetchone()[0] == 2
        rows = con.execute("SELECT seq, country, evidence FROM mentions ORDER BY seq").fetchall()
    assert rows == [
        (0, "CN", "China met Russia."),
        (1, "RU", "China met Russia."),
        (2, "US", "The US watched."),
    ]
