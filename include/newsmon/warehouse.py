"""Staging, loading and publishing: the only ingest code that touches DuckDB.

DuckDB allows one writing process and a reader blocks a writer, so:
- fetch tasks never open the warehouse: they `stage_batch` Parquet files into a folder (temp name, then rename);
- one loader at a time (`open_warehouse` holds an exclusive file lock; Airflow adds a one-slot pool) loads staged
  batches into the private warehouse, one transaction per batch, keyed so a batch loaded twice changes nothing;
- analysts read `newsmon.duckdb`, which `publish` writes under a temporary name and renames into place, so an open
  analyst session keeps its snapshot and a new session sees the last finished publish.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from newsmon.config import SQL_DIR, Paths
from newsmon.locking import LockTimeout, exclusive_lock
from newsmon.models import Article

log = logging.getLogger(__name__)

# Tables copied into the analyst database on publish, in this order.
PUBLISHED_TABLES = (
    "articles",
    "article_countries",
    "mentions",
    "rejections",
    "feed_health",
    "fetch_log",
    "daily_total",
    "daily_country",
    "daily_pair",
    "daily_source",
    "digest_ledger",
    "alert_ledger",
)
STAGED_PARTS = ("articles", "mentions", "article_countries", "rejections", "feed_health", "fetch_log")
STORY_WINDOW_DAYS = 7  # near-duplicates are looked for among articles of the last week


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse lock for longer than we are willing to wait."""


# ---------------------------------------------------------------------------------------------------- staging


def _article_rows(articles: Iterable[Article]) -> tuple[list[dict], list[dict], list[dict]]:
    rows, mentions, countries = [], [], []
    for a in articles:
        published = a.published_at or a.fetched_at
        rows.append(
            {
                "article_id": a.article_id,
                "url": a.url,
                "canonical_url": a.canonical_url,
                "guid": a.guid,
                "feed": a.feed,
                "source": a.source,
                "outlet_country": a.outlet_country,
                "state_affiliated": a.state_affiliated,
                "title": a.title,
                "text": a.text,
                "text_source": a.text_source,
                "fetch_error": a.fetch_error,
                "published_at": a.published_at,
                "published_from": a.published_from,
                "day": published.astimezone(UTC).date(),
                "fetched_at": a.fetched_at,
                "language": a.language,
                "language_claimed": a.language_claimed,
                "authors": list(a.authors),
                "sitename": a.sitename,
                "content_hash": a.content_hash,
                "raw_html_hash": a.raw_html_hash,
                "simhash": int(a.simhash) & 0xFFFFFFFFFFFFFFFF,
                "removed_structure": int(a.removed.get("structure", 0)),
                "removed_phrases": int(a.removed.get("phrases", 0)),
                "removed_repetition": int(a.removed.get("repetition", 0)),
                "extractor_version": a.extractor_version,
                "watchlist_version": a.watchlist_version,
                "countries": sorted(a.countries),
                "countries_about": sorted(c for c, v in a.countries.items() if v.get("about")),
                "pairs_sentence": sorted(a.pairs.get("sentence", [])),
                "pairs_paragraph": sorted(a.pairs.get("paragraph", [])),
                "pairs_article": sorted(a.pairs.get("article", [])),
            }
        )
        m_rows, c_rows = _tag_rows(a.article_id, a.mentions, a.countries)
        mentions.extend(m_rows)
        countries.extend(c_rows)
    return rows, mentions, countries


def _tag_rows(article_id: str, mentions, countries: dict) -> tuple[list[dict], list[dict]]:
    """Rows of the `mentions` and `article_countries` tables for one article's tags."""
    m_rows = [
        {
            "article_id": article_id,
            "seq": seq,
            "country": m.country,
            "start_char": m.start,
            "end_char": m.end,
            "surface": m.surface,
            "alias": m.alias,
            "kind": m.kind,
            "position": m.position,
            "sentence": m.sentence,
            "paragraph": m.paragraph,
            "evidence": m.evidence,
        }
        for seq, m in enumerate(mentions)
    ]
    c_rows = [
        {
            "article_id": article_id,
            "country": code,
            "mentions": int(v.get("mentions", 0)),
            "salience": float(v.get("salience", 0.0)),
            "about": bool(v.get("about", False)),
        }
        for code, v in sorted(countries.items())
    ]
    return m_rows, c_rows


def _to_arrow(rows: list[dict]) -> pa.Table:
    """Rows to Arrow; 64-bit fingerprints need an unsigned type that inference would not pick."""
    if "simhash" not in rows[0]:
        return pa.Table.from_pylist(rows)
    hashes = pa.array([r["simhash"] for r in rows], pa.uint64())
    table = pa.Table.from_pylist([{k: v for k, v in r.items() if k != "simhash"} for r in rows])
    return table.append_column("simhash", hashes)


def _write_part(directory: Path, name: str, rows: list[dict]) -> None:
    # An empty part is still written (with no columns) so a batch always has every part.
    table = _to_arrow(rows) if rows else pa.table({})
    pq.write_table(table, directory / f"{name}.parquet", compression="zstd")


def stage_batch(
    staging_dir: Path,
    batch_id: str,
    articles: list[Article],
    rejections: list[dict] | None = None,
    feed_health: list[dict] | None = None,
    fetch_log: list[dict] | None = None,
) -> Path:
    """Write one batch of staged Parquet files, durably; visible to the loader only once complete.

    Every file and the folder are fsynced before the atomic rename, and the staging folder after it: when this
    returns, the batch survives a power cut, so the caller may then mark its items as seen. A failure (a full
    disk) removes the partial batch and raises.
    """
    staging_dir.mkdir(parents=True, exist_ok=True)
    final = staging_dir / batch_id
    if final.exists():
        return final  # a retried task re-staging the same batch: the first complete copy stands
    tmp = staging_dir / f".tmp-{batch_id}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        rows, mentions, countries = _article_rows(articles)
        parts = {
            "articles": rows,
            "mentions": mentions,
            "article_countries": countries,
            "rejections": rejections or [],
            "feed_health": feed_health or [],
            "fetch_log": fetch_log or [],
        }
        for name, part_rows in parts.items():
            _write_part(tmp, name, part_rows)
            _fsync(tmp / f"{name}.parquet")
        (tmp / "_COMPLETE").write_text(json.dumps({k: len(v) for k, v in parts.items()}))
        _fsync(tmp / "_COMPLETE")
        _fsync(tmp)
        os.replace(tmp, final)
        _fsync(staging_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to the disk."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pending_batches(staging_dir: Path) -> list[Path]:
    if not staging_dir.exists():
        return []
    return sorted(p for p in staging_dir.iterdir() if p.is_dir() and (p / "_COMPLETE").exists())


# ---------------------------------------------------------------------------------------------------- warehouse


@contextmanager
def warehouse_lock(paths: Paths, timeout: float = 1800.0) -> Iterator[None]:
    """Exclusive lock across processes on this machine (Airflow's one-slot pool does it across workers)."""
    try:
        with exclusive_lock(paths.lock, timeout, str(paths.warehouse)):
            yield
    except LockTimeout as exc:
        raise WarehouseBusy(str(exc)) from None


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Run every sql/schema*.sql file (the core schema first, then each stage's own tables)."""
    for sql_file in sorted(SQL_DIR.glob("schema*.sql")):
        con.execute(sql_file.read_text(encoding="utf-8"))


@contextmanager
def open_warehouse(paths: Paths, timeout: float = 1800.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection to the private warehouse, schema applied, with the exclusive lock held."""
    paths.ensure()
    with warehouse_lock(paths, timeout):
        con = duckdb.connect(str(paths.warehouse))
        try:
            con.execute("SET TimeZone = 'UTC'")
            apply_schema(con)
            yield con
        finally:
            con.close()


# ---------------------------------------------------------------------------------------------------- loading


@dataclass
class LoadCounts:
    batches: int = 0
    batches_skipped: int = 0  # already loaded
    articles_new: int = 0
    articles_duplicate: int = 0  # near or exact copies: stored, linked to their story
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count (not stored as articles)

    def add_rejection(self, reason: str, n: int = 1) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + n

    def as_dict(self) -> dict:
        return {
            "batches": self.batches,
            "batches_skipped": self.batches_skipped,
            "articles_new": self.articles_new,
            "articles_duplicate": self.articles_duplicate,
            "rejected": dict(sorted(self.rejected.items())),
        }


def _story_index(con: duckdb.DuckDBPyConnection, newest: datetime | None):
    from newsmon.dedupe import StoryIndex

    index = StoryIndex(window_days=STORY_WINDOW_DAYS)
    since = (newest or datetime.now(UTC)) - timedelta(days=STORY_WINDOW_DAYS * 2)
    rows = con.execute(
        """SELECT article_id, story_id, simhash, content_hash, coalesce(published_at, fetched_at), source
           FROM articles WHERE coalesce(published_at, fetched_at) >= ? ORDER BY coalesce(published_at, fetched_at), article_id""",
        [since],
    ).fetchall()
    index.from_rows(rows)
    return index


def _read_part(batch: Path, name: str) -> pa.Table:
    path = batch / f"{name}.parquet"
    return pq.read_table(path) if path.exists() else pa.table({})


def load_batch(con: duckdb.DuckDBPyConnection, batch: Path, counts: LoadCounts) -> None:
    """Load one staged batch in one transaction. A batch already loaded changes nothing."""
    name = batch.name
    if con.execute("SELECT 1 FROM loaded_files WHERE staged_file = ?", [name]).fetchone():
        counts.batches_skipped += 1
        return
    articles = _read_part(batch, "articles").to_pylist()
    now = datetime.now(UTC)
    newest = max((a["published_at"] or a["fetched_at"] for a in articles), default=None)
    index = _story_index(con, newest)
    con.execute("BEGIN TRANSACTION")
    try:
        keep_ids = _dedupe_and_insert_articles(con, articles, index, name, now, counts)
        _insert_children(con, batch, keep_ids)
        _insert_rejections(con, batch, name, now, counts)
        _upsert_feed_health(con, batch, now)
        _insert_fetch_log(con, batch)
        con.execute("INSERT INTO loaded_files VALUES (?, ?, ?)", [name, len(keep_ids), now])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    counts.batches += 1


def _dedupe_and_insert_articles(
    con, articles: list[dict], index, batch_name: str, now, counts: LoadCounts
) -> set[str]:
    """Decide story membership for each staged article and insert the new ones. Returns the ids inserted."""
    known_urls = _existing(con, "canonical_url", [a["canonical_url"] for a in articles])
    # A GUID is unique within its feed only (RSS): two outlets may both number their items 1, 2, 3.
    seen_guids = _existing_keys(con, ("feed", "guid"), [(a["feed"], a.get("guid")) for a in articles])
    # The same text under the same title from the same outlet is one article, whatever its URL says (a link that
    # carries a cache-buster or a per-run tracking value must not add a copy every run). Other outlets' copies
    # are syndication: they stay, linked to their story below.
    seen_texts = _existing_keys(con, ("source", "title", "content_hash"), [_text_key(a) for a in articles])
    keep: list[dict] = []
    seen_urls: set[str] = set()
    # Oldest first, so the original of a syndicated story is the earliest copy.
    for a in sorted(articles, key=lambda r: (r["published_at"] or r["fetched_at"], r["article_id"])):
        reason = None
        guid_key, text_key = (a["feed"], a.get("guid")), _text_key(a)
        if a["canonical_url"] in known_urls or a["canonical_url"] in seen_urls:
            reason = "duplicate_url"
        elif guid_key in seen_guids:
            reason = "duplicate_guid"
        elif text_key in seen_texts:
            reason = "duplicate_text"
        if reason:
            _reject(con, a, reason, batch_name, now)
            counts.add_rejection(reason)
            continue
        seen_urls.add(a["canonical_url"])
        seen_guids.add(guid_key)
        seen_texts.add(text_key)
        match = index.add(
            a["article_id"],
            a["text"] or "",
            a["published_at"] or a["fetched_at"],
            a["source"],
            simhash=a["simhash"],
            content_hash=a["content_hash"],
        )
        a.update(
            story_id=match.story_id,
            duplicate_of=match.duplicate_of,
            dup_reason=match.reason,
            is_wire=bool(match.is_wire),
            staged_file=batch_name,
            loaded_at=now,
        )
        if match.duplicate_of:
            # the original is then a wire story too: flagged by _propagate_wire_flags below in one statement
            # for stored and in-batch originals alike (an UPDATE per copy cost a table scan each)
            counts.articles_duplicate += 1
        else:
            counts.articles_new += 1
        keep.append(a)
    if keep:
        _insert_arrow(con, "articles", _to_arrow(keep))
        _propagate_wire_flags(con, [a["article_id"] for a in keep if a["is_wire"] and a["duplicate_of"]])
    return {a["article_id"] for a in keep}


def _propagate_wire_flags(con, ids: list[str]) -> None:
    if ids:
        con.execute(
            "UPDATE articles SET is_wire = TRUE WHERE article_id IN (SELECT duplicate_of FROM articles WHERE article_id IN ?)",
            [ids],
        )


def _existing(con, column: str, values: list[str]) -> set[str]:
    if not values:
        return set()
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM articles WHERE {column} IN ?", [list(set(values))]
    ).fetchall()
    return {r[0] for r in rows}


def _text_key(a: dict) -> tuple:
    return (a["source"], a.get("title"), a.get("content_hash"))


class _Keys(set):
    """Keys seen so far; a key with a missing part (no GUID, no title) never matches anything."""

    def add(self, key: tuple) -> None:
        if None not in key:
            super().add(key)


def _existing_keys(con, columns: tuple[str, ...], keys: list[tuple]) -> set[tuple]:
    """Which of these column tuples (e.g. (feed, guid)) stored articles already have."""
    keys = [k for k in keys if None not in k]
    if not keys:
        return _Keys()
    cols = ", ".join(columns)
    last = columns[-1]  # the most selective column narrows the scan; the whole tuple is compared here
    rows = con.execute(
        f"SELECT DISTINCT {cols} FROM articles WHERE {last} IN ?", [list({k[-1] for k in keys})]
    ).fetchall()
    return _Keys(set(rows) & set(keys))


def _reject(con, a: dict, reason: str, batch_name: str, now) -> None:
    existing = con.execute(
        "SELECT article_id FROM articles WHERE canonical_url = ? OR (feed = ? AND guid = ?) "
        "OR (source = ? AND title = ? AND content_hash = ?) LIMIT 1",
        [a["canonical_url"], a["feed"], a.get("guid"), *_text_key(a)],
    ).fetchone()
    con.execute(
        "INSERT INTO rejections VALUES (?, ?, ?, ?, ?, ?, ?)",
        [a["url"], a["feed"], reason, existing[0] if existing else None, a.get("title"), now, batch_name],
    )


def _insert_children(con, batch: Path, keep_ids: set[str]) -> None:
    for name in ("mentions", "article_countries"):
        table = _read_part(batch, name)
        if table.num_rows == 0 or not keep_ids:
            continue
        _insert_arrow(
            con, name, table, where="article_id IN (SELECT unnest($ids))", params={"ids": list(keep_ids)}
        )


def _insert_rejections(con, batch: Path, name: str, now, counts: LoadCounts) -> None:
    table = _read_part(batch, "rejections")
    for r in table.to_pylist():
        counts.add_rejection(r["reason"])
        con.execute(
            "INSERT INTO rejections VALUES (?, ?, ?, ?, ?, ?, ?)",
            [r["url"], r.get("feed"), r["reason"], None, r.get("detail"), r.get("at") or now, name],
        )


def _upsert_feed_health(con, batch: Path, now) -> None:
    table = _read_part(batch, "feed_health")
    if table.num_rows == 0:
        return
    table = table.append_column("updated_at", pa.array([now] * table.num_rows, pa.timestamp("us", tz="UTC")))
    updates = ", ".join(f"{c} = excluded.{c}" for c in table.column_names if c != "feed")
    _insert_arrow(con, "feed_health", table, conflict=f"ON CONFLICT (feed) DO UPDATE SET {updates}")


def _insert_fetch_log(con, batch: Path) -> None:
    table = _read_part(batch, "fetch_log")
    if table.num_rows == 0:
        return
    _insert_arrow(con, "fetch_log", table, conflict="ON CONFLICT DO NOTHING")


def _insert_arrow(
    con, target: str, table: pa.Table, where: str = "", params=None, conflict: str = ""
) -> None:
    """Insert an Arrow table by column name (staged files may carry columns in any order)."""
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    con.register("_staged", table)
    try:
        sql = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM _staged"
        sql = f"{sql} WHERE {where} {conflict}" if where else f"{sql} {conflict}"
        con.execute(sql, params) if params else con.execute(sql)
    finally:
        with suppress(
            duckdb.Error
        ):  # after a failed statement the transaction is aborted; the caller rolls back
            con.unregister("_staged")


def load_pending(paths: Paths, batches: list[Path] | None = None) -> LoadCounts:
    """Load staged batches (default: all complete ones) and move them to staging/loaded/."""
    counts = LoadCounts()
    batches = pending_batches(paths.staging) if batches is None else [Path(b) for b in batches]
    done_dir = paths.staging / "loaded"
    with open_warehouse(paths) as con:
        for batch in batches:
            if not batch.exists():
                already = done_dir / batch.name
                if already.exists():  # a retried load after the move: nothing to do
                    counts.batches_skipped += 1
                    continue
                raise FileNotFoundError(f"staged batch not found: {batch}")
            load_batch(con, batch, counts)
            done_dir.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(done_dir / batch.name, ignore_errors=True)
            os.replace(batch, done_dir / batch.name)
    log.info("loaded %s", counts.as_dict())
    return counts


def replace_tags(con: duckdb.DuckDBPyConnection, tagged: list[tuple[str, object]]) -> None:
    """Swap the stored tags of these articles for new ones (after a watchlist change), in one transaction."""
    if not tagged:
        return
    ids = [article_id for article_id, _ in tagged]
    m_rows, c_rows, a_rows = [], [], []
    for article_id, tags in tagged:
        m, c = _tag_rows(article_id, tags.mentions, tags.countries)
        m_rows += m
        c_rows += c
        a_rows.append(
            {
                "article_id": article_id,
                "watchlist_version": tags.watchlist_version,
                "countries": sorted(tags.countries),
                "countries_about": sorted(k for k, v in tags.countries.items() if v.get("about")),
                "pairs_sentence": sorted(tags.pairs.get("sentence", [])),
                "pairs_paragraph": sorted(tags.pairs.get("paragraph", [])),
                "pairs_article": sorted(tags.pairs.get("article", [])),
            }
        )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM mentions WHERE article_id IN (SELECT unnest($ids))", {"ids": ids})
        con.execute("DELETE FROM article_countries WHERE article_id IN (SELECT unnest($ids))", {"ids": ids})
        if m_rows:
            _insert_arrow(con, "mentions", pa.Table.from_pylist(m_rows))
        if c_rows:
            _insert_arrow(con, "article_countries", pa.Table.from_pylist(c_rows))
        con.register("_retag", pa.Table.from_pylist(a_rows))
        sets = ", ".join(f"{c} = r.{c}" for c in a_rows[0] if c != "article_id")
        con.execute(f"UPDATE articles SET {sets} FROM _retag r WHERE articles.article_id = r.article_id")
        con.unregister("_retag")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# ---------------------------------------------------------------------------------------------------- publish


# Tables that only grow, row by row with their article: a publish copies just the rows loaded since the last one.
APPEND_ONLY = {
    "articles": "SELECT * FROM articles WHERE loaded_at > $mark",
    "article_countries": "SELECT c.* FROM article_countries c JOIN articles a USING (article_id) WHERE a.loaded_at > $mark",
    "mentions": "SELECT m.* FROM mentions m JOIN articles a USING (article_id) WHERE a.loaded_at > $mark",
}


def publish(paths: Paths, full: bool = False) -> Path:
    """Write the analyst database under a temporary name and rename it into place (atomic on POSIX).

    Cheap as data grows: the previous analyst database is copied as a file and only the articles loaded since
    (and their mentions) are appended, while the small tables are replaced whole. A full rebuild happens when
    there is no previous file, the schema changed, the counts disagree, a retag rewrote old rows, or `full`.
    """
    paths.ensure()
    tmp = paths.data_dir / f".newsmon.duckdb.tmp-{os.getpid()}"
    for stale in (tmp, Path(str(tmp) + ".wal")):
        stale.unlink(missing_ok=True)
    with warehouse_lock(paths):
        con = duckdb.connect(str(paths.warehouse))
        try:
            apply_schema(con)
            fingerprint = _schema_fingerprint()
            incremental = not full and _copy_previous(paths, tmp, con, fingerprint)
            if not incremental:
                tmp.unlink(missing_ok=True)
            con.execute(f"ATTACH '{tmp}' AS analyst")
            existing = _tables(con)
            mark = _published_mark(con) if incremental else None
            for table in PUBLISHED_TABLES:
                if table not in existing:
                    continue
                if incremental and table in APPEND_ONLY:
                    con.execute(f"INSERT INTO analyst.{table} {APPEND_ONLY[table]}", {"mark": mark})
                else:
                    con.execute(f"CREATE OR REPLACE TABLE analyst.{table} AS SELECT * FROM {table}")
            if incremental:  # originals become wire stories when their copies arrive later
                con.execute(
                    "UPDATE analyst.articles SET is_wire = TRUE WHERE NOT is_wire "
                    "AND article_id IN (SELECT article_id FROM articles WHERE is_wire)"
                )
            con.execute(
                "CREATE OR REPLACE TABLE analyst.publish_info AS SELECT now() AS published_at, "
                "(SELECT max(loaded_at) FROM articles) AS loaded_until, (SELECT count(*) FROM articles) AS articles, "
                "$fp AS schema_fingerprint, $mode AS mode",
                {"fp": fingerprint, "mode": "incremental" if incremental else "full"},
            )
            con.execute("DETACH analyst")
        finally:
            con.close()
    if not incremental:
        _create_analyst_views(tmp)
    os.replace(tmp, paths.analyst_db)
    # An analyst who opened the published file read-write may have left a log beside it; it belongs to the old file.
    Path(str(paths.analyst_db) + ".wal").unlink(missing_ok=True)
    return paths.analyst_db


def mark_full_publish(paths: Paths) -> None:
    """Make the next publish a full rebuild (after rows older than the last publish were rewritten)."""
    paths.state.mkdir(parents=True, exist_ok=True)
    (paths.state / "publish-full").touch()


def _schema_fingerprint() -> str:
    import hashlib

    digest = hashlib.sha1()
    for sql_file in sorted(SQL_DIR.glob("*.sql")):
        digest.update(sql_file.read_bytes())
    return digest.hexdigest()[:16]


def _tables(con, database: str | None = None) -> set[str]:
    where = f"database_name = '{database}'" if database else "database_name = current_database()"
    return {r[0] for r in con.execute(f"SELECT table_name FROM duckdb_tables() WHERE {where}").fetchall()}


def _copy_previous(paths: Paths, tmp: Path, con, fingerprint: str) -> bool:
    """Copy the last analyst database to `tmp` if it can be brought up to date by appending; else False."""
    flag = paths.state / "publish-full"
    if flag.exists() or not paths.analyst_db.exists():
        flag.unlink(missing_ok=True)
        return False
    shutil.copyfile(paths.analyst_db, tmp)
    try:
        con.execute(f"ATTACH '{tmp}' AS previous (READ_ONLY)")
    except duckdb.Error:
        return False
    try:
        if "publish_info" not in _tables(con, "previous"):
            return False
        info = con.execute(
            "SELECT loaded_until, articles, schema_fingerprint FROM previous.publish_info"
        ).fetchone()
        if info is None or info[2] != fingerprint:
            return False
        # The previous file must hold exactly the articles loaded up to its mark, or appending would be wrong.
        stored = con.execute("SELECT count(*) FROM previous.articles").fetchone()[0]
        expected = (
            con.execute("SELECT count(*) FROM articles WHERE loaded_at <= $m", {"m": info[0]}).fetchone()[0]
            if info[0] is not None
            else 0
        )
        return stored == info[1] == expected
    finally:
        con.execute("DETACH previous")


def _published_mark(con) -> datetime:
    mark = con.execute("SELECT loaded_until FROM analyst.publish_info").fetchone()[0]
    return mark or datetime(1970, 1, 1, tzinfo=UTC)  # published before any article was loaded


def _create_analyst_views(db_file: Path) -> None:
    views = SQL_DIR / "analyst.sql"
    if not views.exists():
        return
    con = duckdb.connect(str(db_file))
    try:
        con.execute(views.read_text(encoding="utf-8"))
        con.execute("CHECKPOINT")
    finally:
        con.close()


def cli_publish(args) -> int:
    from newsmon.config import paths as get_paths

    out = publish(get_paths())
    print(f"published {out}")
    return 0
