"""Topic search: how much of a country's or pair's coverage is about a phrase, day by day, and which stories.

    newsmon search "sanctions" --pair CN-RU --days 90

What is searched. By default the titles and the *evidence sentences* (the sentences that name a watched country,
stored with the mentions), not the whole text: the question is "how much of China-Russia coverage talks about
sanctions", and a sentence that names a country and the phrase answers it better than a word in the boilerplate
of a long page. It is also less than half the text of the articles. DuckDB's fts extension is not part of the
wheel, so a term index of its own (search_index.py, extended at each publish: tokens with their positions and
the separators around them) answers a phrase, punctuation included, without reading any text, and gives exactly
the answer of the scan (the scan stays, for `--full-text`, for an index
that lags the tables, and as the reference: `use_index=False`). Figures at a year's scale (1M articles):
bench/results/search.json (`python bench/search.py`).

Matching is a case-insensitive substring match (Unicode lower case on both sides), so "sanction" finds
"Sanctions" and a Chinese or Russian phrase works as typed. Counts: matching articles and distinct stories per
day, against all articles and stories of the scope that day (the country's or pair's coverage, or everything).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import duckdb

from newsmon import search_index
from newsmon.reader import ReaderError, checked_country, checked_pair, table_names

LEVELS = ("sentence", "paragraph", "article")
MAX_DAYS = 3660
MIN_PHRASE = 2
MAX_PHRASE = 200
TOP_STORIES = 10
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")


@dataclass
class SearchResult:
    phrase: str
    scope: str  # 'all articles', 'CN', 'CN-RU (sentence)'
    start: date
    end: date
    full_text: bool
    days: list[dict] = field(
        default_factory=list
    )  # day, articles, stories, scope_articles, scope_stories, share
    stories: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    index: bool = False  # answered from the term index (else by a scan of the texts)

    @property
    def total_articles(self) -> int:
        return sum(d["articles"] for d in self.days)

    @property
    def total_stories(self) -> int:
        return sum(d["stories"] for d in self.days)

    @property
    def share(self) -> float | None:
        """Matching stories over the scope's stories for the whole range (story-days, as the daily tables)."""
        scope = sum(d["scope_stories"] for d in self.days)
        return self.total_stories / scope if scope else None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        d["days"] = [{**r, "day": r["day"].isoformat()} for r in self.days]
        d["stories"] = [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in s.items()} for s in self.stories
        ]
        d["share"] = self.share
        return d


def clean_phrase(phrase: str) -> str:
    text = " ".join((phrase or "").split())
    if len(text) < MIN_PHRASE:
        raise ReaderError(f"the search phrase must have at least {MIN_PHRASE} characters, not {phrase!r}")
    if len(text) > MAX_PHRASE:
        raise ReaderError(f"the search phrase is longer than {MAX_PHRASE} characters")
    return text


def _scope_filter(con, country: str | None, pair: str | None, level: str) -> tuple[str, list, str]:
    """SQL condition on `articles` for the scope, its parameters, and its name."""
    if level not in LEVELS:
        raise ReaderError(f"--level must be one of {', '.join(LEVELS)}, not {level!r}")
    if country and pair:
        raise ReaderError("give --country or --pair, not both")
    if pair:
        key = checked_pair(con, pair)
        return f"list_contains(pairs_{level}, ?)", [key], f"{key} ({level})"
    if country:
        key = checked_country(con, country)
        return "list_contains(countries, ?)", [key], key
    return "TRUE", [], "all articles"


def _evidence_relation(tables: set[str]) -> str:
    """Where the evidence sentences live: the `sentences` table when published, else the mentions' evidence."""
    if "sentences" in tables:
        return "SELECT article_id, text FROM sentences"
    return "SELECT article_id, evidence AS text FROM mentions WHERE evidence IS NOT NULL"


def search(
    con: duckdb.DuckDBPyConnection,
    phrase: str,
    country: str | None = None,
    pair: str | None = None,
    level: str = "sentence",
    days: int = 90,
    end: date | None = None,
    full_text: bool = False,
    limit: int = TOP_STORIES,
    use_index: bool = True,
) -> SearchResult:
    """The daily series of a phrase in a scope, and its top stories with the matching sentence.

    use_index=False scans even when the term index is there (the bench's baseline; the tests' reference)."""
    started = time.perf_counter()
    text = clean_phrase(phrase)
    needle = text.lower()
    if not 1 <= days <= MAX_DAYS:
        raise ReaderError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    condition, params, scope_name = _scope_filter(con, country, pair, level)
    tables = table_names(con)
    if "articles" not in tables:
        raise ReaderError("the analyst database has no articles yet; run `newsmon run --once`")
    end = end or con.execute("SELECT max(day) FROM articles").fetchone()[0]
    if end is None:
        raise ReaderError("the analyst database has no articles yet; run `newsmon run --once`")
    start = end - timedelta(days=days - 1)
    where = f"day BETWEEN ? AND ? AND {condition}"
    scope_params = [start, end, *params]
    try:
        result = SearchResult(text, scope_name, start, end, full_text)
        result.index = _find_hits(con, where, scope_params, needle, tables, full_text, use_index)
        rows = con.execute(
            # Stories per day as groups of (day, story) rather than count(DISTINCT): the same counts, faster.
            f"""SELECT day, sum(copies) AS scope_articles, count(story_id) AS scope_stories,
                       sum(hits) AS articles, count(story_id) FILTER (WHERE hits > 0) AS stories
                FROM (SELECT day, story_id, count(*) AS copies,
                             count(*) FILTER (WHERE rowid IN (SELECT row FROM search_hits)) AS hits
                      FROM articles WHERE {where} GROUP BY day, story_id)
                GROUP BY day ORDER BY day""",
            scope_params,
        ).fetchall()
        result.days = _dense_days(rows, start, days)
        if result.total_articles:
            result.stories = top_stories(con, text, limit)
    except duckdb.Error as exc:
        from newsmon.reader import one_line

        raise ReaderError(one_line(exc)) from None
    finally:
        con.execute("DROP TABLE IF EXISTS search_hits")
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _find_hits(
    con, where: str, scope_params: list, needle: str, tables: set[str], full_text: bool, use_index: bool
) -> bool:
    """The matching articles of the scope, once, into a temporary table of their row numbers (the series and the
    stories share it; row numbers join faster than ids).
    Returns True when the term index answered (search_index.py), False when the texts were scanned.

    In the scan, the phrase filter runs on the evidence (or text) by itself, so only the few matching rows
    meet the scope; a temporary table is allowed on a read-only connection and goes with it."""
    if use_index and not full_text and search_index.is_current(con):
        if search_index.hit_rows(con, needle):
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE search_hits AS
                    SELECT rowid AS row FROM articles WHERE rowid IN (SELECT art FROM search_rows) AND {where}""",
                scope_params,
            )
            con.execute("DROP TABLE search_rows")
            return True
    if full_text:
        sql = f"""SELECT article_id FROM articles WHERE {where}
                  AND contains(lower(coalesce(title, '') || ' ' || coalesce(text, '')), ?)"""
        params = [*scope_params, needle]
    else:
        sql = f"""SELECT article_id FROM articles WHERE {where} AND contains(lower(coalesce(title, '')), ?)
                  UNION
                  SELECT article_id FROM (
                      SELECT DISTINCT e.article_id FROM ({_evidence_relation(tables)}) e
                      WHERE contains(lower(e.text), ?)) m
                  SEMI JOIN (SELECT article_id FROM articles WHERE {where}) s USING (article_id)"""
        params = [*scope_params, needle, needle, *scope_params]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE search_hits AS
            SELECT rowid AS row FROM articles SEMI JOIN ({sql}) h USING (article_id)""",
        params,
    )
    return False


def _dense_days(rows: list[tuple], start: date, days: int) -> list[dict]:
    """One entry per day of the range, zeros on days without articles."""
    by_day = {r[0]: r for r in rows}
    out = []
    for i in range(days):
        d = start + timedelta(days=i)
        _, scope_articles, scope_stories, articles, stories = by_day.get(d, (d, 0, 0, 0, 0))
        share = stories / scope_stories if scope_stories else None
        out.append(
            {
                "day": d,
                "articles": articles,
                "stories": stories,
                "scope_articles": scope_articles,
                "scope_stories": scope_stories,
                "share": share,
            }
        )
    return out


def top_stories(con, text: str, limit: int = TOP_STORIES) -> list[dict]:
    """The matching stories with most outlets and copies, each with its lead article and matching sentence."""
    top = con.execute(
        f"""
        WITH hits AS (
                 SELECT a.article_id, a.story_id, a.day, a.source, a.rowid AS row,
                        coalesce(a.published_at, a.fetched_at) AS seen_at
                 FROM articles a WHERE a.rowid IN (SELECT row FROM search_hits)),
             ranked AS (
                 SELECT *, row_number() OVER (PARTITION BY story_id ORDER BY seen_at, article_id) AS nth,
                        count(*) OVER (PARTITION BY story_id) AS copies,
                        count(DISTINCT source) OVER (PARTITION BY story_id) AS outlets
                 FROM hits),
             top AS (
                 SELECT story_id, article_id, day, source, copies, outlets, row FROM ranked WHERE nth = 1)
        SELECT * FROM top ORDER BY outlets DESC, copies DESC, day DESC, story_id LIMIT {int(limit)}"""
    ).fetchall()
    # The texts of the few top stories only, one row number each: a scan for one row number reads one vector,
    # while a join or a list (its range spans the year) reads the text column of every article.
    texts = {}
    if top:
        one = "SELECT article_id, title, url, text FROM articles WHERE rowid = {}"
        sql = " UNION ALL ".join(one.format(int(r[6])) for r in top)
        texts = {r[0]: r[1:] for r in con.execute(sql).fetchall()}
    rows = [(*r[:4], *texts.get(r[1], (None, None, None)), r[4], r[5]) for r in top]
    stories = []
    for story_id, article_id, day, source, title, url, body, copies, outlets in rows:
        stories.append(
            {
                "story_id": story_id,
                "article_id": article_id,
                "day": day,
                "source": source,
                "title": title,
                "url": url,
                "copies": copies,
                "outlets": outlets,
                "sentence": matching_sentence(title or "", body or "", text),
            }
        )
    return stories


def matching_sentence(title: str, body: str, phrase: str, limit: int = 300) -> str:
    """The first sentence of the article (title first) that holds the phrase, cut around it if long."""
    needle = phrase.lower()
    for sentence in [title, *_SENTENCE_END.split(body)]:
        at = sentence.lower().find(needle)
        if at < 0:
            continue
        sentence = sentence.strip()
        at = sentence.lower().find(needle)
        if len(sentence) <= limit:
            return sentence
        lo = max(0, at - limit // 2)
        return ("…" if lo else "") + sentence[lo : lo + limit].strip() + "…"
    return ""


# ---------------------------------------------------------------------------------------------------- command


def render_search(result: SearchResult) -> str:
    from newsmon.aggregates import format_table
    from newsmon.terminal import sparkline

    stories = [d["stories"] for d in result.days]
    share = f"{result.share:.1%}" if result.share is not None else "-"
    where = "titles and text" if result.full_text else "titles and evidence sentences"
    lines = [
        f'"{result.phrase}" in {result.scope}, {result.start} .. {result.end} ({where})',
        f"stories/day {sparkline(stories)}",
        f"{result.total_articles} matching articles, {result.total_stories} story-days; "
        f"{share} of the scope's stories; peak {max(stories, default=0)} on "
        f"{max(result.days, key=lambda d: d['stories'])['day'] if result.total_stories else '-'}",
    ]
    if result.stories:
        rows = [
            (str(s["day"]), s["outlets"], s["copies"], s["source"], s["title"], s["sentence"])
            for s in result.stories
        ]
        lines += [
            "",
            format_table(["day", "outlets", "copies", "source", "title", "matching sentence"], rows),
        ]
    lines.append(f"({result.seconds:.2f} s)")
    return "\n".join(lines)


def cli_search(args) -> int:
    import json

    from newsmon.config import paths
    from newsmon.reader import open_analyst

    con = open_analyst(paths().analyst_db)
    try:
        result = search(
            con,
            args.phrase,
            country=args.country,
            pair=args.pair,
            level=args.level,
            days=args.days,
            full_text=args.full_text,
        )
    finally:
        con.close()
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    else:
        print(render_search(result))
    return 0
