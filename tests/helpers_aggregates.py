"""Small hand-made corpora written straight into a real warehouse file, for the aggregates tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
from newsmon.config import Paths

LOADED_AT = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Doc:
    """One article: the countries it mentions (code -> mention count) and the pairs it co-mentions."""

    article_id: str
    day: date
    source: str = "Wire A"
    story_id: str | None = None  # defaults to its own id (an original story)
    countries: dict[str, int] = field(default_factory=dict)
    about: tuple[str, ...] = ()
    sentence: tuple[str, ...] = ()
    paragraph: tuple[str, ...] = ()
    article: tuple[str, ...] = ()
    state_affiliated: bool = False
    outlet_country: str | None = None
    loaded_at: datetime = LOADED_AT
    title: str = ""


def insert_docs(con: duckdb.DuckDBPyConnection, docs: list[Doc]) -> None:
    con.execute("BEGIN TRANSACTION")  # one commit, not one per row: much quicker on a busy disk
    for d in docs:
        published = datetime.combine(d.day, time(12, 0), tzinfo=UTC)
        con.execute(
            """INSERT INTO articles (article_id, url, canonical_url, feed, source, outlet_country, state_affiliated,
                   title, text, text_source, published_at, published_from, day, fetched_at, story_id,
                   countries, countries_about, pairs_sentence, pairs_paragraph, pairs_article, loaded_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'page', ?, 'page', ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                d.article_id,
                f"https://{d.source.replace(' ', '').lower()}.example/{d.article_id}",
                f"https://{d.source.replace(' ', '').lower()}.example/{d.article_id}",
                f"feed-{d.source}",
                d.source,
                d.outlet_country,
                d.state_affiliated,
                d.title or f"Story {d.article_id}",
                "text",
                published,
                d.day,
                published + timedelta(hours=1),
                d.story_id or d.article_id,
                sorted(d.countries),
                sorted(d.about),
                sorted(d.sentence),
                sorted(d.paragraph),
                sorted(d.article),
                d.loaded_at,
            ],
        )
        seq = 0
        for code, n in sorted(d.countries.items()):
            con.execute(
                "INSERT INTO article_countries VALUES (?, ?, ?, ?, ?)",
                [d.article_id, code, n, 0.5, code in d.about],
            )
            for i in range(n):
                sentence, evidence = seq + 1, f"{d.article_id}: sentence {i} about {code}."
                if i == 0 and d.sentence:  # the first mention stands in the co-mention sentence
                    sentence, evidence = 0, f"{d.article_id}: {' and '.join(sorted(d.countries))} met."
                con.execute(
                    "INSERT INTO mention_spans VALUES (?, ?, ?, 0, 5, ?, ?, 'name', 'body', ?, 0)",
                    [d.article_id, seq, code, code, code, sentence],
                )
                con.execute(
                    "INSERT INTO sentences VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    [d.article_id, sentence, evidence],
                )
                seq += 1
    con.execute("COMMIT")


def warehouse_connection(paths: Paths) -> duckdb.DuckDBPyConnection:
    """A write connection with the schema applied (what open_warehouse gives, without holding the lock)."""
    from newsmon.warehouse import apply_schema

    paths.ensure()
    con = duckdb.connect(str(paths.warehouse))
    con.execute("SET TimeZone = 'UTC'")
    apply_schema(con)
    return con


def table_rows(con: duckdb.DuckDBPyConnection, table: str, order: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def daily_snapshot(db: Path | duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every daily table as sorted row tuples, for byte-for-byte comparisons."""
    from newsmon.aggregates import SORT_KEYS

    con = duckdb.connect(str(db), read_only=True) if isinstance(db, Path) else db
    try:
        return {t: table_rows(con, t, order) for t, order in SORT_KEYS.items()}
    finally:
        if isinstance(db, Path):
            con.close()
