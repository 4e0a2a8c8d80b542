"""Topic search at a year's scale: a 365-day phrase series over about a million articles.

A year of synthetic articles (2,740 a day, ~2,200 characters of text each, ~5 evidence sentences of ~150
characters each, in the analyst database's shape) is generated with SQL into a DuckDB file; then
newsmon.search.search answers the 365-day series of a phrase for every article, for one country and for one
pair, over titles + evidence sentences (the default) and over the whole text (--full-text). Each query runs 3
times; the median is reported. Goal (issue 15): the default 365-day series under 1 s at ~1M articles.

    .venv/bin/python bench/search.py                 # --scale 0.1 for a quick look
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

import duckdb  # noqa: E402
from newsmon.search import search  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "search.json"
START = date(2025, 12, 1)
DAYS = 365
ARTICLES = 1_000_000
PHRASE = "sanctions"
# ~1% of articles carry the phrase in an evidence sentence, ~1% more only deep in the text.
GENERATE = """
CREATE TABLE articles AS
WITH ids AS (SELECT range AS i, hash(range) AS h, (SELECT v FROM vocab) AS v FROM range({n}))
SELECT printf('%016x', h) AS article_id, printf('%016x', hash(i // 3)) AS story_id,
       DATE '{start}' + CAST(i * {days} // {n} AS INTEGER) AS day,
       'Outlet ' || (h % 60) AS source, 'https://outlet.example/' || i AS url,
       'Headline ' || i || ' ' || v[CAST(1 + h % len(v) AS BIGINT)] AS title,
       array_to_string(list_transform(range(330), lambda k: v[CAST(1 + hash(i * 1000 + k) % len(v) AS BIGINT)]), ' ')
         || CASE WHEN i % 97 IN (0, 1) THEN ' New sanctions were discussed.' ELSE '' END AS text,
       TIMESTAMPTZ '{start} 08:00:00+00' + (i * {days} * 86400 // {n}) * INTERVAL 1 SECOND AS published_at,
       TIMESTAMPTZ '{start} 09:00:00+00' + (i * {days} * 86400 // {n}) * INTERVAL 1 SECOND AS fetched_at,
       CASE h % 4 WHEN 0 THEN ['CN', 'RU'] WHEN 1 THEN ['CN'] WHEN 2 THEN ['US'] ELSE ['CN', 'RU', 'US'] END AS countries,
       CASE WHEN h % 8 IN (0, 3) THEN ['CN-RU'] ELSE [] END::VARCHAR[] AS pairs_sentence,
       CASE WHEN h % 4 IN (0, 3) THEN ['CN-RU'] ELSE [] END::VARCHAR[] AS pairs_paragraph,
       CASE WHEN h % 4 IN (0, 3) THEN ['CN-RU'] ELSE [] END::VARCHAR[] AS pairs_article
FROM ids ORDER BY day;
CREATE TABLE mentions AS
SELECT a.article_id, s AS seq,
       array_to_string(list_transform(range(24), lambda k: v.v[CAST(1 + hash(a.article_id, s, k) % len(v.v) AS BIGINT)]), ' ')
         || CASE WHEN s = 2 AND hash(a.article_id) % 97 = 0 THEN ' sanctions on Russia.' ELSE ' China.' END AS evidence
FROM articles a, range(5) t(s), vocab v
ORDER BY a.day;
"""


def vocabulary() -> list[str]:
    made_up = [f"{a}{b}{c}" for a in "bcdfgklmnprst" for b in "aeiou" for c in ("n", "r", "st", "ll", "m")]
    common = ["the", "of", "and", "in", "to", "a", "said", "on", "for", "with", "China", "Russia", "trade"]
    return made_up + common * 20


def build(db: Path, n: int) -> float:
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE TEMP TABLE vocab AS SELECT ?::VARCHAR[] AS v", [vocabulary()])
        con.execute(GENERATE.format(n=n, start=START, days=DAYS))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return time.perf_counter() - started


def timed(con, runs: int = 3, **kwargs) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = search(con, PHRASE, days=DAYS, **kwargs)
        times.append(time.perf_counter() - started)
        found = result.total_articles
    return statistics.median(times), found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the million articles")
    ap.add_argument("--keep", metavar="DIR", help="keep the generated database in DIR (and reuse it)")
    args = ap.parse_args()
    n = int(ARTICLES * args.scale)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="newsmon-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / f"search-{n}.duckdb"
    try:
        build_s = build(db, n) if not db.exists() else None  # None: a kept database was reused
        con = duckdb.connect(str(db), read_only=True)
        try:
            chars = con.execute(
                "SELECT (SELECT sum(length(text)) FROM articles), (SELECT sum(length(evidence)) FROM mentions)"
            ).fetchone()
            figures = {"articles": n, "text_mb": round(chars[0] / 1e6), "evidence_mb": round(chars[1] / 1e6)}
            figures["build_s"] = round(build_s, 1) if build_s is not None else "reused"
            for name, kwargs in {
                "all": {},
                "country_CN": {"country": "CN"},
                "pair_CN-RU": {"pair": "CN-RU"},
            }.items():
                for mode, full in (("evidence", False), ("full_text", True)):
                    seconds, found = timed(con, full_text=full, **kwargs)
                    figures[f"{name}_{mode}_s"] = round(seconds, 3)
                    figures[f"{name}_{mode}_matches"] = found
                    print(f"{name:<11} {mode:<10} {seconds:7.3f} s  {found:>7} matching articles", flush=True)
        finally:
            con.close()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    worst = max(figures[f"{k}_evidence_s"] for k in ("all", "country_CN", "pair_CN-RU"))
    goal = {"goal": "365-day phrase series (titles + evidence) under 1 s at ~1M articles", "met": worst < 1.0}
    out = {
        "title": "Topic search",
        "command": "python bench/search.py" + (f" --scale {args.scale}" if args.scale != 1.0 else ""),
        "figures": figures,
        "goals": [goal] if n >= ARTICLES else [],
        "notes": [
            f"{n} synthetic articles over {DAYS} days; median of 3 runs; the whole-text search is the slower "
            "option (--full-text).",
            "Not met: every query scans all evidence sentences (lower() + contains, about 0.5 GB at this size), "
            "which takes seconds on 2 shared cores. Meeting the goal needs an index maintained at load time "
            "(e.g. a (word, article_id) table in the warehouse, searched by the vocabulary words that contain "
            "the phrase's words, then checked on the few candidate sentences).",
        ],
    }
    if args.scale == 1.0:
        RESULTS.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["figures"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
