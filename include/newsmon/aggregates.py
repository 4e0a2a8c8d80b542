"""Daily aggregates, baselines and spikes, and the analyst-facing commands (`daily`, `trends`, `query`).

Writes `daily_total`, `daily_country`, `daily_pair`, `daily_source`, `daily_relation` and `daily_cooperation` (from
the `relations` rows, docs/relations.md) in the private warehouse; `publish` copies
them to the analyst database, where `sql/analyst.sql` adds views and macros on top.

Idempotent by date: a day's rows are computed from the articles of that day only and replace the old rows in one
transaction, and baselines are a pure function of the daily rows, so a rerun or a backfill over any range gives the
same rows. Nothing here writes a wall-clock time into a compared table.

Baselines (metric: `stories`, distinct story_id, so wire syndication alone never makes a spike):
- `history_days` = days with data before `day`, at most 28 (the first day with any article starts the history);
- `mean_7d`, `mean_28d`: mean stories over the last 7 / 28 days before `day` (not including it), over the days
  of history available; a day with no row counts as zero stories;
- `std_28d`: population standard deviation over the same 28 days;
- `z_28d` = (stories - mean_28d) / max(std_28d, sqrt(mean_28d), 1), NULL before 7 days of history. The floor is
  the Poisson noise of a count (and at least one story), so a flat or empty history does not explode;
- `ratio_28d` = stories / mean_28d, NULL when mean_28d is 0;
- `spike` = at least 7 days of history AND stories >= 3 AND z_28d >= 3 AND (ratio_28d >= 2 OR mean_28d = 0).
"""

from __future__ import annotations

import csv
import logging
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb

from newsmon.config import Paths
from newsmon.config import paths as get_paths

log = logging.getLogger(__name__)

COUNTRIES = ("CN", "RU", "US")  # always get a row per day, even at zero; other watched codes when mentioned
PAIRS = ("CN-RU", "CN-US", "RU-US", "CN-RU-US")
LEVELS = ("sentence", "paragraph", "article")
DAILY_TABLES = (
    "daily_total",
    "daily_country",
    "daily_pair",
    "daily_source",
    "daily_relation",
    "daily_cooperation",
)
RELATION_CLASSES = ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")
SORT_KEYS = {
    "daily_total": "day",
    "daily_country": "day, country",
    "daily_pair": "day, pair, level",
    "daily_source": "day, source, country",
    "daily_relation": "day, source, target, class",
    "daily_cooperation": "day, pair",
}

BASELINE_DAYS = 28
SHORT_BASELINE_DAYS = 7
MIN_HISTORY_DAYS = 7
SPIKE_MIN_STORIES = 3
SPIKE_MIN_Z = 3.0
SPIKE_MIN_RATIO = 2.0
LOOKBACK_DAYS = 30  # late articles older than this are left to `newsmon daily --start/--end`
STATE_NAME = "news_daily"
CELL_WIDTH = 60  # `query` cuts longer cells unless --wide (as newsmon.terminal.CELL_WIDTH)
KEY_PATTERN = re.compile(r"^[A-Z]{2}(-[A-Z]{2}){0,2}$")


# ---------------------------------------------------------------------------------------------------- recompute


def recompute_days(con: duckdb.DuckDBPyConnection, days) -> dict:
    """Recompute the daily rows of `days` (one transaction per day), then the baselines they influence.

    The caller holds the warehouse (`open_warehouse`). Returns counts of what was written.
    """
    days = sorted({_as_date(d) for d in days})
    if not days:
        return {"days": [], "rows": {t: 0 for t in DAILY_TABLES}, "baseline_days": 0}
    prev_first = _first_day(con)
    rows = {t: 0 for t in DAILY_TABLES}
    try:
        _stage_counts(con, days)
        for table in DAILY_TABLES:
            rows[table] = _scalar(con, f"SELECT count(*) FROM _agg_{table}")
        for day in days:
            _replace_day(con, day)
    finally:
        for table in (
            "_agg_days",
            "_agg_articles",
            "_agg_ac",
            "_agg_rel",
            *(f"_agg_{t}" for t in DAILY_TABLES),
        ):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    lo, hi = days[0], days[-1]
    new_first = _first_day(con)
    if prev_first != new_first:  # history start moved: the first 28 days of either history need new baselines
        known = [d for d in (prev_first, new_first) if d is not None]
        lo, hi = min([lo, *known]), max([hi, *known])
    baseline_days = update_baselines(con, lo, hi + timedelta(days=BASELINE_DAYS))
    return {"days": [d.isoformat() for d in days], "rows": rows, "baseline_days": baseline_days}


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _first_day(con) -> date | None:
    return _scalar(con, "SELECT min(day) FROM daily_total WHERE articles > 0")


def _scalar(con, sql: str, params=None):
    """First value of a one-row query, fetched to the end (DuckDB 2.0 refuses new work on a half-read result)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def _stage_counts(con, days: list[date]) -> None:
    """Compute every requested day's rows into temp tables in one pass over the articles."""
    con.execute("CREATE OR REPLACE TEMP TABLE _agg_days AS SELECT unnest(?::DATE[]) AS day", [days])
    # The BETWEEN lets DuckDB skip row groups by their min/max day before the semi-join.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _agg_articles AS
           SELECT article_id, day, story_id, source, coalesce(state_affiliated, false) AS state_affiliated,
                  outlet_country, pairs_sentence, pairs_paragraph, pairs_article
           FROM articles
           WHERE day BETWEEN ? AND ? AND day IN (SELECT day FROM _agg_days)""",
        [days[0], days[-1]],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _agg_ac AS
           SELECT a.day, a.article_id, a.story_id, a.source, a.state_affiliated, a.outlet_country,
                  ac.country, ac.mentions, coalesce(ac.about, false) AS about
           FROM _agg_articles a JOIN article_countries ac USING (article_id)"""
    )
    con.execute(_TOTAL_SQL, [days[0], days[-1]])
    con.execute(_COUNTRY_SQL, [list(COUNTRIES)])
    con.execute(_PAIR_SQL, [list(PAIRS), list(LEVELS)])
    con.execute(_SOURCE_SQL)
    _stage_relations(con)


def _stage_relations(con) -> None:
    """daily_relation and daily_cooperation of the staged days, from the `relations` rows of their articles."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _agg_rel AS
           SELECT a.day, a.article_id, a.story_id, r.sentence, r.source, r.target, r.class
           FROM _agg_articles a JOIN relations r USING (article_id)"""
    )
    con.execute(_RELATION_SQL, [list(COUNTRIES), list(RELATION_CLASSES)])
    con.execute(_COOPERATION_SQL, [[p for p in PAIRS if p.count("-") == 1]])


_TOTAL_SQL = """
CREATE OR REPLACE TEMP TABLE _agg_daily_total AS
WITH a AS (
    SELECT day, count(*) AS articles, count(DISTINCT story_id) AS stories, count(DISTINCT source) AS sources
    FROM _agg_articles GROUP BY day
), m AS (
    SELECT day, sum(mentions) AS mentions FROM _agg_ac GROUP BY day
), per_feed AS (
    SELECT CAST(timezone('UTC', "at") AS DATE) AS day, feed,
           bool_or(status IN ('ok', 'not_modified')) AS ok, bool_or(status = 'failed') AS failed
    FROM fetch_log WHERE CAST(timezone('UTC', "at") AS DATE) BETWEEN ? AND ?
    GROUP BY ALL
), f AS (
    SELECT day, count(*) FILTER (WHERE ok) AS feeds_ok, count(*) FILTER (WHERE failed AND NOT ok) AS feeds_failed
    FROM per_feed GROUP BY day
)
SELECT d.day,
       coalesce(a.articles, 0)::INTEGER AS articles, coalesce(a.stories, 0)::INTEGER AS stories,
       coalesce(a.sources, 0)::INTEGER AS sources, coalesce(m.mentions, 0)::INTEGER AS mentions,
       coalesce(f.feeds_ok, 0)::INTEGER AS feeds_ok, coalesce(f.feeds_failed, 0)::INTEGER AS feeds_failed
FROM _agg_days d
LEFT JOIN a USING (day) LEFT JOIN m USING (day) LEFT JOIN f USING (day)
"""

_COUNTRY_SQL = """
CREATE OR REPLACE TEMP TABLE _agg_daily_country AS
WITH keys AS (
    SELECT d.day, c.country FROM _agg_days d CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS country) c
    UNION
    SELECT DISTINCT day, country FROM _agg_ac
), agg AS (
    SELECT day, country, count(*) AS articles, count(DISTINCT story_id) AS stories,
           count(DISTINCT source) AS sources, sum(mentions) AS mentions, count(*) FILTER (WHERE about) AS about,
           count(DISTINCT story_id) FILTER (WHERE about) AS stories_about
    FROM _agg_ac GROUP BY day, country
)
SELECT k.day, k.country,
       coalesce(agg.articles, 0)::INTEGER AS articles, coalesce(agg.stories, 0)::INTEGER AS stories,
       coalesce(agg.sources, 0)::INTEGER AS sources, coalesce(agg.mentions, 0)::INTEGER AS mentions,
       coalesce(agg.about, 0)::INTEGER AS articles_about,
       coalesce(agg.articles, 0) / nullif(t.articles, 0) AS share,
       0 AS history_days, NULL::DOUBLE AS mean_7d, NULL::DOUBLE AS mean_28d, NULL::DOUBLE AS std_28d,
       NULL::DOUBLE AS z_28d, NULL::DOUBLE AS ratio_28d, false AS spike,
       coalesce(agg.stories_about, 0)::INTEGER AS stories_about, NULL::DOUBLE AS mean_28d_about,
       NULL::DOUBLE AS z_28d_about, NULL::DOUBLE AS ratio_28d_about, false AS spike_about
FROM keys k LEFT JOIN agg USING (day, country) JOIN _agg_daily_total t USING (day)
"""

_PAIR_SQL = """
CREATE OR REPLACE TEMP TABLE _agg_daily_pair AS
WITH hits AS (
    SELECT day, 'sentence' AS level, unnest(pairs_sentence) AS pair, article_id, story_id, source FROM _agg_articles
    UNION ALL
    SELECT day, 'paragraph', unnest(pairs_paragraph), article_id, story_id, source FROM _agg_articles
    UNION ALL
    SELECT day, 'article', unnest(pairs_article), article_id, story_id, source FROM _agg_articles
), keys AS (
    SELECT d.day, p.pair, l.level
    FROM _agg_days d CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS pair) p CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS level) l
    UNION
    SELECT DISTINCT day, pair, level FROM hits
), agg AS (
    SELECT day, pair, level, count(DISTINCT article_id) AS articles, count(DISTINCT story_id) AS stories,
           count(DISTINCT source) AS sources
    FROM hits GROUP BY day, pair, level
)
SELECT k.day, k.pair, k.level,
       coalesce(agg.articles, 0)::INTEGER AS articles, coalesce(agg.stories, 0)::INTEGER AS stories,
       coalesce(agg.sources, 0)::INTEGER AS sources,
       coalesce(agg.articles, 0) / nullif(t.articles, 0) AS share,
       0 AS history_days, NULL::DOUBLE AS mean_7d, NULL::DOUBLE AS mean_28d, NULL::DOUBLE AS std_28d,
       NULL::DOUBLE AS z_28d, NULL::DOUBLE AS ratio_28d, false AS spike
FROM keys k LEFT JOIN agg USING (day, pair, level) JOIN _agg_daily_total t USING (day)
"""

_SOURCE_SQL = """
CREATE OR REPLACE TEMP TABLE _agg_daily_source AS
WITH per_article AS (
    SELECT article_id, sum(mentions) AS mentions FROM _agg_ac GROUP BY article_id
)
SELECT a.day, a.source, 'ALL' AS country, count(*)::INTEGER AS articles,
       count(DISTINCT a.story_id)::INTEGER AS stories, coalesce(sum(p.mentions), 0)::INTEGER AS mentions,
       bool_or(a.state_affiliated) AS state_affiliated, max(a.outlet_country) AS outlet_country
FROM _agg_articles a LEFT JOIN per_article p USING (article_id)
GROUP BY a.day, a.source
UNION ALL
SELECT day, source, country, count(*)::INTEGER, count(DISTINCT story_id)::INTEGER, sum(mentions)::INTEGER,
       bool_or(state_affiliated), max(outlet_country)
FROM _agg_ac GROUP BY day, source, country
"""


_NO_BASELINE = """0 AS history_days, NULL::DOUBLE AS mean_7d, NULL::DOUBLE AS mean_28d, NULL::DOUBLE AS std_28d,
       NULL::DOUBLE AS z_28d, NULL::DOUBLE AS ratio_28d, false AS spike"""

_RELATION_SQL = f"""
CREATE OR REPLACE TEMP TABLE _agg_daily_relation AS
WITH keys AS (
    SELECT d.day, s.code AS source, t.code AS target, k.class
    FROM _agg_days d CROSS JOIN (SELECT unnest($1::VARCHAR[]) AS code) s
    CROSS JOIN (SELECT unnest($1::VARCHAR[]) AS code) t CROSS JOIN (SELECT unnest($2::VARCHAR[]) AS class) k
    WHERE s.code <> t.code
    UNION
    SELECT DISTINCT day, source, target, class FROM _agg_rel
), agg AS (
    SELECT day, source, target, class, count(DISTINCT article_id || ':' || sentence) AS sentences,
           count(DISTINCT article_id) AS articles, count(DISTINCT story_id) AS stories
    FROM _agg_rel GROUP BY ALL
)
SELECT k.day, k.source, k.target, k.class, coalesce(agg.sentences, 0)::INTEGER AS sentences,
       coalesce(agg.articles, 0)::INTEGER AS articles, coalesce(agg.stories, 0)::INTEGER AS stories,
       {_NO_BASELINE}
FROM keys k LEFT JOIN agg USING (day, source, target, class)
"""

_COOPERATION_SQL = f"""
CREATE OR REPLACE TEMP TABLE _agg_daily_cooperation AS
WITH r AS (
    SELECT day, story_id, least(source, target) || '-' || greatest(source, target) AS pair,
           class IN ('verbal_cooperation', 'material_cooperation') AS cooperation
    FROM _agg_rel
), keys AS (
    SELECT d.day, p.pair FROM _agg_days d CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS pair) p
    UNION
    SELECT DISTINCT day, pair FROM r
), agg AS (
    SELECT day, pair, count(DISTINCT story_id) FILTER (WHERE cooperation) AS co,
           count(DISTINCT story_id) FILTER (WHERE NOT cooperation) AS cf, count(DISTINCT story_id) AS stories
    FROM r GROUP BY ALL
)
SELECT k.day, k.pair, coalesce(agg.co, 0)::INTEGER AS cooperation_stories,
       coalesce(agg.cf, 0)::INTEGER AS conflict_stories, coalesce(agg.stories, 0)::INTEGER AS stories,
       agg.co / nullif(agg.co + agg.cf, 0) AS share, NULL::DOUBLE AS share_28d, {_NO_BASELINE}
FROM keys k LEFT JOIN agg USING (day, pair)
"""

# The cooperation share of the 28 days before each day: sums over the window, so a day with one story does
# not weigh as much as a day with twenty.
_SHARE_28D_SQL = """
UPDATE daily_cooperation SET share_28d = b.share_28d
FROM (
    SELECT day, pair, sum(cooperation_stories) OVER w
           / nullif(sum(cooperation_stories + conflict_stories) OVER w, 0) AS share_28d
    FROM daily_cooperation WHERE day BETWEEN $lo - 28 AND $hi
    WINDOW w AS (PARTITION BY pair ORDER BY day
                 RANGE BETWEEN INTERVAL 28 DAYS PRECEDING AND INTERVAL 1 DAYS PRECEDING)
) b
WHERE daily_cooperation.day = b.day AND daily_cooperation.pair = b.pair AND b.day BETWEEN $lo AND $hi
"""


def _replace_day(con, day: date) -> None:
    """Swap one day's rows for the freshly computed ones, atomically."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table in DAILY_TABLES:
            con.execute(f"DELETE FROM {table} WHERE day = ?", [day])
            con.execute(
                f"INSERT INTO {table} SELECT * FROM _agg_{table} WHERE day = ? ORDER BY {SORT_KEYS[table]}",
                [day],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


_BASELINE_SET = """
    history_days = b.n28,
    mean_7d = b.mean_7d, mean_28d = b.mean_28d, std_28d = b.std_28d, z_28d = b.z_28d, ratio_28d = b.ratio_28d,
    spike = {spike}"""
# The same rule on daily_country.stories_about: stories about the country, not every story naming it.
_ABOUT_SET = """
    mean_28d_about = b.mean_28d, z_28d_about = b.z_28d, ratio_28d_about = b.ratio_28d, spike_about = {spike}"""
_SPIKE_RULE = """coalesce(b.n28 >= {min_history} AND b.stories >= {min_stories} AND b.z_28d >= {min_z}
                     AND (b.mean_28d = 0 OR b.ratio_28d >= {min_ratio}), false)"""

_BASELINE_SQL = """
UPDATE {table} SET {sets}
FROM (
    WITH src AS (
        SELECT day, {keys}, {metric}::BIGINT AS stories FROM {table} WHERE day BETWEEN $lo - 28 AND $hi
    ), w AS (
        SELECT *,
            coalesce(sum(stories) OVER w28, 0) AS s28,
            coalesce(sum(stories * stories) OVER w28, 0) AS q28,
            coalesce(sum(stories) OVER w7, 0) AS s7
        FROM src
        WINDOW w28 AS (PARTITION BY {keys} ORDER BY day
                       RANGE BETWEEN INTERVAL 28 DAYS PRECEDING AND INTERVAL 1 DAYS PRECEDING),
               w7 AS (PARTITION BY {keys} ORDER BY day
                      RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND INTERVAL 1 DAYS PRECEDING)
    ), n AS (
        SELECT *,
            greatest(0, least(28, coalesce(day - $first::DATE, 0)))::INTEGER AS n28,
            greatest(0, least(7, coalesce(day - $first::DATE, 0)))::INTEGER AS n7
        FROM w WHERE day BETWEEN $lo AND $hi
    ), m AS (
        SELECT *,
            CASE WHEN n7 > 0 THEN s7 / n7 END AS mean_7d,
            CASE WHEN n28 > 0 THEN s28 / n28 END AS mean_28d,
            -- integer sums are exact, so the variance is the same whatever order the rows were summed in
            CASE WHEN n28 > 0 THEN sqrt(greatest((n28 * q28 - s28 * s28) / (n28 * n28), 0)) END AS std_28d
        FROM n
    )
    SELECT *,
        CASE WHEN n28 >= {min_history}
             THEN (stories - mean_28d) / greatest(std_28d, sqrt(mean_28d), 1.0) END AS z_28d,
        CASE WHEN mean_28d > 0 THEN stories / mean_28d END AS ratio_28d
    FROM m
) b
WHERE {join}
"""


BASELINE_KEYS = {
    "daily_country": ["country"],
    "daily_pair": ["pair", "level"],
    "daily_relation": ["source", "target", "class"],
    "daily_cooperation": ["pair"],
}


def update_baselines(con: duckdb.DuckDBPyConnection, lo: date, hi: date) -> int:
    """Recompute baselines and spike flags of the country and pair rows from `lo` to `hi`, in one transaction."""
    first = _first_day(con)
    params = {"lo": lo, "hi": hi, "first": first}
    constants = {
        "min_history": MIN_HISTORY_DAYS,
        "min_stories": SPIKE_MIN_STORIES,
        "min_z": SPIKE_MIN_Z,
        "min_ratio": SPIKE_MIN_RATIO,
    }
    con.execute("BEGIN TRANSACTION")
    try:
        spike = _SPIKE_RULE.format(**constants)
        runs = [(t, k, "stories", _BASELINE_SET) for t, k in BASELINE_KEYS.items()]
        runs.append(("daily_country", ["country"], "stories_about", _ABOUT_SET))
        for table, keys, metric, sets in runs:
            join = " AND ".join(f"{table}.{k} = b.{k}" for k in ["day", *keys])
            sql = _BASELINE_SQL.format(
                table=table,
                keys=", ".join(keys),
                join=join,
                metric=metric,
                sets=sets.format(spike=spike),
                **constants,
            )
            con.execute(sql, params)
        con.execute(_SHARE_28D_SQL, {"lo": lo, "hi": hi})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return (hi - lo).days + 1


def touched_days(
    con: duckdb.DuckDBPyConnection,
    since_loaded_at: datetime | None,
    lookback_days: int = LOOKBACK_DAYS,
    today: date | None = None,
) -> list[date]:
    """Days of articles loaded after `since_loaded_at` (all when None), within `lookback_days` of today.

    Tomorrow is allowed too: a publisher a few hours ahead of UTC dates its articles there.
    """
    today = today or datetime.now(UTC).date()
    since = [since_loaded_at, since_loaded_at]
    sql = "SELECT day FROM articles WHERE ?::TIMESTAMPTZ IS NULL OR loaded_at > ?::TIMESTAMPTZ"
    if _has_table(con, "story_merges"):  # days of stored articles whose story a later load renamed
        sql += " UNION SELECT unnest(days) FROM story_merges WHERE ?::TIMESTAMPTZ IS NULL OR merged_at > ?::TIMESTAMPTZ"
        since += since[:2]
    if _has_table(con, "article_revisions"):  # days of stored articles whose text a later load revised
        sql += " UNION SELECT day FROM article_revisions WHERE ?::TIMESTAMPTZ IS NULL OR revised_at > ?::TIMESTAMPTZ"
        since += since[:2]
    rows = con.execute(
        f"SELECT DISTINCT day FROM ({sql}) WHERE day BETWEEN ? AND ? ORDER BY day",
        [*since, today - timedelta(days=lookback_days), today + timedelta(days=1)],
    ).fetchall()
    return [r[0] for r in rows]


def _has_table(con, name: str) -> bool:
    return bool(_scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]))


# ---------------------------------------------------------------------------------------------------- daily run


def run_daily(
    paths: Paths,
    days: list[date] | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    today: date | None = None,
    publish: bool = True,
) -> dict:
    """Recompute `days` (default: the days touched by articles loaded since the last run, and yesterday), then
    publish the analyst database. The first run ever computes every day that has articles."""
    from newsmon.warehouse import open_warehouse
    from newsmon.warehouse import publish as publish_analyst_db

    started = time.monotonic()
    today = today or datetime.now(UTC).date()
    with open_warehouse(paths) as con:
        new_mark = _scalar(con, "SELECT max(loaded_at) FROM articles")
        automatic = days is None
        if automatic:
            days = _automatic_days(con, lookback_days, today)
        result = recompute_days(con, days)
        if automatic:
            _save_mark(con, new_mark)
    if publish:
        result["published"] = str(publish_analyst_db(paths))
    result["seconds"] = round(time.monotonic() - started, 3)
    log.info("daily aggregates: %d days recomputed in %.2fs", len(result["days"]), result["seconds"])
    return result


def _automatic_days(con, lookback_days: int, today: date) -> list[date]:
    row = con.execute("SELECT loaded_until FROM aggregates_state WHERE name = ?", [STATE_NAME]).fetchall()
    if not row:  # never ran: the whole history
        days = [r[0] for r in con.execute("SELECT DISTINCT day FROM articles ORDER BY day").fetchall()]
    else:
        days = touched_days(con, row[0][0], lookback_days, today)
    return sorted({*days, today - timedelta(days=1)})


def _save_mark(con, mark: datetime | None) -> None:
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM aggregates_state WHERE name = ?", [STATE_NAME])
    con.execute("INSERT INTO aggregates_state VALUES (?, ?)", [STATE_NAME, mark])
    con.execute("COMMIT")


def days_for_dag_run(run_type: str | None, logical_date: datetime | None) -> list[date] | None:
    """What a `news_daily` run recomputes: a backfill run its logical day; any other run the touched days."""
    if run_type is not None and str(getattr(run_type, "value", run_type)) == "backfill" and logical_date:
        return [_as_date(logical_date)]
    return None


def run_for_dag(run_type: str | None, logical_date: datetime | None, data_dir: str | None = None) -> dict:
    """The one call of the `news_daily` DAG task."""
    paths = get_paths(data_dir).ensure()
    return run_daily(paths, days=days_for_dag_run(run_type, logical_date))


# ---------------------------------------------------------------------------------------------------- commands


def _user_error(message: str) -> Exception:
    from newsmon.cli import UserError

    return UserError(message)


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _user_error(f"{option} must be a date like 2026-11-01, not {value!r}") from None


def days_from_args(args) -> list[date] | None:
    """--date (repeatable) and/or --start/--end; None means the automatic touched-days selection."""
    days = {_parse_day(d, "--date") for d in (args.date or [])}
    if args.start or args.end:
        if not (args.start and args.end):
            raise _user_error("--start and --end go together")
        start, end = _parse_day(args.start, "--start"), _parse_day(args.end, "--end")
        if end < start:
            raise _user_error(f"--end {end} is before --start {start}")
        if (end - start).days > 366 * 20:
            raise _user_error("a range of more than 20 years is surely a typo")
        days |= {start + timedelta(days=i) for i in range((end - start).days + 1)}
    return sorted(days) if days else None


def refuse_future_days(days: list[date] | None, today: date | None = None) -> None:
    """Days after tomorrow have no articles yet: computing them writes all-zero rows that read as "today"."""
    last = (today or datetime.now(UTC).date()) + timedelta(days=1)  # tomorrow: publishers ahead of UTC
    future = [d for d in days or [] if d > last]
    if future:
        raise _user_error(
            f"{future[0]} is after tomorrow ({last}): there is nothing to count yet; end the range at {last} or before"
        )


def cli_daily(args) -> int:
    paths = get_paths().ensure()
    days = days_from_args(args)
    refuse_future_days(days)
    result = run_daily(paths, days)
    days = result["days"]
    span = f"{days[0]} .. {days[-1]}" if days else "nothing"
    rows = ", ".join(f"{t} {n}" for t, n in result["rows"].items())
    print(f"recomputed {len(days)} day(s) ({span}): {rows}; published {result.get('published')}")
    return 0


def open_analyst_db(paths: Paths) -> duckdb.DuckDBPyConnection:
    """A read-only session on the published analyst database (newsmon.reader is the one reader)."""
    from newsmon.reader import open_analyst

    return open_analyst(paths.analyst_db)


def _one_line(exc: Exception) -> str:
    from newsmon.reader import one_line

    return one_line(exc)


def cli_query(args) -> int:
    from newsmon.reader import open_analyst, run_sql

    # Read-only file, and no reading or writing of other files: `query` is for looking, not for exporting.
    con = open_analyst(get_paths().analyst_db, sandboxed=True)
    try:
        columns, rows = run_sql(con, args.sql)
    finally:
        con.close()
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        print(format_table(columns, rows, cell_width=None if getattr(args, "wide", False) else CELL_WIDTH))
    return 0


def format_table(
    columns: list[str], rows: list[tuple], max_rows: int = 200, cell_width: int | None = CELL_WIDTH
) -> str:
    """A rich table (newsmon.terminal); numbers right-aligned; cells cut at cell_width (None: full cells);
    at most max_rows rows, then how many more and the row count."""
    from newsmon.terminal import table

    out = [table(columns, rows[:max_rows], cell_width=cell_width)] if columns else []
    if len(rows) > max_rows:
        out.append(f"… {len(rows) - max_rows} more rows (use --csv for all)")
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def sparkline(values: list[float]) -> str:
    from newsmon.terminal import sparkline as line

    return line(values)


@dataclass
class TrendKey:
    key: str
    level: str  # 'country' for a country, else the co-mention level


def trend_keys(args, con: duckdb.DuckDBPyConnection | None = None) -> list[TrendKey]:
    """The keys asked for; with a connection, unknown countries and pairs are refused, naming the known ones."""
    from newsmon.reader import checked_country, checked_pair

    keys: list[TrendKey] = []
    if args.country:
        code = args.country.strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise _user_error(f"--country must be a two-letter code such as CN, not {args.country!r}")
        keys.append(TrendKey(checked_country(con, code) if con else code, "country"))
    if args.pair:
        pair = normalise_pair(args.pair)
        keys.append(TrendKey(checked_pair(con, pair) if con else pair, args.level))
    if not keys:
        keys = [TrendKey(c, "country") for c in COUNTRIES] + [TrendKey(p, args.level) for p in PAIRS]
    return keys


def normalise_pair(value: str) -> str:
    """'RU-CN' -> 'CN-RU': the daily tables store pairs with their codes sorted."""
    codes = sorted({c.strip().upper() for c in value.replace("/", "-").split("-") if c.strip()})
    pair = "-".join(codes)
    if len(codes) < 2 or not KEY_PATTERN.fullmatch(pair):
        raise _user_error(f"--pair must be two or three country codes such as CN-RU, not {value!r}")
    return pair


_SERIES_COLUMNS = "day, key, level, articles, stories, sources, share, rolling_7d, mean_7d, mean_28d, z_28d, ratio_28d, spike"


def cli_trends(args) -> int:
    if not 1 <= args.days <= 3660:
        raise _user_error(f"--days must be between 1 and 3660, not {args.days}")
    if getattr(args, "relations", None):
        return cli_relation_trends(args)
    trend_keys(args)  # the shape of the keys first: a typo is refused before any file is opened
    con = open_analyst_db(get_paths())
    try:
        keys = trend_keys(args, con)
        end = _scalar(con, "SELECT max(day) FROM daily_total")
        if end is None:
            raise _user_error("the analyst database has no daily rows yet; run `newsmon daily`")
        start = end - timedelta(days=args.days - 1)
        parts, params = [], []
        for k in keys:
            parts.append(f"SELECT {_SERIES_COLUMNS} FROM series(?, ?, ?, lvl := ?)")
            params += [k.key, start, end, k.level if k.level != "country" else "sentence"]
        relation = con.sql(" UNION ALL ".join(parts) + " ORDER BY key, level, day", params=params)
        rows = relation.fetchall()
        print(render_trends(keys, rows, start, end))
        _export(relation, args)
    except duckdb.Error as exc:
        raise _user_error(_one_line(exc)) from None
    finally:
        con.close()
    return 0


def _export(relation, args) -> None:
    """`--csv FILE` / `--parquet FILE`: the rows a trends command printed, as a file."""
    if args.csv:
        relation.write_csv(args.csv, header=True)
    if args.parquet:
        relation.write_parquet(args.parquet)


def render_trends(keys: list[TrendKey], rows: list[tuple], start: date, end: date) -> str:
    """One row per key: sparkline of daily stories, last day, 28-day mean, z-score, total, spike marker."""
    from newsmon.terminal import table

    by_key: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        by_key.setdefault((row[1], row[2]), []).append(row)
    lines = []
    for k in keys:
        series = by_key.get((k.key, k.level), [])
        stories = [r[4] for r in series]
        last = series[-1] if series else None
        mean28 = f"{last[9]:.1f}" if last and last[9] is not None else "-"
        z = f"{last[10]:.1f}" if last and last[10] is not None else "-"
        flag = "SPIKE" if last and last[12] else ""
        lines.append(
            (k.key, k.level, sparkline(stories), stories[-1] if stories else 0, mean28, z, sum(stories), flag)
        )
    columns = ["key", "level", f"stories/day {start} .. {end}", "last", "mean28", "z", "total", ""]
    right = [False, False, False, True, True, True, True, False]
    return (
        table(columns, lines, right=right, cell_width=None)
        + "\nstories = distinct stories a day (syndicated copies count once); z against the 28 days before"
    )


# ---------------------------------------------------------------------------------------------------- relations


_RELATION_SERIES = """
SELECT day, source, target, class, sentences, articles, stories, mean_28d, z_28d, spike
FROM daily_relation
WHERE ((source = $a AND target = $b) OR (source = $b AND target = $a)) AND day BETWEEN $start AND $end
ORDER BY source, target, class, day
"""


def cli_relation_trends(args) -> int:
    """`newsmon trends --relations CN-US`: stories per direction and class, and the cooperation share."""
    pair = normalise_pair(args.relations)
    if pair.count("-") != 1:
        raise _user_error(f"--relations takes two country codes such as CN-US, not {args.relations!r}")
    a, b = pair.split("-")
    con = open_analyst_db(get_paths())
    try:
        end = _scalar(con, "SELECT max(day) FROM daily_total")
        if end is None:
            raise _user_error("the analyst database has no daily rows yet; run `newsmon daily`")
        start = end - timedelta(days=args.days - 1)
        params = {"a": a, "b": b, "start": start, "end": end}
        relation = con.sql(_RELATION_SERIES, params=params)
        rows = relation.fetchall()
        share = con.execute(
            "SELECT day, cooperation_stories, conflict_stories, share, share_28d FROM daily_cooperation "
            "WHERE pair = $pair AND day BETWEEN $start AND $end ORDER BY day",
            {"pair": pair, "start": start, "end": end},
        ).fetchall()
        print(render_relation_trends(pair, rows, share, start, end))
        _export(relation, args)
    except duckdb.Error as exc:
        raise _user_error(_one_line(exc)) from None
    finally:
        con.close()
    return 0


def render_relation_trends(pair: str, rows: list[tuple], share: list[tuple], start: date, end: date) -> str:
    """One row per direction and class (sparkline of stories a day), then the pair's cooperation share."""
    from newsmon.terminal import table

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    a, b = pair.split("-")
    by_key: dict[tuple[str, str, str], dict[date, tuple]] = {}
    for row in rows:
        by_key.setdefault((row[1], row[2], row[3]), {})[row[0]] = row
    lines = []
    for src, tgt in ((a, b), (b, a)):
        for cls in RELATION_CLASSES:
            series = by_key.get((src, tgt, cls), {})
            stories = [series[d][6] if d in series else 0 for d in days]
            last = series.get(end)
            mean28 = f"{last[7]:.1f}" if last and last[7] is not None else "-"
            flag = "SPIKE" if last and last[9] else ""
            lines.append((f"{src}->{tgt} {cls}", sparkline(stories), stories[-1], mean28, sum(stories), flag))
    by_day = {r[0]: r for r in share}
    shares = [by_day[d][3] if d in by_day and by_day[d][3] is not None else 0.0 for d in days]
    co = sum(by_day[d][1] for d in by_day)
    cf = sum(by_day[d][2] for d in by_day)
    latest = next((by_day[d] for d in reversed(days) if d in by_day and by_day[d][3] is not None), None)
    now = f"{latest[3]:.2f} on {latest[0]}" if latest else "-"
    before = f"{latest[4]:.2f}" if latest and latest[4] is not None else "-"
    overall = f"{co / (co + cf):.2f}" if co + cf else "-"
    lines.append(
        (f"{pair} cooperation share", sparkline(shares), "", "", "", f"latest {now}, 28 days before {before}")
    )
    columns = ["relation", f"stories/day {start} .. {end}", "last", "mean28", "total", ""]
    right = [False, False, True, True, True, False]
    return "\n".join(
        [
            table(columns, lines, right=right, cell_width=None),
            f"cooperation share over the period: {overall} ({co} cooperation, {cf} conflict stories); "
            "stories = distinct stories a day, each traceable in relation_evidence",
        ]
    )
