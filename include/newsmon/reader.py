"""The one reader of the analyst database (data/newsmon.duckdb).

`query`, `trends`, `search`, `shell`, the News monitor page, the explorer, the digest and the ingest's quality gates
open the file through `open_analyst` (a read-only session in UTC with the published views and macros), and share
the look-ups here, so the SQL that docs/analysts.md shows is the SQL the product runs. Feed health's and the
gates' questions are here too; they only read the published tables, so check_feeds asks the same of the warehouse.
Only `warehouse` writes the file.
"""

from __future__ import annotations

import re
from itertools import combinations
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


# ---------------------------------------------------------------------------------------------------- shared queries
# The page (newsmon.ui) and the digest (newsmon.digest) ask these; the tables are documented in docs/analysts.md.


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> list[dict]:
    """A query's rows as dicts keyed by column name."""
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def history_start(con: duckdb.DuckDBPyConnection):
    """The first day with articles: earlier days are unknown (a gap), not days without news."""
    return con.execute("SELECT min(day) FROM daily_total WHERE articles > 0").fetchone()[0]


def daily_rows(con: duckdb.DuckDBPyConnection, kind: str, start, end, level: str | None = None) -> list[dict]:
    """The daily figures of every country (kind 'country') or pair (kind 'pair', at `level`) between two days,
    keyed by `key`. Pairs are the daily_series view of docs/analysts.md; countries are daily_country itself,
    because the digest also needs its stories_about and spike_about, which the view does not carry."""
    if kind == "country":
        return rows(
            con,
            "SELECT country AS key, * FROM daily_country WHERE day BETWEEN ? AND ? ORDER BY day, country",
            [start, end],
        )
    return rows(
        con,
        "SELECT * FROM daily_series WHERE day BETWEEN ? AND ? AND level = ? ORDER BY day, key",
        [start, end, level],
    )


def day_total(con: duckdb.DuckDBPyConnection, day) -> dict:
    """The daily_total row of a day ({} when there is none)."""
    found = rows(con, "SELECT * FROM daily_total WHERE day = ?", [day])
    return found[0] if found else {}


def feed_health_rows(con: duckdb.DuckDBPyConnection, week: tuple | None = None) -> list[dict]:
    """feed_health, one row per feed by name; with week=(start, end), also items_per_day over it."""
    per_day = "NULL"
    if week is not None:
        per_day = (
            "(SELECT count(*) / 7.0 FROM articles a WHERE a.feed = h.feed"
            " AND coalesce(a.published_at, a.fetched_at) BETWEEN $week AND $now)"
        )
    return rows(
        con,
        f"""SELECT feed, source, last_status, last_http_status, last_success_at, last_new_item_at,
                   consecutive_failures, {per_day} AS items_per_day, last_error, retired
            FROM feed_health h ORDER BY feed""",
        {"week": week[0], "now": week[1]} if week is not None else {},
    )


def latest_ledger_row(con: duckdb.DuckDBPyConnection) -> tuple | None:
    """The newest digest_ledger row: (day, subject, sent_at, status, recipients of that day)."""
    return con.execute(
        "SELECT day, subject, sent_at, status, count(*) OVER (PARTITION BY day) FROM digest_ledger "
        "ORDER BY sent_at DESC LIMIT 1"
    ).fetchone()


# -- the page's questions


def last_figures_day(con: duckdb.DuckDBPyConnection, before=None):
    """The latest day of daily_country (before a day, when given)."""
    if before is None:
        return con.execute("SELECT max(day) FROM daily_country").fetchone()[0]
    return con.execute("SELECT max(day) FROM daily_country WHERE day < ?", [before]).fetchone()[0]


def figures_of_day(con: duckdb.DuckDBPyConnection, day, level: str) -> list[dict]:
    """Every country's and pair's (at `level`) figures of one day against its baseline, countries first: the
    daily_series view, as in docs/analysts.md ("What moved on the last day")."""
    return rows(
        con,
        """SELECT key AS name, if(level = 'country', 'country', 'pair') AS kind, articles, stories, mean_7d,
                  mean_28d, ratio_28d, z_28d, spike, history_days
           FROM daily_series
           WHERE day = $day AND level IN ('country', $level)
           ORDER BY kind, name""",
        {"day": day, "level": level},
    )


def totals_of_day(con: duckdb.DuckDBPyConnection, day) -> dict:
    """Articles, stories and outlets of a day, and the mean stories of the (up to) 28 days of history before it."""
    found = rows(
        con,
        """SELECT articles, stories, sources,
                  (SELECT avg(stories) FROM daily_total WHERE day >= $day - INTERVAL 28 DAY AND day < $day
                     AND day >= (SELECT min(day) FROM daily_total WHERE articles > 0)) AS stories_mean_28d
           FROM daily_total WHERE day = $day""",
        {"day": day},
    )
    return found[0] if found else {}


def last_article_day(con: duckdb.DuckDBPyConnection):
    return con.execute("SELECT max(day) FROM articles").fetchone()[0]


def recent_stories(con: duckdb.DuckDBPyConnection, first, last, limit: int) -> list[dict]:
    """The stories of the days first..last that name a country, most outlets first, with the original's title."""
    # Group the recent articles by story first, then fetch the titles of the originals by id: joining the whole
    # articles table on story_id would read every title and URL of the history.
    return rows(
        con,
        """WITH recent AS (
               SELECT story_id, title, url, source, countries, coalesce(published_at, fetched_at) AS ts
               FROM articles WHERE day BETWEEN $first AND $last),
           stories AS (
               SELECT story_id, count(*) AS copies, count(DISTINCT source) AS outlets,
                      list_sort(list_distinct(flatten(list(countries)))) AS countries, min(ts) AS first_seen,
                      arg_min(title, ts) AS title, arg_min(url, ts) AS url
               FROM recent GROUP BY story_id),
           top AS (
               SELECT * FROM stories WHERE len(countries) > 0
               ORDER BY outlets DESC, copies DESC, first_seen DESC, story_id LIMIT $limit),
           originals AS (
               SELECT article_id, title, url FROM articles WHERE article_id IN (SELECT story_id FROM top))
           SELECT t.story_id, coalesce(o.title, t.title) AS title, coalesce(o.url, t.url) AS url, t.copies,
                  t.outlets, t.countries, t.first_seen
           FROM top t LEFT JOIN originals o ON o.article_id = t.story_id
           ORDER BY t.outlets DESC, t.copies DESC, t.first_seen DESC, t.story_id""",
        {"first": first, "last": last, "limit": limit},
    )


# -- the digest's questions


def key_filter(key: str, level: str) -> tuple[str, list]:
    """The articles condition for a country (CN) or a pair (CN-RU, at `level`); a trio also matches its pairs."""
    codes = key.split("-")
    if len(codes) == 1:
        return "list_contains(a.countries, ?)", [key]
    col = f"pairs_{level}"  # level is one of the three pair levels before it gets here
    subpairs = ["-".join(p) for p in combinations(sorted(codes), 2)]
    return f"(list_contains(a.{col}, ?) OR list_has_all(a.{col}, ?))", [key, subpairs]


def lead_stories(con: duckdb.DuckDBPyConnection, day, key: str, level: str, limit: int) -> list[dict]:
    """The day's biggest stories for a key: one row per story, its earliest original copy (the lead), ranked by
    outlets, then whether the lead is about the key's countries, then their salience in it."""
    cond, params = key_filter(key, level)
    return rows(
        con,
        f"""
        WITH a AS (
            SELECT a.article_id, a.story_id, a.source, a.title, a.url, a.duplicate_of, a.language,
                   coalesce(a.published_at, a.fetched_at) AS ts
            FROM articles a WHERE a.day = ? AND {cond}
        ), s AS (
            SELECT story_id, count(DISTINCT source) AS outlets,
                   arg_min(article_id, row(duplicate_of IS NOT NULL, ts, article_id)) AS rep,
                   arg_min(title, ts) FILTER (WHERE language LIKE 'en%') AS english_title
            FROM a GROUP BY story_id
        ), c AS (
            SELECT article_id, sum(salience) AS salience, bool_or(about) AS about
            FROM article_countries WHERE country IN (SELECT unnest(?)) GROUP BY article_id
        )
        SELECT s.story_id, s.outlets, a.article_id, a.source, a.title, a.url, a.language, s.english_title
        FROM s JOIN a ON a.article_id = s.rep LEFT JOIN c ON c.article_id = s.rep
        ORDER BY s.outlets DESC, coalesce(c.about, FALSE) DESC, coalesce(c.salience, 0) DESC, a.ts, a.article_id
        LIMIT ?
        """,
        [day, *params, key.split("-"), limit],
    )


def evidence_rows(con: duckdb.DuckDBPyConnection, article_ids: list[str], codes: list[str]) -> list[dict]:
    """The mentions of `codes` in these articles that carry a sentence, in text order."""
    return rows(
        con,
        """SELECT article_id, country, position, seq, evidence FROM mentions
           WHERE article_id IN (SELECT unnest(?)) AND country IN (SELECT unnest(?)) AND evidence IS NOT NULL
           ORDER BY article_id, seq""",
        [article_ids, codes],
    )


def cooperation_rows(con: duckdb.DuckDBPyConnection, day) -> list[dict]:
    """Pairs with relations on the day, most stories first (daily_cooperation)."""
    return rows(
        con,
        """SELECT pair, cooperation_stories, conflict_stories, share, share_28d FROM daily_cooperation
           WHERE day = ? AND stories > 0 ORDER BY stories DESC, pair""",
        [day],
    )


def strongest_relations(con: duckdb.DuckDBPyConnection, day, pair: str, limit: int) -> list[dict]:
    """A pair's relations of the day (both directions) by stories, each with the sentence of the outlet whose
    story has most copies. Ties go to the earliest article and sentence, so the digest is the same every run
    and the outlet and the sentence come from the same row."""
    a, b = pair.split("-")
    return rows(
        con,
        """WITH r AS (
               SELECT r.source, r.target, r.class, a.story_id, a.source AS outlet, s.text AS evidence,
                      count(*) OVER (PARTITION BY a.story_id) AS copies, a.published_at, a.article_id, r.sentence
               FROM relations r JOIN articles a USING (article_id)
               JOIN sentences s USING (article_id, sentence)
               WHERE a.day = ? AND ((r.source = ? AND r.target = ?) OR (r.source = ? AND r.target = ?))
           ),
           ranked AS (
               SELECT *, count(DISTINCT story_id) OVER (PARTITION BY source, target, class) AS stories,
                      row_number() OVER (PARTITION BY source, target, class
                                         ORDER BY copies DESC, published_at, article_id, sentence) AS pick
               FROM r
           )
           SELECT source, target, class, stories, outlet, evidence
           FROM ranked WHERE pick = 1 ORDER BY stories DESC, source, target, class LIMIT ?""",
        [day, a, b, b, a, limit],
    )


def any_articles(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT EXISTS (SELECT 1 FROM articles)").fetchone()[0]


# -- feed health's questions (newsmon.health)
# The page and the explorer ask them of the analyst file; the ingest's check_feeds asks the same of the warehouse
# under its lock (the published tables are copies of the warehouse's), so the page and the alerts agree.


def failing_feeds(con: duckdb.DuckDBPyConnection, failing_after: int) -> list[tuple]:
    """Listed feeds failed at least `failing_after` times in a row: (feed, failures, last success, error, HTTP)."""
    return con.execute(
        """SELECT feed, consecutive_failures, last_success_at, last_error, last_http_status
           FROM feed_health
           WHERE NOT coalesce(retired, FALSE) AND coalesce(consecutive_failures, 0) >= ?
           ORDER BY feed""",
        [failing_after],
    ).fetchall()


def feed_cadences(con: duckdb.DuckDBPyConnection, start, now) -> list[tuple]:
    """Each listed feed's newest item, its median gap between articles start..now and how many gaps that is:
    (feed, last new item, median gap in seconds, gaps, last success)."""
    return con.execute(
        """WITH times AS (
               SELECT feed, coalesce(published_at, fetched_at) AS ts FROM articles
               WHERE coalesce(published_at, fetched_at) BETWEEN $start AND $now),
           gaps AS (
               SELECT feed, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY feed ORDER BY ts)) AS gap FROM times),
           cadence AS (
               SELECT feed, median(gap) AS median_gap, count(*) AS n_gaps FROM gaps WHERE gap > 0 GROUP BY feed),
           newest AS (SELECT feed, max(fetched_at) AS last_fetched_article FROM articles GROUP BY feed)
           SELECT h.feed, greatest(h.last_new_item_at, n.last_fetched_article), c.median_gap, coalesce(c.n_gaps, 0),
                  h.last_success_at
           FROM feed_health h LEFT JOIN cadence c USING (feed) LEFT JOIN newest n USING (feed)
           WHERE NOT coalesce(h.retired, FALSE)
           ORDER BY h.feed""",
        {"start": start, "now": now},
    ).fetchall()


def feed_fallback_shares(con: duckdb.DuckDBPyConnection, recent, history, now) -> list[tuple]:
    """Per feed, articles and the share that fell back to the feed summary since `recent` and history..recent:
    (feed, n recent, share recent, n before, share before, most common error recently)."""
    return con.execute(
        """SELECT feed,
                  count(*) FILTER (WHERE fetched_at >= $recent) AS n_recent,
                  avg(CASE WHEN text_source = 'feed' THEN 1.0 ELSE 0.0 END) FILTER (WHERE fetched_at >= $recent),
                  count(*) FILTER (WHERE fetched_at < $recent) AS n_before,
                  avg(CASE WHEN text_source = 'feed' THEN 1.0 ELSE 0.0 END) FILTER (WHERE fetched_at < $recent),
                  mode(fetch_error) FILTER (WHERE fetched_at >= $recent AND text_source = 'feed')
           FROM articles WHERE fetched_at >= $history AND fetched_at <= $now
           GROUP BY feed ORDER BY feed""",
        {"recent": recent, "history": history, "now": now},
    ).fetchall()


def alert_rows(con: duckdb.DuckDBPyConnection, since) -> list[dict]:
    """alert_ledger rows since a day, newest first."""
    return rows(
        con,
        "SELECT day, feed, kind, message, sent_at, cleared_at FROM alert_ledger WHERE day >= ? "
        "ORDER BY sent_at DESC, feed",
        [since],
    )


# -- the quality gates' questions (newsmon.quality), about the articles fetched start..now of one run


def run_start(con: duckdb.DuckDBPyConnection, run_id: str):
    """When a run's first feed was fetched (None when no feed was due)."""
    return con.execute('SELECT min("at") FROM fetch_log WHERE run_id = ?', [run_id]).fetchone()[0]


def articles_fetched(con: duckdb.DuckDBPyConnection, start, now) -> int:
    return con.execute(
        "SELECT count(*) FROM articles WHERE fetched_at >= ? AND fetched_at <= ?", [start, now]
    ).fetchone()[0]


def run_fetch_statuses(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Fetches of a run by status."""
    return dict(
        con.execute(
            "SELECT status, count(*) FROM fetch_log WHERE run_id = ? GROUP BY status", [run_id]
        ).fetchall()
    )


def articles_since(con: duckdb.DuckDBPyConnection, since) -> int:
    return con.execute("SELECT count(*) FROM articles WHERE fetched_at >= ?", [since]).fetchone()[0]


def feeds_fetched_since(con: duckdb.DuckDBPyConnection, since) -> tuple[int, int]:
    """(feeds fetched, failed fetches) since a time."""
    return con.execute(
        "SELECT count(DISTINCT feed), count(*) FILTER (WHERE status = 'failed') FROM fetch_log WHERE \"at\" >= ?",
        [since],
    ).fetchone()


def summary_fallbacks(con: duckdb.DuckDBPyConnection, start, now) -> int:
    """Articles that fell back to the feed's summary (text_source 'feed')."""
    return con.execute(
        "SELECT count(*) FROM articles WHERE fetched_at BETWEEN ? AND ? AND text_source = 'feed'",
        [start, now],
    ).fetchone()[0]


def fallback_reasons(con: duckdb.DuckDBPyConnection, start, now, limit: int = 3) -> list[tuple]:
    """The commonest reasons for falling back: (reason, articles)."""
    return con.execute(
        """SELECT coalesce(fetch_error, 'text too short'), count(*) FROM articles
           WHERE fetched_at BETWEEN ? AND ? AND text_source = 'feed' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?""",
        [start, now, limit],
    ).fetchall()


def fallback_feeds(con: duckdb.DuckDBPyConnection, start, now, limit: int = 3) -> list[tuple]:
    """The feeds with most fallbacks: (feed, fallbacks, articles)."""
    return con.execute(
        """SELECT feed, count(*) FILTER (WHERE text_source = 'feed'), count(*) FROM articles
           WHERE fetched_at BETWEEN ? AND ? GROUP BY feed ORDER BY 2 DESC, feed LIMIT ?""",
        [start, now, limit],
    ).fetchall()


def future_dated(con: duckdb.DuckDBPyConnection, start, now, limit) -> list[tuple]:
    """Articles dated (published_at or day) after `limit`, newest first: (feed, url, published_at, source)."""
    return con.execute(
        """SELECT feed, url, published_at, published_from FROM articles
           WHERE fetched_at BETWEEN ? AND ? AND (published_at > ? OR day > CAST(? AS DATE))
           ORDER BY published_at DESC""",
        [start, now, limit, limit],
    ).fetchall()


def mojibake_articles(
    con: duckdb.DuckDBPyConnection,
    start,
    now,
    sparse_re: str,
    dense_re: str,
    min_hits: int,
    dense_share: float,
) -> list[tuple]:
    """Articles whose title and text match the misreading patterns (RE2, newsmon.quality) often enough:
    (feed, url, hits), most hits first."""

    def dense(column: str) -> str:
        return f"len(regexp_extract_all(coalesce({column}, ''), '{dense_re}'))"

    return con.execute(
        f"""SELECT feed, url, sparse + dense_title + dense_text AS hits FROM (
               SELECT feed, url,
                      len(regexp_extract_all(coalesce(title, '') || ' ' || coalesce(text, ''),
                                             '{sparse_re}')) AS sparse,
                      {dense("title")} AS dense_title, length(coalesce(title, '')) AS title_chars,
                      {dense("text")} AS dense_text, length(coalesce(text, '')) AS text_chars
               FROM articles WHERE fetched_at BETWEEN ? AND ?)
            WHERE sparse >= {min_hits}
               OR (dense_title >= {min_hits} AND dense_title >= {dense_share} * title_chars)
               OR (dense_text >= {min_hits} AND dense_text >= {dense_share} * text_chars)
            ORDER BY hits DESC, url""",
        [start, now],
    ).fetchall()


def mentioning_articles(con: duckdb.DuckDBPyConnection, start, now) -> dict[str, int]:
    """Articles fetched start..now (inclusive) mentioning each country."""
    return dict(
        con.execute(
            """SELECT c, count(*) FROM (SELECT unnest(countries) AS c FROM articles
               WHERE fetched_at BETWEEN ? AND ?) GROUP BY c""",
            [start, now],
        ).fetchall()
    )


def mentioning_articles_before(con: duckdb.DuckDBPyConnection, start, end) -> tuple[int, list[tuple]]:
    """Articles fetched in [start, end), and how many of them mention each country: (n, [(country, n)])."""
    n = con.execute(
        "SELECT count(*) FROM articles WHERE fetched_at >= ? AND fetched_at < ?", [start, end]
    ).fetchone()[0]
    per_country = con.execute(
        """SELECT c, count(*) FROM (SELECT unnest(countries) AS c FROM articles
           WHERE fetched_at >= ? AND fetched_at < ?) GROUP BY c ORDER BY c""",
        [start, end],
    ).fetchall()
    return n, per_country


def failed_batch_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Staged batches set aside as unreadable (none in a file from before the table): (file, reason)."""
    present = con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = 'failed_batches' AND database_name = current_database()"
    ).fetchone()
    if not present:
        return []
    return con.execute(
        "SELECT staged_file, reason FROM failed_batches ORDER BY failed_at, staged_file"
    ).fetchall()
