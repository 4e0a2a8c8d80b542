"""docs/analysts.md: every table, view, column and macro is documented, and every example query returns rows,
on a synthetic corpus and on the demo corpus run through the real pipeline."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from helpers_explorer import copy_of_demo_corpus
from newsmon.aggregates import run_daily
from newsmon.config import Paths

DOC = Path(__file__).resolve().parents[1] / "docs" / "analysts.md"
END = date(2026, 2, 14)
DAYS = 40


def sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def documented_columns() -> dict[str, set[str]]:
    """'### `name`' sections and the `column` cells of their tables."""
    sections: dict[str, set[str]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### `(\w+)`", line)
        if heading:
            current = heading.group(1)
            sections[current] = set()
        elif line.startswith("## "):
            current = None
        elif current and (cell := re.match(r"^\| `(\w+)` \|", line)):
            sections[current].add(cell.group(1))
    return sections


def synthetic_corpus() -> list[Doc]:
    """Forty days of three countries from five outlets (one state-affiliated), wire copies, and a CN-RU spike."""
    docs: list[Doc] = []
    start = END - timedelta(days=DAYS - 1)
    for i in range(DAYS):
        d = start + timedelta(days=i)
        spike = i == DAYS - 3
        for j in range(12 if spike else 2):
            docs.append(
                Doc(
                    f"cnru{i:02d}-{j}",
                    d,
                    source=("Kremlin Wire" if j % 3 == 0 else f"Outlet {j % 4}"),
                    state_affiliated=j % 3 == 0,
                    outlet_country="RU" if j % 3 == 0 else "GB",
                    countries={"CN": 2, "RU": 1},
                    about=("CN",),
                    sentence=("CN-RU",),
                    paragraph=("CN-RU",),
                    article=("CN-RU",),
                    title=f"Beijing and Moscow talk, day {i}, take {j}",
                )
            )
        docs.append(Doc(f"us{i:02d}", d, source="Outlet 1", countries={"US": 3}, about=("US",)))
        docs.append(
            Doc(
                f"tri{i:02d}",
                d,
                source="Outlet 2",
                countries={"CN": 1, "RU": 1, "US": 1},
                paragraph=("CN-RU", "CN-RU-US", "CN-US", "RU-US"),
                article=("CN-RU", "CN-RU-US", "CN-US", "RU-US"),
            )
        )
        docs.append(Doc(f"us{i:02d}copy", d, source="Outlet 3", story_id=f"us{i:02d}", countries={"US": 3}))
    return docs


def _operational_rows(con) -> None:
    at = datetime.combine(END, datetime.min.time(), tzinfo=UTC)
    con.execute(
        "INSERT INTO rejections VALUES ('https://x.example/1', 'feed-a', 'duplicate_url', 'us00', 'Story', ?, 'b1')",
        [at],
    )
    con.execute(
        """INSERT INTO feed_health (feed, url, source, last_status, last_http_status, consecutive_failures,
               last_fetched_at, last_success_at, items_seen, retired, updated_at)
           VALUES ('feed-a', 'https://x.example/rss', 'Outlet 1', 'ok', 200, 0, ?, ?, 40, false, ?),
                  ('feed-b', 'https://y.example/rss', 'Outlet 2', 'failed', 500, 3, ?, NULL, 0, false, ?)""",
        [at, at, at, at, at],
    )
    con.execute(
        """INSERT INTO fetch_log VALUES ('run1', 'feed-a', 'ok', 200, NULL, 5, 5, 0, 1000, ?),
                                        ('run1', 'feed-b', 'failed', 500, 'boom', 0, 0, 0, 0, ?)""",
        [at, at],
    )


def _relation_rows(con) -> None:
    """Relations in the China-Russia articles: cooperation every day, and on the spike day US-China blame."""
    for i in range(DAYS):
        day_relations = [
            ("CN", "RU", "verbal_cooperation", "praised"),
            ("RU", "CN", "verbal_cooperation", "praised"),
        ]
        if i >= DAYS - 3:
            day_relations.append(("CN", "US", "verbal_conflict", "blamed"))
        for seq, (src, tgt, cls, cue) in enumerate(day_relations):
            con.execute(
                "INSERT INTO relations VALUES (?, ?, -1, ?, ?, ?, ?, false, 'test')",
                [f"cnru{i:02d}-0", seq, src, tgt, cls, cue],
            )
        con.execute(
            "INSERT INTO sentences VALUES (?, -1, ?) ON CONFLICT DO NOTHING",
            [f"cnru{i:02d}-0", f"Beijing praised Moscow, day {i}"],
        )


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory) -> Path:
    paths = Paths(tmp_path_factory.mktemp("docs") / "data")
    con = warehouse_connection(paths)
    insert_docs(con, synthetic_corpus())
    _operational_rows(con)
    _relation_rows(con)
    con.close()
    run_daily(paths, today=END + timedelta(days=1))
    return paths.analyst_db


def run_block(db: Path, block: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(block).fetchall()
    finally:
        con.close()


def test_the_doc_has_examples():
    assert len(sql_blocks()) >= 12


@pytest.mark.parametrize("index", range(len(sql_blocks())))
def test_every_example_returns_rows_on_a_synthetic_corpus(synthetic_db, index):
    block = sql_blocks()[index]
    rows = run_block(synthetic_db, block)
    assert rows, f"no rows from example {index}:\n{block}"


def test_spike_examples_find_the_planted_spike(synthetic_db):
    spikes = run_block(synthetic_db, next(b for b in sql_blocks() if "FROM spikes\nLIMIT" in b))
    assert (END - timedelta(days=2), "CN-RU", "sentence") in {r[:3] for r in spikes}
    top = run_block(synthetic_db, next(b for b in sql_blocks() if "top_stories(getvariable" in b))
    assert len(top) == 5 and all(r[4] for r in top)  # every story comes with evidence sentences
    drivers = run_block(synthetic_db, next(b for b in sql_blocks() if "spike_sources(getvariable" in b))
    assert drivers[0][0] == "Kremlin Wire" and drivers[0][4] > 0


def test_every_table_view_and_column_is_documented(synthetic_db):
    documented = documented_columns()
    con = duckdb.connect(str(synthetic_db), read_only=True)
    try:
        relations = con.execute(
            """SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()
               UNION SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"""
        ).fetchall()
        missing = []
        for (name,) in relations:
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [name]
                ).fetchall()
            ]
            if name not in documented:
                missing.append(f"table {name}")
                continue
            missing += [f"{name}.{c}" for c in columns if c not in documented[name]]
        macros = {
            r[0]
            for r in con.execute(
                "SELECT function_name FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND NOT internal"
            ).fetchall()
        }
    finally:
        con.close()
    assert missing == [], "document these in docs/analysts.md"
    assert {"series", "top_stories", "spike_sources", "key_share"} <= macros
    text = DOC.read_text(encoding="utf-8")
    assert [m for m in sorted(macros) if f"`{m}(" not in text] == []


@pytest.mark.slow
def test_every_example_returns_rows_on_the_demo_corpus(tmp_path_factory, tmp_path):
    """On (a copy of) the demo corpus through the real pipeline, the session's one run (helpers_explorer)."""
    paths = copy_of_demo_corpus(tmp_path_factory.mktemp("demo"), tmp_path / "data")
    run_daily(paths, days=_all_days(paths))
    empty = [i for i, block in enumerate(sql_blocks()) if not run_block(paths.analyst_db, block)]
    assert empty == [], f"examples without rows on the demo corpus: {empty}"


def _all_days(paths: Paths) -> list[date]:
    con = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        lo, hi = con.execute("SELECT min(day), max(day) FROM articles").fetchall()[0]
    finally:
        con.close()
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
