"""`newsmon daily`, `newsmon trends` and `newsmon query` through the real command entry point."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from newsmon import aggregates
from newsmon.cli import main
from newsmon.config import Paths

D0 = date(2026, 1, 1)


def day(i: int) -> date:
    return D0 + timedelta(days=i)


@pytest.fixture
def corpus(tmp_path, monkeypatch) -> Paths:
    """Fifteen days: three CN stories a day (one of them CN-RU) and nine on the last day."""
    paths = Paths(tmp_path / "data")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(paths.data_dir))
    con = warehouse_connection(paths)
    docs = []
    for i in range(15):
        for j in range(8 if i == 14 else 2):
            docs.append(Doc(f"cn{i}-{j}", day(i), source=f"Outlet {j}", countries={"CN": 1}))
        docs.append(
            Doc(f"pair{i}", day(i), countries={"CN": 1, "RU": 2}, sentence=("CN-RU",), article=("CN-RU",))
        )
    insert_docs(con, docs)
    con.close()
    return paths


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_daily_with_a_range_recomputes_and_publishes(corpus, capsys):
    code, out, err = run(capsys, "daily", "--start", "2026-01-01", "--end", "2026-01-15")
    assert code == 0, err
    assert "recomputed 15 day(s) (2026-01-01 .. 2026-01-15)" in out
    con = duckdb.connect(str(corpus.analyst_db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM daily_total").fetchone()[0] == 15
        assert con.execute(
            "SELECT stories, spike FROM daily_country WHERE day = ? AND country = 'CN'", [day(14)]
        ).fetchone() == (9, True)
    finally:
        con.close()


def test_daily_rejects_bad_dates_in_one_line(corpus, capsys):
    code, _, err = run(capsys, "daily", "--date", "2026-13-01")
    assert (
        code == 2 and err.strip() == "newsmon daily: --date must be a date like 2026-11-01, not '2026-13-01'"
    )
    code, _, err = run(capsys, "daily", "--start", "2026-02-01", "--end", "2026-01-01")
    assert code == 2 and "--end 2026-01-01 is before --start 2026-02-01" in err
    code, _, err = run(capsys, "daily", "--start", "2026-02-01")
    assert code == 2 and "--start and --end go together" in err


def test_trends_prints_sparklines_and_exports(corpus, capsys, tmp_path):
    aggregates.run_daily(corpus, days=[day(i) for i in range(15)])
    csv_file, parquet_file = tmp_path / "t.csv", tmp_path / "t.parquet"
    code, out, err = run(
        capsys, "trends", "--days", "10", "--csv", str(csv_file), "--parquet", str(parquet_file)
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "2026-01-06 .. 2026-01-15" in lines[0]
    cn = next(line for line in lines if line.startswith("CN "))
    assert "▃▃▃▃▃▃▃▃▃█" in cn and cn.rstrip().endswith("SPIKE")  # 3 stories a day, then 9
    assert any(line.startswith("CN-RU-US  sentence") for line in lines)
    rows = list(csv.DictReader(csv_file.open()))
    assert len(rows) == 7 * 10  # 3 countries + 4 pairs, 10 days each
    assert {r["key"] for r in rows} == {"CN", "RU", "US", "CN-RU", "CN-US", "RU-US", "CN-RU-US"}
    table = pq.read_table(parquet_file)
    assert table.num_rows == 70 and "rolling_7d" in table.column_names


def test_trends_for_one_pair_and_level(corpus, capsys):
    aggregates.run_daily(corpus, days=[day(i) for i in range(15)])
    code, out, err = run(capsys, "trends", "--days", "5", "--pair", "ru-cn", "--level", "article")
    assert code == 0, err
    body = [line for line in out.splitlines()[1:] if line.startswith("CN-RU")]
    assert len(body) == 1 and body[0].split()[:2] == ["CN-RU", "article"]
    assert "▇▇▇▇▇" not in body[0] and "█████" in body[0]  # one story every day: a flat top line


def test_trends_input_errors(corpus, capsys):
    code, _, err = run(capsys, "trends")
    assert code == 2 and "no analyst database at" in err
    aggregates.run_daily(corpus, days=[day(0)])
    assert (
        run(capsys, "trends", "--days", "0")[2].strip()
        == "newsmon trends: --days must be between 1 and 3660, not 0"
    )
    assert "two or three country codes" in run(capsys, "trends", "--pair", "CHINA")[2]
    assert "two-letter code" in run(capsys, "trends", "--country", "China")[2]


def test_query_prints_a_table_or_csv(corpus, capsys):
    aggregates.run_daily(corpus, days=[day(i) for i in range(15)])
    sql = "SELECT day, stories, z_28d FROM daily_country WHERE country = 'CN' ORDER BY day DESC LIMIT 2"
    code, out, err = run(capsys, "query", sql)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["day", "stories", "z_28d"]
    assert lines[2].split()[:2] == ["2026-01-15", "9"]
    assert lines[-1] == "(2 rows)"
    code, out, _ = run(capsys, "query", sql, "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["day", "stories", "z_28d"] and rows[1][:2] == ["2026-01-15", "9"] and len(rows) == 3


def test_query_errors_are_one_line_and_nothing_is_written(corpus, capsys, tmp_path):
    code, _, err = run(capsys, "query", "SELECT 1")
    assert code == 2 and "no analyst database at" in err and "newsmon daily" in err
    aggregates.run_daily(corpus, days=[day(0)])
    code, _, err = run(capsys, "query", "SELEC * FROM daily_total")
    assert code == 2 and err.count("\n") == 1 and "syntax error" in err
    code, _, err = run(capsys, "query", "SELECT * FROM no_such_table")
    assert code == 2 and err.count("\n") == 1 and "no_such_table" in err
    code, _, err = run(capsys, "query", "DELETE FROM daily_total")
    assert code == 2 and "read-only" in err.lower()
    target = tmp_path / "leak.csv"
    code, _, err = run(capsys, "query", f"COPY daily_total TO '{target}'")
    assert code == 2 and not target.exists()
    code, out, _ = run(capsys, "query", "SELECT count(*) AS n FROM daily_total")
    assert code == 0 and out.splitlines()[2].strip() == "1"


def test_format_table_and_sparkline():
    text = aggregates.format_table(["name", "n"], [("a", 1), ("bbb", 22.5), (None, None)])
    # header, a rule, then the rows: text left, numbers right, None empty; then the row count
    assert text.splitlines() == ["name     n", "─" * 10, "a        1", "bbb   22.5", "", "(3 rows)"]
    assert aggregates.sparkline([0, 1, 2, 4]) == "▁▃▅█"
    assert aggregates.sparkline([0, 0]) == "▁▁"
    assert aggregates.sparkline([]) == ""
