"""Staging, loading and publishing: the only ingest code that touches DuckDB.

DuckDB allows one writing process and a reader blocks a writer, so:
- fetch tasks never open the warehouse: they `stage_batch` Parquet files into a folder (temp name, then rename);
- one loader at a time (`open_warehouse` holds an exclusive file lock; Airflow adds a one-slot pool) loads staged
  batches into the private warehouse, one transaction per batch, keyed so a batch loaded twice changes nothing;
  a batch that cannot be read goes to `staging/failed/` with its reason and the others load;
- analysts read `newsmon.duckdb`, a symlink to the last finished version in `published/`: `publish` writes a new
  read-only version under a temporary name and swaps the link, so an open analyst session keeps its snapshot, a
  new session sees the last finished publish, and a stray writer's log stays beside the version it opened.
- the warehouse never shrinks by accident: a missing or emptied warehouse beside loaded history is an error
  (`newsmon rebuild` rebuilds it from `staging/loaded/`), and a publish that would drop articles needs
  `allow_shrink`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from newsmon.cli import UserError
from newsmon.config import SQL_DIR, Paths, Settings
from newsmon.locking import LockTimeout, exclusive_lock
from newsmon.models import Article

log = logging.getLogger(__name__)

# Tables copied into the analyst database on publish, in this order.
PUBLISHED_TABLES = (
    "articles",
    "article_countries",
    "mention_spans",
    "sentences",
    "relations",
    "rejections",
    "feed_health",
    "fetch_log",
    "failed_batches",
    "story_merges",
    "article_revisions",
    "daily_total",
    "daily_country",
    "daily_pair",
    "daily_source",
    "daily_relation",
    "daily_cooperation",
    "digest_ledger",
    "alert_ledger",
)
STAGED_PARTS = (
    "articles",
    "mentions",
    "article_countries",
    "relations",
    "rejections",
    "feed_health",
    "fetch_log",
)
OPTIONAL_PARTS = {"relations"}  # batches staged before relations existed have none
# Columns a non-empty part must have for the loader to make sense of it (others are optional or defaulted).
REQUIRED_COLUMNS = {
    "articles": {"article_id", "url", "canonical_url", "feed", "source", "text_source", "day", "fetched_at"},
    "mentions": {"article_id", "seq", "country", "start_char", "end_char", "surface"},
    "article_countries": {"article_id", "country", "mentions"},
    "relations": {"article_id", "seq", "sentence", "source", "target", "class"},
    "rejections": {"url", "reason"},
    "feed_health": {"feed"},
    "fetch_log": {"run_id", "feed", "at"},
}
STORY_WINDOW_DAYS = 7  # near-duplicates are looked for among articles of the last week
MENTIONS_VIEW = SQL_DIR / "views_mentions.sql"  # the `mentions` view over mention_spans + sentences
# Temporary files and folders of dead writers are removed; pids only mean something on one host, so a temp that
# a live writer on another host may still be filling is left alone until it has been untouched for a while.
DEAD_WRITER_GRACE = timedelta(minutes=2)
ABANDONED_AFTER = timedelta(minutes=30)
# Faults of one staged batch's content: the batch is set aside, the others load. Disk, memory and I/O errors of
# the warehouse itself are not among them: those stop the load and leave every batch staged.
BATCH_FAULTS = (
    pa.ArrowException,
    duckdb.BinderException,
    duckdb.ConversionException,
    duckdb.ConstraintException,
    duckdb.InvalidInputException,
    duckdb.TypeMismatchException,
    duckdb.OutOfRangeException,
    KeyError,
    TypeError,
    ValueError,
)


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse lock for longer than we are willing to wait."""


class WarehouseError(UserError):
    """The warehouse or the analyst database is in a state we refuse to go on from; one line says why and how."""


class BatchUnreadable(ValueError):
    """A staged batch that cannot be loaded as it is (corrupt or missing part, wrong schema)."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


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


def _relation_rows(article_id: str, relations, lexicon_version: str) -> list[dict]:
    """Staged `relations` rows; each carries its sentence so the loader can store it once in `sentences` even
    when the mention that brought it was capped."""
    return [
        {
            "article_id": article_id,
            "seq": seq,
            "sentence": r.sentence,
            "source": r.source,
            "target": r.target,
            "class": r.cls,
            "cue": r.cue,
            "reported": bool(r.reported),
            "lexicon_version": lexicon_version,
            "evidence": r.evidence,
        }
        for seq, r in enumerate(relations)
    ]


def _tag_rows(article_id: str, mentions, countries: dict) -> tuple[list[dict], list[dict]]:
    """Staged `mentions` and `article_countries` rows for one article's tags.

    The evidence sentence goes with the first mention in it only: the loader stores each sentence once.
    """
    first_in_sentence: set[int] = set()
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
            "evidence": m.evidence if _first(first_in_sentence, m.sentence) else "",
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


def _first(seen: set[int], key: int) -> bool:
    """True the first time `key` is seen."""
    if key in seen:
        return False
    seen.add(key)
    return True


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
        relations = [
            r for a in articles for r in _relation_rows(a.article_id, a.relations, a.lexicon_version)
        ]
        parts = {
            "articles": rows,
            "mentions": mentions,
            "article_countries": countries,
            "relations": relations,
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
    """Complete batches waiting to be loaded (never a `.tmp-*` folder, whatever it holds)."""
    if not staging_dir.exists():
        return []
    return sorted(
        p
        for p in staging_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / "_COMPLETE").exists()
    )


# ---------------------------------------------------------------------------------------------------- temp files


def _writer_pid(name: str) -> int | None:
    """The pid a temp name ends in (`.tmp-<batch>-<pid>`, `.newsmon.duckdb.tmp-<pid>`, with or without `.wal`)."""
    match = re.search(r"-(\d+)(?:\.wal)?$", name)
    return int(match.group(1)) if match else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _idle_for(path: Path, now: float) -> float:
    """Seconds since `path` (or, for a folder, anything directly in it) last changed."""
    try:
        times = [path.lstat().st_mtime]
        if path.is_dir() and not path.is_symlink():
            times += [child.lstat().st_mtime for child in path.iterdir()]
    except FileNotFoundError:
        return 0.0
    return now - max(times)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_dead_temps(candidates: Iterable[Path], grace: timedelta = DEAD_WRITER_GRACE) -> list[str]:
    """Remove temp files and folders whose writer is dead (and quiet for `grace`) or that were abandoned."""
    now = datetime.now(UTC).timestamp()
    removed = []
    for path in candidates:
        pid = _writer_pid(path.name)
        idle = _idle_for(path, now)
        dead = pid is not None and pid != os.getpid() and not _pid_alive(pid)
        if (dead and idle >= grace.total_seconds()) or idle >= ABANDONED_AFTER.total_seconds():
            _remove(path)
            removed.append(path.name)
    if removed:
        log.warning("removed temp files of dead or vanished writers: %s", ", ".join(sorted(removed)))
    return removed


def clean_staging_temps(paths: Paths) -> list[str]:
    """Temp batch folders (and temp files) in staging/ left by fetch tasks that died while staging."""
    if not paths.staging.exists():
        return []
    return remove_dead_temps(p for p in paths.staging.iterdir() if p.name.startswith(".tmp-"))


def _publish_temps(paths: Paths) -> list[Path]:
    found = list(paths.data_dir.glob(".newsmon.duckdb.tmp-*"))  # the flat layout before published/
    found += paths.data_dir.glob(".newsmon.duckdb.link-*")
    found += paths.data_dir.glob(".warehouse.duckdb.rebuild-*")
    folder = _published_dir(paths)
    if folder.exists():
        found += (p for p in folder.iterdir() if ".tmp-" in p.name)
    return found


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
    """Run every sql/schema*.sql file (the core schema first, then each stage's own tables), then the views.

    Skipped when these very files brought the warehouse up to date last (`schema_state` holds their
    fingerprint): the statements took 70 ms per connection, and a small load connects three times.
    """
    fingerprint = _schema_fingerprint()
    with suppress(duckdb.CatalogException):  # no schema_state yet: a new or an older warehouse
        if con.execute("SELECT fingerprint FROM schema_state").fetchall() == [(fingerprint,)]:
            return
    for sql_file in sorted(SQL_DIR.glob("schema*.sql")):
        con.execute(sql_file.read_text(encoding="utf-8"))
    _migrate_mentions(con)
    con.execute(MENTIONS_VIEW.read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TABLE schema_state AS SELECT ?::VARCHAR AS fingerprint", [fingerprint])


def _migrate_mentions(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses from before `sentences`: split the old `mentions` table (evidence on every row) in two."""
    old = con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = 'mentions' AND database_name = current_database()"
    ).fetchone()
    if not old:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            """INSERT INTO sentences SELECT article_id, sentence, first(evidence ORDER BY seq) FROM mentions
               WHERE coalesce(evidence, '') <> '' AND sentence IS NOT NULL GROUP BY ALL ON CONFLICT DO NOTHING"""
        )
        con.execute(
            """INSERT INTO mention_spans SELECT article_id, seq, country, start_char, end_char, surface, alias,
                   kind, position, sentence, paragraph FROM mentions ON CONFLICT DO NOTHING"""
        )
        con.execute("DROP TABLE mentions")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


@contextmanager
def open_warehouse(
    paths: Paths, timeout: float = 1800.0, guard: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection to the private warehouse, schema applied, with the exclusive lock held.

    With `guard`, refuse a missing or emptied warehouse when loaded history says there was one (`WarehouseError`).
    """
    paths.ensure()
    with warehouse_lock(paths, timeout):
        if guard:
            _refuse_lost_warehouse(paths)
        con = connect_warehouse(paths.warehouse)
        try:
            if guard:
                _refuse_replaced_warehouse(paths, con)
            yield con
        finally:
            con.close()


def connect_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """Open (or create) a warehouse file with the schema applied; a damaged file is one clear error line."""
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise WarehouseError(
            f"cannot open the warehouse {path} ({_one_line(exc)}): move it aside and run `newsmon rebuild` "
            "to rebuild it from staging/loaded/"
        ) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
        apply_schema(con)
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(
            f"the warehouse {path} is damaged ({_one_line(exc)}): move it aside and run `newsmon rebuild`"
        ) from None
    return con


def _loaded_dirs(paths: Paths) -> list[Path]:
    done = paths.staging / "loaded"
    return sorted(p for p in done.iterdir() if p.is_dir()) if done.exists() else []


def _published_articles(paths: Paths) -> int | None:
    """Articles in the current analyst database; None when there is none or it cannot be read now."""
    if not paths.analyst_db.exists():
        return None
    try:
        con = duckdb.connect(str(paths.analyst_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def _history(paths: Paths) -> list[str]:
    """What says a warehouse with articles existed here: loaded batches, a published copy with articles."""
    found = []
    loaded = _loaded_dirs(paths)
    if loaded:
        found.append(f"staging/loaded/ holds {len(loaded)} loaded batches")
    published = _published_articles(paths)
    if published:
        found.append(f"{paths.analyst_db.name} holds {published} articles")
    return found


REBUILD_HINT = "rebuild it with `newsmon rebuild` (see docs/internals.md, 'Rebuilding the warehouse')"


def _refuse_lost_warehouse(paths: Paths) -> None:
    missing = not paths.warehouse.exists() or paths.warehouse.stat().st_size == 0
    history = _history(paths) if missing else []
    if history:
        raise WarehouseError(
            f"the warehouse {paths.warehouse} is missing but {' and '.join(history)}: refusing to start an "
            f"empty one; {REBUILD_HINT}"
        )


def _refuse_replaced_warehouse(paths: Paths, con) -> None:
    """An existing warehouse that lost its articles, or does not know batches it loaded, was replaced."""
    known = {r[0] for r in con.execute("SELECT staged_file FROM loaded_files").fetchall()}
    unknown = [p.name for p in _loaded_dirs(paths) if p.name not in known]
    if unknown:
        raise WarehouseError(
            f"the warehouse {paths.warehouse} does not know {len(unknown)} batches in staging/loaded/ "
            f"(e.g. {unknown[0]}): it was replaced or restored from an older copy; {REBUILD_HINT}"
        )
    if not known and con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0:
        published = _published_articles(paths)
        if published:
            raise WarehouseError(
                f"the warehouse {paths.warehouse} is empty but {paths.analyst_db.name} holds {published} "
                f"articles: refusing to publish over them; {REBUILD_HINT}"
            )


# ---------------------------------------------------------------------------------------------------- loading


@dataclass
class LoadCounts:
    batches: int = 0
    batches_skipped: int = 0  # already loaded
    articles_new: int = 0
    articles_duplicate: int = 0  # near or exact copies: stored, linked to their story
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count (not stored as articles)
    failed: dict[str, str] = field(default_factory=dict)  # batch -> why it went to staging/failed/
    mentions_capped: int = 0  # mention rows over max_mentions_per_country, not stored
    articles_capped: int = 0  # articles that had mentions over the cap
    temps_removed: int = 0  # temp batch folders of dead writers
    loaded_pruned: int = 0  # batches removed from staging/loaded/ after the retention period
    stories_merged: int = 0  # stored stories renamed because a new article linked them (story_merges)

    def add_rejection(self, reason: str, n: int = 1) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + n

    def as_dict(self) -> dict:
        return {
            "batches": self.batches,
            "batches_skipped": self.batches_skipped,
            "batches_failed": dict(sorted(self.failed.items())),
            "articles_new": self.articles_new,
            "articles_duplicate": self.articles_duplicate,
            "rejected": dict(sorted(self.rejected.items())),
            "mentions_capped": self.mentions_capped,
            "articles_capped": self.articles_capped,
            "temps_removed": self.temps_removed,
            "loaded_pruned": self.loaded_pruned,
            "stories_merged": self.stories_merged,
        }


def _story_index(
    con: duckdb.DuckDBPyConnection, prints: list[tuple], exclude: set[str] = frozenset(), index=None
):
    """The stored articles a batch's articles may copy or be copied by, and the rest of their stories.

    `prints` are the batch's (simhash, content_hash, published) fingerprints. A stored article can match one of
    them only when it is within the window of the batch (a window before its oldest article to a window after
    its newest, so an old wire copy arriving with fresh articles still sees its original and an original
    arriving after its copies sees them) and shares a content hash or lies within `verify_distance` SimHash bits;
    DuckDB finds those candidates, and their stories are restored whole, so the index knows each story's
    members (its age, and its first article for `_settle_first_columns`). That is a superset of what a full
    restore of the window could match, so the stories are the same; a small batch restores a few rows instead
    of a fortnight of them (most of the per-batch cost of 30-minute loads). Texts come only for short rows (to
    judge them as `StoryIndex.add` would); longer ones are read on demand, for the few grey-zone candidates
    that need a containment check, in chunks (`StoredTexts`).

    `index`: the index of the batches this load committed before (`StoryCarry`), restored into instead of a new
    one: its entries are skipped by the restore, which only adds what they lack.
    """
    from newsmon.dedupe import LONG_TEXT_CHARS, StoryIndex

    index = index if index is not None else StoryIndex(window_days=STORY_WINDOW_DAYS)
    times = [t for _, _, t in prints if t is not None]
    if not prints:
        return index
    window = timedelta(days=STORY_WINDOW_DAYS)
    now = datetime.now(UTC)
    rows = con.execute(
        """WITH batch AS (SELECT unnest($sh::UBIGINT[]) AS sh),
                near AS (
                    SELECT story_id FROM articles
                    WHERE coalesce(published_at, fetched_at) BETWEEN $lo AND $hi
                      AND (content_hash IN (SELECT unnest($ch::VARCHAR[]))
                           OR simhash IN (SELECT sh FROM batch)
                           OR EXISTS (SELECT 1 FROM batch WHERE bit_count(xor(simhash, batch.sh)) <= $d)))
           SELECT article_id, story_id, simhash, content_hash, coalesce(published_at, fetched_at), source,
                  CASE WHEN length(text) > $long THEN NULL ELSE coalesce(text, '') END
           FROM articles WHERE story_id IN (SELECT story_id FROM near)
           ORDER BY coalesce(published_at, fetched_at), article_id""",
        {
            "sh": [int(sh) & 0xFFFFFFFFFFFFFFFF for sh, _, _ in prints if sh],
            "ch": [ch for _, ch, _ in prints if ch],
            "lo": min(times, default=now) - window,
            "hi": max(times, default=now) + window,
            "d": index.verify_distance,
            "long": LONG_TEXT_CHARS,
        },
    ).fetchall()
    rows = [r for r in rows if r[0] not in exclude] if exclude else rows
    loader = index.text_loader if isinstance(index.text_loader, StoredTexts) else StoredTexts(con)
    loader.expect(r[0] for r in rows if r[6] is None and r[0] not in index)
    index.from_rows(rows, text_loader=loader)
    return index


class StoredTexts:
    """The stored texts of restored articles, read for the grey-zone candidates that need them.

    One query per article cost 2 ms (8,400 of them, 16 s, in the second batch of a 20,000-article day), so a
    text that is asked for comes with the next texts of the restored articles still expected, twice as many at
    each query up to `chunk`: a batch that needs a few texts reads a few (as small 30-minute batches do), one
    that needs thousands reads them in a few queries, and at most about as many unasked texts as asked ones.
    """

    def __init__(self, con, chunk: int = 2048):
        self.con, self.chunk = con, chunk
        self._expected: dict[str, None] = {}  # ordered: restored articles whose text is not read yet
        self._read: dict[str, str] = {}
        self._next = 1  # texts the next query reads

    def expect(self, article_ids: Iterable[str]) -> None:
        self._expected.update(dict.fromkeys(article_ids))

    def __call__(self, article_id: str) -> str:
        if article_id not in self._read:
            self._expected.pop(article_id, None)
            ids = [article_id, *islice(self._expected, self._next - 1)]
            self._next = min(2 * self._next, self.chunk)
            for other in ids[1:]:
                del self._expected[other]
            rows = self.con.execute(
                "SELECT article_id, text FROM articles WHERE article_id IN (SELECT unnest($ids::VARCHAR[]))",
                {"ids": ids},
            ).fetchall()
            self._read.update(dict.fromkeys(ids, ""))
            self._read.update((aid, text or "") for aid, text in rows)
        return self._read.pop(article_id)  # the entry keeps it from now on


def _apply_story_merges(con, merges: list[tuple[str, str]], batch_name: str, now) -> int:
    """Rename merged stories in the stored rows (in the order they merged) and log each rename.

    A merge of stories that exist only in this batch changes nothing stored and is not logged. The log's days
    are those of the renamed stored articles: their story counts change, so `touched_days` recomputes them.
    """
    logged = 0
    for loser, survivor in merges:
        stored = con.execute(
            "SELECT count(*), list(DISTINCT day ORDER BY day) FROM articles WHERE story_id = ?", [loser]
        ).fetchall()[0]
        if not stored[0]:
            continue
        con.execute("UPDATE articles SET story_id = ? WHERE story_id = ?", [survivor, loser])
        con.execute(
            "INSERT INTO story_merges VALUES (?, ?, ?, ?, ?, ?)",
            [loser, survivor, stored[0], stored[1], now, batch_name],
        )
        log.info("story %s merged into %s (%d stored articles)", loser, survivor, stored[0])
        logged += 1
    return logged


def revise_articles(con: duckdb.DuckDBPyConnection, revised: list[Article], reason: str) -> dict:
    """Store new text for articles already loaded (e.g. boilerplate learned since), with their new tags and
    fingerprints, and settle their stories again; every revision is logged in `article_revisions`, whose days
    `aggregates.touched_days` recomputes. The caller makes the next publish a full one.

    Tags first, text second: a crash between the two leaves the old text, so a rerun finds the same paragraphs
    again and redoes both.
    """
    if not revised:
        return {"articles": 0, "stories_changed": 0, "stories_merged": 0}
    replace_tags(
        con,
        [(a.article_id, a) for a in revised],
        {a.article_id: (a.relations, a.lexicon_version) for a in revised},
    )
    now = datetime.now(UTC)
    ids = [a.article_id for a in revised]
    con.execute("BEGIN TRANSACTION")
    try:
        rows = [
            {
                "article_id": a.article_id,
                "text": a.text,
                "content_hash": a.content_hash,
                "removed_repetition": int(a.removed.get("repetition", 0)),
            }
            for a in revised
        ]
        table = _to_arrow(rows).append_column(
            "simhash", pa.array([int(a.simhash) & 0xFFFFFFFFFFFFFFFF for a in revised], pa.uint64())
        )
        con.register("_revised", table)
        con.execute(
            "UPDATE articles SET text = r.text, content_hash = r.content_hash, simhash = r.simhash, "
            "removed_repetition = r.removed_repetition FROM _revised r WHERE articles.article_id = r.article_id"
        )
        con.unregister("_revised")
        changed, merged = _resettle_stories(con, revised, now)
        con.execute(
            "INSERT INTO article_revisions SELECT article_id, day, ?, ? FROM articles WHERE article_id IN ?",
            [reason, now, ids],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"articles": len(revised), "stories_changed": changed, "stories_merged": merged}


def _resettle_stories(con, revised: list[Article], now) -> tuple[int, int]:
    """File revised articles again, against every other stored article around them (their old fingerprints
    are gone): they join the stories they now match, which merge if several (logged as in a load)."""
    ids = {a.article_id for a in revised}
    index = _story_index(
        con, [(a.simhash, a.content_hash, a.published_at or a.fetched_at) for a in revised], exclude=ids
    )
    for a in sorted(revised, key=lambda r: (r.published_at or r.fetched_at, r.article_id)):
        index.add(a.article_id, a.text, a.published_at or a.fetched_at, a.source, a.simhash, a.content_hash)
    merged = _apply_story_merges(con, index.merges, "revision", now)
    old = dict(
        con.execute("SELECT article_id, story_id FROM articles WHERE article_id IN ?", [list(ids)]).fetchall()
    )
    moves = [(index.story_of(aid), aid) for aid in ids if index.story_of(aid) != old.get(aid)]
    for story, aid in moves:
        con.execute("UPDATE articles SET story_id = ? WHERE article_id = ?", [story, aid])
    # the stories they left and joined (and any merged into those) have other members now, or other texts
    _settle_first_columns(con, {*old.values(), *(index.story_of(aid) for aid in ids)})
    return len(moves), merged


def read_batch(batch: Path) -> dict[str, pa.Table]:
    """Every part of a staged batch, checked against its `_COMPLETE` counts; raises BatchUnreadable."""
    try:
        expected = json.loads((batch / "_COMPLETE").read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise BatchUnreadable(f"_COMPLETE cannot be read: {_one_line(exc)}") from None
    expected = expected if isinstance(expected, dict) else {}
    parts = {}
    for name in STAGED_PARTS:
        path = batch / f"{name}.parquet"
        if not path.exists() and name in OPTIONAL_PARTS:
            parts[name] = pa.table({})
            continue
        if not path.exists():
            raise BatchUnreadable(f"{path.name} is missing")
        try:
            # one file, read whole in this thread: pq.read_table's dataset layer and thread pool cost 2 ms per
            # part, ten times the read itself, which every small batch paid seven times
            with pq.ParquetFile(path) as part:
                table = part.read(use_threads=False)
        except (pa.ArrowException, OSError) as exc:
            raise BatchUnreadable(f"{path.name} cannot be read: {_one_line(exc)}") from None
        want = expected.get(name)
        if isinstance(want, int) and table.num_rows != want:
            raise BatchUnreadable(f"{path.name} has {table.num_rows} rows, _COMPLETE says {want}")
        missing = REQUIRED_COLUMNS[name] - set(table.column_names) if table.num_rows else set()
        if missing:
            raise BatchUnreadable(f"{path.name} lacks columns {sorted(missing)}")
        parts[name] = table
    return parts


class StoryCarry:
    """The story index of the batches one load has committed, handed to its next batch (same connection).

    Each batch restored the stories near it from the warehouse, so the second shard's batch of a day read back
    (and fingerprinted again) the first one's articles, which the index of the first still held. That index
    knows every member of its stories, as a restore would, and the next restore adds the stored stories it
    lacks, so the stories are the same. It is dropped when a batch fails (it holds rolled-back articles) or grows
    past `max_entries` (a rebuild of many days), and the next batch restores afresh.
    """

    def __init__(self, max_entries: int = 100_000):
        self.index = None
        self.max_entries = max_entries

    def take(self):
        """The committed index, or None; the carry is empty until `keep` after the next commit."""
        index, self.index = self.index, None
        return index

    def keep(self, index) -> None:
        self.index = index if len(index) <= self.max_entries else None


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: Path,
    counts: LoadCounts,
    max_mentions: int | None = None,
    carry: StoryCarry | None = None,
) -> None:
    """Load one staged batch in one transaction. A batch already loaded changes nothing.

    Raises BatchUnreadable (nothing written) when the batch's content cannot be loaded. `carry`: the story
    index of the batches loaded before on this connection, kept for the next one.
    """
    name = batch.name
    if con.execute("SELECT 1 FROM loaded_files WHERE staged_file = ?", [name]).fetchone():
        counts.batches_skipped += 1
        return
    parts = read_batch(batch)
    cap = max_mentions if max_mentions is not None else Settings().max_mentions_per_country
    attempt = LoadCounts()  # counted into `counts` only once the batch is committed
    con.execute("BEGIN TRANSACTION")
    try:
        articles = _dedupe_rows(parts["articles"])
        now = datetime.now(UTC)
        prints = [(a["simhash"], a["content_hash"], a["published_at"] or a["fetched_at"]) for a in articles]
        index = _story_index(con, prints, index=carry.take() if carry else None)
        keep_ids = _dedupe_and_insert_articles(con, articles, index, name, now, attempt, parts["articles"])
        _insert_children(con, parts, keep_ids, cap, attempt)
        _insert_rejections(con, parts["rejections"], name, now, attempt)
        _upsert_feed_health(con, parts["feed_health"], now)
        _insert_fetch_log(con, parts["fetch_log"])
        con.execute("INSERT INTO loaded_files VALUES (?, ?, ?)", [name, len(keep_ids), now])
        con.execute("DELETE FROM failed_batches WHERE staged_file = ?", [name])  # a repaired batch, put back
        con.execute("COMMIT")
        if carry is not None:
            carry.keep(index)
    except BATCH_FAULTS as exc:
        con.execute("ROLLBACK")
        raise BatchUnreadable(_one_line(exc)) from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    counts.batches += 1
    counts.articles_new += attempt.articles_new
    counts.articles_duplicate += attempt.articles_duplicate
    counts.mentions_capped += attempt.mentions_capped
    counts.articles_capped += attempt.articles_capped
    counts.stories_merged += attempt.stories_merged
    for reason, n in attempt.rejected.items():
        counts.add_rejection(reason, n)


# What deduplication reads of a staged article (guid and title may be absent from a staged part).
DEDUPE_COLUMNS = ("article_id", "url", "canonical_url", "feed", "source", "text", "content_hash", "simhash",
                  "published_at", "fetched_at")  # fmt: skip
DEDUPE_OPTIONAL = ("guid", "title")
# The columns the loader settles for each article it inserts, with their Arrow types.
SETTLED_COLUMNS = {
    "story_id": pa.string(),
    "duplicate_of": pa.string(),
    "dup_reason": pa.string(),
    "is_wire": pa.bool_(),
    "staged_file": pa.string(),
    "loaded_at": pa.timestamp("us", tz="UTC"),
}


def _dedupe_rows(table: pa.Table) -> list[dict]:
    """One dict per staged article with the columns deduplication reads and its row number (`row`).

    Only those columns become Python objects: the whole part to dicts and back to Arrow for the insert was a
    tenth of a large batch's load. A missing column raises KeyError (a batch fault), as reading it did."""
    if table.num_rows == 0:
        return []
    names = [*DEDUPE_COLUMNS, *(c for c in DEDUPE_OPTIONAL if c in table.column_names)]
    columns = [table.column(c).to_pylist() for c in names]  # KeyError for a missing one
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    for n, row in enumerate(rows):
        row["row"] = n
    return rows


def _inserted_articles(table: pa.Table, keep: list[dict]) -> pa.Table:
    """The staged rows of the articles kept, in their order, with the columns the loader settled."""
    rows = table.take(pa.array([a["row"] for a in keep], pa.int64()))
    rows = rows.drop_columns([c for c in SETTLED_COLUMNS if c in rows.column_names])
    for name, type_ in SETTLED_COLUMNS.items():
        rows = rows.append_column(name, pa.array([a[name] for a in keep], type_))
    return rows


def _dedupe_and_insert_articles(
    con, articles: list[dict], index, batch_name: str, now, counts: LoadCounts, staged: pa.Table
) -> set[str]:
    """Decide story membership for each staged article (`_dedupe_rows` of the `staged` part) and insert the new
    ones. Returns the ids inserted."""
    known_urls = _existing(con, "canonical_url", [a["canonical_url"] for a in articles])
    # A GUID is unique within its feed only (RSS): two outlets may both number their items 1, 2, 3.
    seen_guids = _existing_keys(con, ("feed", "guid"), [(a["feed"], a.get("guid")) for a in articles])
    # The same text under the same title from the same outlet is one article, whatever its URL says (a link that
    # carries a cache-buster or a per-run tracking value must not add a copy every run). Other outlets' copies
    # are syndication: they stay, linked to their story below.
    seen_texts = _existing_keys(con, ("source", "title", "content_hash"), [_text_key(a) for a in articles])
    keep: list[dict] = []
    seen_urls: set[str] = set()
    merged_before = len(index.merges)  # a carried index holds the merges of earlier batches, applied already
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
        if match.story_id != a["article_id"]:  # joined a story stored or earlier in the batch
            counts.articles_duplicate += 1
        else:
            counts.articles_new += 1
        keep.append(a)
    for a in keep:  # a later article of the batch may have merged this one's story into another
        a["story_id"] = index.story_of(a["article_id"])
    if keep:
        _insert_arrow(con, "articles", _inserted_articles(staged, keep))
    counts.stories_merged += _apply_story_merges(con, index.merges[merged_before:], batch_name, now)
    # a story of one article has its columns right from the insert; the index knows every stored member of the
    # stories this batch touched (they are restored whole), so only stories of several need settling
    _settle_first_columns(con, {a["story_id"] for a in keep if index.size_of(a["story_id"]) > 1})
    return {a["article_id"] for a in keep}


def _settle_first_columns(con, stories: Iterable[str]) -> int:
    """Set `duplicate_of`, `dup_reason` and `is_wire` of every stored member of these stories from the members
    alone, so they do not depend on which copy arrived first; returns how many rows changed.

    The story's original is its earliest article (published, else fetched; ties by article id); every other
    member is a copy of it (`content_hash` when it has the same text, else `simhash`), a wire copy when another
    outlet's; the original is a wire story when another outlet carries it. A late original, or a copy that
    arrives before its original, revises the earlier rows here (the same rule as `StoryIndex._match_of`).
    """
    stories = sorted({s for s in stories if s})
    if not stories:
        return 0
    return con.execute(
        """UPDATE articles SET duplicate_of = f.dup, dup_reason = f.reason, is_wire = f.wire FROM (
               WITH m AS (
                   SELECT article_id, story_id, source, content_hash,
                          row(coalesce(published_at, fetched_at), article_id) AS age
                   FROM articles WHERE story_id IN (SELECT unnest($stories::VARCHAR[]))),
               o AS (
                   SELECT story_id, arg_min(article_id, age) AS first_id, arg_min(source, age) AS first_source,
                          arg_min(content_hash, age) AS first_hash
                   FROM m GROUP BY story_id),
               w AS (
                   SELECT m.story_id, bool_or(m.source IS DISTINCT FROM o.first_source) AS carried
                   FROM m JOIN o USING (story_id) GROUP BY m.story_id)
               SELECT m.article_id,
                      CASE WHEN m.article_id = o.first_id THEN NULL ELSE o.first_id END AS dup,
                      CASE WHEN m.article_id = o.first_id THEN NULL
                           WHEN m.content_hash = o.first_hash THEN 'content_hash' ELSE 'simhash' END AS reason,
                      CASE WHEN m.article_id = o.first_id THEN w.carried
                           ELSE m.source IS DISTINCT FROM o.first_source END AS wire
               FROM m JOIN o USING (story_id) JOIN w USING (story_id)) f
           WHERE articles.article_id = f.article_id
             AND (articles.duplicate_of IS DISTINCT FROM f.dup OR articles.dup_reason IS DISTINCT FROM f.reason
                  OR articles.is_wire IS DISTINCT FROM f.wire)""",
        {"stories": stories},
    ).fetchall()[0][0]


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


def _insert_children(
    con, parts: dict[str, pa.Table], keep_ids: set[str], cap: int, counts: LoadCounts
) -> None:
    if not keep_ids:
        return
    ids = {"ids": list(keep_ids)}
    if parts["mentions"].num_rows:
        _insert_mentions(con, parts["mentions"], cap, counts, ids)
    if parts["article_countries"].num_rows:
        con.register("_staged_countries", parts["article_countries"])
        try:
            # The stored count agrees with the mention rows kept under the cap (aggregates sum it).
            con.execute(
                """INSERT INTO article_countries BY NAME
                   SELECT * REPLACE (least(mentions, $cap) AS mentions) FROM _staged_countries
                   WHERE article_id IN (SELECT unnest($ids))""",
                {**ids, "cap": cap},
            )
        finally:
            with suppress(duckdb.Error):
                con.unregister("_staged_countries")
    if parts.get("relations") is not None and parts["relations"].num_rows:
        _insert_relations(con, parts["relations"], ids)


def _insert_relations(con, table: pa.Table, ids: dict) -> None:
    """Relation rows into `relations`, and their sentences into `sentences` where no mention put them."""
    con.register("_staged_relations", table)
    try:
        columns = [
            c
            for c in (
                "article_id",
                "seq",
                "sentence",
                "source",
                "target",
                "class",
                "cue",
                "reported",
                "lexicon_version",
            )
            if c in table.column_names
        ]
        names = ", ".join(columns)
        con.execute(
            f"""INSERT INTO relations ({names}) SELECT {names} FROM _staged_relations
                WHERE article_id IN (SELECT unnest($ids)) ON CONFLICT DO NOTHING""",
            ids,
        )
        if "evidence" in table.column_names:
            con.execute(
                """INSERT INTO sentences SELECT article_id, sentence, first(evidence ORDER BY seq)
                   FROM _staged_relations WHERE article_id IN (SELECT unnest($ids)) AND coalesce(evidence, '') <> ''
                   GROUP BY ALL ON CONFLICT DO NOTHING""",
                ids,
            )
    finally:
        with suppress(duckdb.Error):
            con.unregister("_staged_relations")


def _insert_mentions(con, table: pa.Table, cap: int, counts: LoadCounts, ids: dict | None = None) -> None:
    """Mention rows into `mention_spans` (at most `cap` per article and country, the earliest kept) and each
    evidence sentence once into `sentences`."""
    where = "WHERE article_id IN (SELECT unnest($ids))" if ids else ""
    params = {**(ids or {}), "cap": cap}
    has_evidence = "evidence" in table.column_names
    con.register("_staged_mentions", table)
    try:
        over = con.execute(
            f"""SELECT count(DISTINCT article_id), coalesce(sum(n - $cap), 0) FROM (
                    SELECT article_id, country, count(*) AS n FROM _staged_mentions {where} GROUP BY ALL)
                WHERE n > $cap""",
            params,
        ).fetchone()
        counts.articles_capped += over[0]
        counts.mentions_capped += int(over[1])
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _kept_mentions AS SELECT * FROM _staged_mentions {where}
                QUALIFY row_number() OVER (PARTITION BY article_id, country ORDER BY seq) <= $cap""",
            params,
        )
    finally:
        with suppress(duckdb.Error):
            con.unregister("_staged_mentions")
    spans = ", ".join(
        c
        for c in ("article_id", "seq", "country", "start_char", "end_char", "surface", "alias", "kind")
        + ("position", "sentence", "paragraph")
        if c in table.column_names
    )
    con.execute(f"INSERT INTO mention_spans ({spans}) SELECT {spans} FROM _kept_mentions")
    if has_evidence and "sentence" in table.column_names:
        # Batches staged before evidence was written once per sentence carry it on every mention: first wins.
        con.execute(
            """INSERT INTO sentences SELECT article_id, sentence, first(evidence ORDER BY seq) FROM _kept_mentions
               WHERE coalesce(evidence, '') <> '' AND sentence IS NOT NULL GROUP BY ALL ON CONFLICT DO NOTHING"""
        )
    con.execute("DROP TABLE _kept_mentions")


def _insert_rejections(con, table: pa.Table, name: str, now, counts: LoadCounts) -> None:
    for r in table.to_pylist():
        counts.add_rejection(r["reason"])
        con.execute(
            "INSERT INTO rejections VALUES (?, ?, ?, ?, ?, ?, ?)",
            [r["url"], r.get("feed"), r["reason"], None, r.get("detail"), r.get("at") or now, name],
        )


def _upsert_feed_health(con, table: pa.Table, now) -> None:
    if table.num_rows == 0:
        return
    table = table.append_column("updated_at", pa.array([now] * table.num_rows, pa.timestamp("us", tz="UTC")))
    updates = ", ".join(f"{c} = excluded.{c}" for c in table.column_names if c != "feed")
    _insert_arrow(con, "feed_health", table, conflict=f"ON CONFLICT (feed) DO UPDATE SET {updates}")


def _insert_fetch_log(con, table: pa.Table) -> None:
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


def load_pending(
    paths: Paths, batches: list[Path] | None = None, settings: Settings | None = None
) -> LoadCounts:
    """Load staged batches (default: all complete ones) and move them to staging/loaded/.

    A batch that cannot be read goes to staging/failed/ with a `_REASON` file and is recorded in
    `failed_batches`; the others load. Temp folders of dead stagers are removed first, and loaded batches older
    than `loaded_retention_days` are pruned after.
    """
    settings = settings or Settings.load()
    started = datetime.now(UTC)
    counts = LoadCounts()
    counts.temps_removed = len(clean_staging_temps(paths))
    batches = pending_batches(paths.staging) if batches is None else [Path(b) for b in batches]
    try:
        _load_into_warehouse(paths, batches, counts, settings, started)
    except duckdb.IOException as exc:  # the warehouse file itself, not a batch: every batch stays staged
        raise WarehouseError(_storage_problem(paths.warehouse, exc)) from None
    log.info("loaded %s", counts.as_dict())
    return counts


def _storage_problem(path: Path, exc: Exception) -> str:
    """One line for an I/O error of the warehouse file: a full disk, or a damaged (e.g. truncated) file."""
    text = _one_line(exc)
    if "space" in text.lower():
        return f"the warehouse {path} could not be written ({text}): free space and rerun; every batch stays staged"
    return f"the warehouse {path} is damaged ({text}): move it aside and {REBUILD_HINT}"


def _load_into_warehouse(
    paths: Paths, batches: list[Path], counts: LoadCounts, settings: Settings, started: datetime
) -> None:
    done_dir = paths.staging / "loaded"
    carry = StoryCarry()
    with open_warehouse(paths, guard=True) as con:
        for batch in batches:
            if not batch.exists():
                if (done_dir / batch.name).exists():  # a retried load after the move: nothing to do
                    counts.batches_skipped += 1
                elif not (paths.staging / "failed" / batch.name).exists():
                    _record_failure(con, paths, batch, "staged batch not found", counts, move=False)
                continue
            try:
                load_batch(con, batch, counts, settings.max_mentions_per_country, carry)
            except BatchUnreadable as exc:
                _record_failure(con, paths, batch, str(exc), counts)
                continue
            done_dir.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(done_dir / batch.name, ignore_errors=True)
            os.replace(batch, done_dir / batch.name)
        counts.loaded_pruned = prune_loaded(con, paths, settings.loaded_retention_days)
        _forget_handled_failures(con, paths, started)


def _record_failure(
    con, paths: Paths, batch: Path, reason: str, counts: LoadCounts, move: bool = True
) -> None:
    """Set a batch aside in staging/failed/ with its reason, and say so in `failed_batches` and the counts."""
    log.error("staged batch %s cannot be loaded, moved to staging/failed/: %s", batch.name, reason)
    counts.failed[batch.name] = reason
    if move:
        failed_dir = paths.staging / "failed"
        failed_dir.mkdir(parents=True, exist_ok=True)
        target = failed_dir / batch.name
        if target.exists():
            target = failed_dir / f"{batch.name}.{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
        os.replace(batch, target)
        (target / "_REASON").write_text(
            f"{reason}\nfailed at {datetime.now(UTC).isoformat()}; to retry, fix the files, delete this "
            "_REASON file and move the folder back to staging/\n",
            encoding="utf-8",
        )
    con.execute(
        "INSERT INTO failed_batches VALUES (?, ?, ?) ON CONFLICT (staged_file) DO UPDATE SET "
        "reason = excluded.reason, failed_at = excluded.failed_at",
        [batch.name, reason, datetime.now(UTC)],
    )


def _forget_handled_failures(con, paths: Paths, before: datetime) -> None:
    """A failed batch whose folder the operator deleted from staging/failed/ is a loss accepted: forget it."""
    failed_dir = paths.staging / "failed"
    present = {p.name.split(".")[0] for p in failed_dir.iterdir()} if failed_dir.exists() else set()
    for (name,) in con.execute(
        "SELECT staged_file FROM failed_batches WHERE failed_at < ?", [before]
    ).fetchall():
        if name.split(".")[0] not in present:
            con.execute("DELETE FROM failed_batches WHERE staged_file = ?", [name])


def prune_loaded(con, paths: Paths, retention_days: float, now: datetime | None = None) -> int:
    """Remove batches from staging/loaded/ whose load is older than the retention period; returns how many."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    old = {
        r[0]
        for r in con.execute("SELECT staged_file FROM loaded_files WHERE loaded_at < ?", [cutoff]).fetchall()
    }
    pruned = [p for p in _loaded_dirs(paths) if p.name in old]
    for p in pruned:
        shutil.rmtree(p, ignore_errors=True)
    return len(pruned)


def replace_tags(
    con: duckdb.DuckDBPyConnection, tagged: list[tuple[str, object]], relations: dict | None = None
) -> None:
    """Swap the stored tags of these articles for new ones (after a watchlist change), in one transaction.
    `relations` (article_id -> (relations, lexicon_version)), when given, replaces their relations too."""
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
    cap = Settings.load().max_mentions_per_country
    con.execute("BEGIN TRANSACTION")
    try:
        tables = ("mention_spans", "sentences", "article_countries") + (
            ("relations",) if relations is not None else ()
        )
        for table in tables:
            con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT unnest($ids))", {"ids": ids})
        r_rows = [
            r
            for aid, (rels, version) in (relations or {}).items()
            for r in _relation_rows(aid, rels, version)
        ]
        parts = {
            "mentions": pa.Table.from_pylist(m_rows) if m_rows else pa.table({}),
            "article_countries": pa.Table.from_pylist(c_rows) if c_rows else pa.table({}),
            "relations": pa.Table.from_pylist(r_rows) if r_rows else pa.table({}),
        }
        _insert_children(con, parts, set(ids), cap, LoadCounts())
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
    "mention_spans": "SELECT m.* FROM mention_spans m JOIN articles a USING (article_id) WHERE a.loaded_at > $mark",
    "sentences": "SELECT s.* FROM sentences s JOIN articles a USING (article_id) WHERE a.loaded_at > $mark",
    "relations": "SELECT r.* FROM relations r JOIN articles a USING (article_id) WHERE a.loaded_at > $mark",
}


def _published_dir(paths: Paths) -> Path:
    return paths.data_dir / "published"


def publish(paths: Paths, full: bool = False, allow_shrink: bool = False) -> Path:
    """Write a new version of the analyst database and point `newsmon.duckdb` at it (an atomic symlink swap).

    Cheap as data grows: the previous analyst database is copied as a file and only the articles loaded since
    (and their mentions) are appended, while the small tables are replaced whole. A full rebuild happens when
    there is no previous file, the schema changed, the counts disagree, a retag rewrote old rows, or `full`.
    A publish that would hold fewer articles than the current file raises WarehouseError unless `allow_shrink`.
    Temp copies of dead publishers are removed first, and this one's on any failure.
    """
    paths.ensure()
    with warehouse_lock(paths):
        remove_dead_temps(_publish_temps(paths), grace=timedelta(0))  # the lock keeps live publishers out
        _refuse_lost_warehouse(paths)
        folder = _published_dir(paths)
        folder.mkdir(parents=True, exist_ok=True)
        version = folder / f"newsmon-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.duckdb"
        tmp = folder / f".{version.name}.tmp-{os.getpid()}"
        previous = paths.analyst_db.resolve() if paths.analyst_db.is_symlink() else None
        full_flag = paths.state / "publish-full"
        flagged = full_flag.exists()  # the lock keeps the writers that set it out until this publish ends
        try:
            _write_analyst_copy(paths, tmp, full, allow_shrink, version.name)
            os.chmod(
                tmp, 0o444
            )  # readers open it read-only; a read-write open fails instead of locking them out
            os.replace(tmp, version)
            _point_analyst_db_at(paths, version)
            if flagged:  # consumed only once the full version is in place: a killed publish leaves it set
                full_flag.unlink(missing_ok=True)
        except BaseException:
            for leftover in (tmp, Path(f"{tmp}.wal")):
                leftover.unlink(missing_ok=True)
            raise
        _prune_versions(folder, keep={version, previous})
    return paths.analyst_db


def _write_analyst_copy(paths: Paths, tmp: Path, full: bool, allow_shrink: bool, version: str = "") -> None:
    con = connect_warehouse(paths.warehouse)
    try:
        _refuse_shrink(paths, con, allow_shrink)
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
        if incremental:
            _publish_story_merges(con, mark)
            _publish_first_columns(con, mark)
        _index_for_search(con)
        con.execute(
            "CREATE OR REPLACE TABLE analyst.publish_info AS SELECT now() AS published_at, "
            "(SELECT max(loaded_at) FROM articles) AS loaded_until, (SELECT count(*) FROM articles) AS articles, "
            "$fp AS schema_fingerprint, $mode AS mode",
            {"fp": fingerprint, "mode": "incremental" if incremental else "full"},
        )
        con.execute("DETACH analyst")
        if version:  # only the versions kept on disk need a row
            con.execute(
                "DELETE FROM published_versions WHERE version NOT IN (SELECT unnest(?::VARCHAR[]))",
                [[version, paths.analyst_db.resolve().name if paths.analyst_db.is_symlink() else ""]],
            )
            # delete then insert, not INSERT OR REPLACE: a warehouse built without primary keys (bench/aggregates.py
            # builds one for millions of generated rows) has none for ON CONFLICT to use
            con.execute("DELETE FROM published_versions WHERE version = ?", [version])
            con.execute("INSERT INTO published_versions SELECT ?, count(*) FROM articles", [version])
    finally:
        con.close()
    if not incremental:
        _create_analyst_views(tmp)


def _index_for_search(con) -> None:
    """The topic search's term index over the rows just appended (search_index.py owns it; all rows on a full
    publish)."""
    from newsmon.search_index import update_index

    log.info("search index: %s", update_index(con, "analyst"))


def _refuse_shrink(paths: Paths, con, allow_shrink: bool) -> None:
    published = _current_published_articles(paths, con)
    stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    if published and stored < published and not allow_shrink:
        raise WarehouseError(
            f"publishing would drop {published - stored} of the {published} articles in "
            f"{paths.analyst_db.name} (the warehouse holds {stored}); if that is meant (say after a rebuild "
            "from pruned batches), run `newsmon publish --allow-shrink`"
        )


def _current_published_articles(paths: Paths, con) -> int | None:
    """Articles in the current analyst version: as recorded when this warehouse published it (a version file is
    never rewritten), else read from the file (opening it cost 100 ms per load)."""
    if paths.analyst_db.is_symlink():
        name = paths.analyst_db.resolve().name
        row = con.execute("SELECT articles FROM published_versions WHERE version = ?", [name]).fetchall()
        if row:
            return row[0][0]
    return _published_articles(paths)


def _point_analyst_db_at(paths: Paths, version: Path) -> None:
    """Swap the `newsmon.duckdb` symlink to `version` in one rename (relative, so the folder can move)."""
    link = paths.data_dir / f".newsmon.duckdb.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(version, paths.data_dir), link)
    os.replace(link, paths.analyst_db)
    _fsync_dir(paths.data_dir)
    # A log left beside the flat file of older versions belongs to that file, never to the new one.
    Path(f"{paths.analyst_db}.wal").unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune_versions(folder: Path, keep: set[Path | None]) -> None:
    """Remove analyst versions other than `keep`, and their logs (an open session keeps its snapshot)."""
    kept = {p.name for p in keep if p is not None}
    for path in folder.glob("newsmon-*.duckdb*"):
        if path.name.removesuffix(".wal") not in kept:
            path.unlink(missing_ok=True)


def _publish_story_merges(con, mark) -> None:
    """Carry the renames of stories merged since the last publish to the articles already published."""
    con.execute(
        """UPDATE analyst.articles SET story_id = w.story_id FROM articles w
           WHERE analyst.articles.article_id = w.article_id AND analyst.articles.story_id <> w.story_id
             AND analyst.articles.story_id IN (SELECT from_story FROM story_merges WHERE merged_at > $mark)""",
        {"mark": mark},
    )


def _publish_first_columns(con, mark) -> None:
    """Carry `duplicate_of`, `dup_reason` and `is_wire` settled again since the last publish (a new member of a
    story can revise its older members: a late original makes the first copy a copy) to published articles.
    Only stories with an article loaded since can have changed (a merge is made by a new article too)."""
    con.execute(
        """UPDATE analyst.articles SET duplicate_of = w.duplicate_of, dup_reason = w.dup_reason, is_wire = w.is_wire
           FROM articles w
           WHERE analyst.articles.article_id = w.article_id
             AND w.story_id IN (SELECT story_id FROM articles WHERE loaded_at > $mark)
             AND (analyst.articles.duplicate_of IS DISTINCT FROM w.duplicate_of
                  OR analyst.articles.dup_reason IS DISTINCT FROM w.dup_reason
                  OR analyst.articles.is_wire IS DISTINCT FROM w.is_wire)""",
        {"mark": mark},
    )


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
    if (paths.state / "publish-full").exists() or not paths.analyst_db.exists():
        return False  # the flag goes once this full publish is in place (`publish`), not before
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
    con = duckdb.connect(str(db_file))
    try:
        con.execute(MENTIONS_VIEW.read_text(encoding="utf-8"))
        views = SQL_DIR / "analyst.sql"
        if views.exists():
            con.execute(views.read_text(encoding="utf-8"))
        con.execute("CHECKPOINT")
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------------- rebuild


def rebuild(paths: Paths, allow_shrink: bool = False, settings: Settings | None = None) -> dict:
    """Build a new warehouse from the batches in staging/loaded/ (in staging order), then publish it.

    The ledgers (digests and alerts sent) are taken over from the analyst database so nothing is sent twice;
    the daily tables are recomputed. An existing warehouse file is kept aside as `warehouse.duckdb.replaced-*`.
    """
    settings = settings or Settings.load()
    paths.ensure()
    batches = sorted(
        (p for p in _loaded_dirs(paths) if (p / "_COMPLETE").exists()),
        key=lambda p: ((p / "_COMPLETE").stat().st_mtime, p.name),
    )
    if not batches:
        raise WarehouseError(f"nothing to rebuild from: {paths.staging / 'loaded'} holds no loaded batches")
    counts = LoadCounts()
    fresh = paths.data_dir / f".warehouse.duckdb.rebuild-{os.getpid()}"
    with warehouse_lock(paths):
        for leftover in (fresh, Path(f"{fresh}.wal")):
            leftover.unlink(missing_ok=True)
        con = connect_warehouse(fresh)
        carry = StoryCarry()
        try:
            for batch in batches:
                try:
                    load_batch(con, batch, counts, settings.max_mentions_per_country, carry)
                except BatchUnreadable as exc:
                    _record_failure(con, paths, batch, str(exc), counts)
            ledgers = _take_over_ledgers(con, paths)
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            for leftover in (fresh, Path(f"{fresh}.wal")):
                leftover.unlink(missing_ok=True)
            raise
        con.close()
        if paths.warehouse.exists():
            aside = paths.data_dir / f"warehouse.duckdb.replaced-{datetime.now(UTC):%Y%m%dT%H%M%S}"
            os.replace(paths.warehouse, aside)
            log.warning("the previous warehouse file was kept as %s", aside)
        Path(f"{paths.warehouse}.wal").unlink(missing_ok=True)
        os.replace(fresh, paths.warehouse)
    days = _recompute_all_days(paths)
    publish(paths, full=True, allow_shrink=allow_shrink)
    return {**counts.as_dict(), "ledger_rows": ledgers, "days": days}


def _take_over_ledgers(con, paths: Paths) -> int:
    """Copy digest_ledger and alert_ledger rows from the analyst database, if it can be read."""
    if not paths.analyst_db.exists():
        return 0
    try:
        con.execute(f"ATTACH '{paths.analyst_db.resolve()}' AS previous (READ_ONLY)")
    except duckdb.Error as exc:
        log.warning("ledgers not taken over, cannot read %s: %s", paths.analyst_db, _one_line(exc))
        return 0
    rows = 0
    try:
        present = _tables(con, "previous")
        for table in ("digest_ledger", "alert_ledger"):
            if table in present and table in _tables(con):
                before = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                con.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM previous.{table} ON CONFLICT DO NOTHING"
                )
                rows += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - before
    finally:
        con.execute("DETACH previous")
    return rows


def _recompute_all_days(paths: Paths) -> int:
    try:
        from newsmon.aggregates import run_daily
    except ImportError:  # aggregates not installed in this build
        return 0
    with open_warehouse(paths) as con:
        span = con.execute("SELECT min(day), max(day) FROM articles").fetchone()
    if span[0] is None:
        return 0
    days = [span[0] + timedelta(days=i) for i in range((span[1] - span[0]).days + 1)]
    run_daily(paths, days=days, publish=False)
    return len(days)


# ---------------------------------------------------------------------------------------------------- commands


def cli_publish(args) -> int:
    from newsmon.config import paths as get_paths

    out = publish(
        get_paths(), full=getattr(args, "full", False), allow_shrink=getattr(args, "allow_shrink", False)
    )
    print(f"published {out} -> {out.resolve().name}")
    return 0


def cli_rebuild(args) -> int:
    from newsmon.config import paths as get_paths

    result = rebuild(get_paths(), allow_shrink=getattr(args, "allow_shrink", False))
    failed = result["batches_failed"]
    print(
        f"rebuilt the warehouse from {result['batches']} batches: {result['articles_new']} new articles, "
        f"{result['articles_duplicate']} duplicates, {result['days']} days recomputed, "
        f"{result['ledger_rows']} ledger rows kept"
        + (f"; {len(failed)} batches moved to staging/failed/" if failed else "")
    )
    return 0
