"""The one reader of the analyst database (data/newsmon.duckdb).

`query`, `trends`, `search`, the News monitor page and the digest open the file through `open_analyst` (a
read-only session in UTC with the published views and macros), and share the look-ups here, so the SQL that
docs/analysts.md shows is the SQL the product runs. Only `warehouse` writes the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

DEFAULT_COUNTRIES = ("CN", "RU", "US")
DEFAULT_PAIRS = ("CN-RU", "CN-US", "RU-US", "CN-RU-US")
_CODE = re.compile(r"^[A-Z]{2}$")


class ReaderError(ValueError):
    """Bad input or a missing file: one line for the person who asked."""


def one_line(exc: Exception) -> str:
    """DuckDB errors span several lines (a caret under the query); keep the message, drop the picture."""
    lines = [ln.strip() for ln in str(exc).splitlines()]
    keep = [ln for ln in lines if ln and not ln.startswith("LINE ") and set(ln) != {"^"}]
    return " ".join(keep) or type(exc).__name__


def open_analyst(db_file: Path, sandboxed: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only session on the published analyst database, in UTC.

    sandboxed: also no reading or writing of any other file (for SQL typed by a person).
    """
    if not Path(db_file).exists():
        raise ReaderError(
            f"no analyst database at {db_file}; run `newsmon run --once` or `newsmon daily` first"
        )
    try:
        con = duckdb.connect(str(db_file), read_only=True)
    except duckdb.Error as exc:
        raise ReaderError(f"cannot open {db_file}: {one_line(exc)}") from None
    con.execute("SET TimeZone = 'UTC'")
    if sandboxed:
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


def _only_comments(sql: str) -> bool:
    """True when the text holds no statement: blanks, `--` and `/* */` comments and semicolons only."""
    stripped = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    stripped = re.sub(r"--[^\n]*", " ", stripped)
    return not stripped.replace(";", " ").strip()


def run_sql(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    """Columns and rows of a person's SQL; every failure is a one-line ReaderError."""
    if _only_comments(sql):
        raise ReaderError(
            "no SQL statement to run (the text is empty, blank or only comments); "
            'for example: newsmon query "SELECT * FROM spikes LIMIT 5"'
        )
    try:
        cursor = con.execute(sql)
        if cursor is None:  # DuckDB answers None when nothing was executed
            raise ReaderError("no SQL statement to run")
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise ReaderError(one_line(exc)) from None
    return columns, rows


# ---------------------------------------------------------------------------------------------------- keys


def normal_key(value: str) -> str:
    """'ru-cn', 'RU/CN', ' cn ' -> 'CN-RU', 'CN': codes upper-cased and sorted, as the daily tables store them."""
    codes = sorted({c.strip().upper() for c in value.replace("/", "-").split("-") if c.strip()})
    return "-".join(codes)


def known_keys(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """Countries and pairs the analyst database has figures for (plus the three watched ones)."""
    countries = set(DEFAULT_COUNTRIES)
    pairs = set(DEFAULT_PAIRS)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "daily_country" in tables:
        countries |= {r[0] for r in con.execute("SELECT DISTINCT country FROM daily_country").fetchall()}
    if "daily_pair" in tables:
        pairs |= {r[0] for r in con.execute("SELECT DISTINCT pair FROM daily_pair").fetchall()}
    return sorted(countries), sorted(pairs, key=lambda p: (p.count("-"), p))


def checked_country(con: duckdb.DuckDBPyConnection, value: str, option: str = "--country") -> str:
    code = value.strip().upper()
    countries, _ = known_keys(con)
    if not _CODE.fullmatch(code):
        raise ReaderError(f"{option} must be a two-letter code such as CN, not {value!r}")
    if code not in countries:
        raise ReaderError(f"{option} {code}: no figures for this country; known: {', '.join(countries)}")
    return code


def checked_pair(con: duckdb.DuckDBPyConnection, value: str, option: str = "--pair") -> str:
    pair = normal_key(value)
    _, pairs = known_keys(con)
    if pair.count("-") not in (1, 2) or not all(_CODE.fullmatch(c) for c in pair.split("-")):
        raise ReaderError(f"{option} must be two or three country codes such as CN-RU, not {value!r}")
    if pair not in pairs:
        raise ReaderError(f"{option} {pair}: no figures for this pair; known: {', '.join(pairs)}")
    return pair


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()} | {
        r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }
