"""The operators' checks at a year's scale: quality gates after a run, feed-health flags, the News monitor page.

They run after every ingest (every 30 minutes) and on every page view, so they must stay cheap as the history
grows. A year of synthetic articles (60 feeds, ~2,000 articles a day, a few hundred characters of text each) is
generated into a warehouse with SQL, the last 30 days aggregated and published; then each check is timed
against a baseline measured in the same run: one scan of the year's text (what any whole-table check would
cost). Goals: each check under a second, and far below the scan.

    .venv/bin/python bench/ops.py            # add --scale 0.2 for a quick look
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

import duckdb  # noqa: E402
from newsmon.aggregates import recompute_days  # noqa: E402
from newsmon.config import Paths  # noqa: E402
from newsmon.health import HealthSettings, feed_flags  # noqa: E402
from newsmon.quality import QualitySettings, check_ingest  # noqa: E402
from newsmon.ui import load_page_data, render_page  # noqa: E402
from newsmon.warehouse import apply_schema, publish  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ops.json"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FEEDS = 60
RUN_ID = "scheduled__bench"

# Articles spread evenly over the year, fetched a few minutes after publication; the last 100 belong to the run
# being checked. Text: a sentence naming the article's countries, padded with hex so every row has real bytes.
GENERATE = """
CREATE OR REPLACE TEMP TABLE gen AS
SELECT i, hash(i) AS h, printf('%016x', i) AS article_id,
       TIMESTAMPTZ '{start}' + to_microseconds(CAST(i * {step_us} AS BIGINT)) AS ts
FROM range({n}) t(i);

INSERT INTO articles (article_id, url, canonical_url, feed, source, title, text, text_source, fetch_error,
                      published_at, published_from, day, fetched_at, story_id, countries, loaded_at)
SELECT article_id, 'https://s' || (h % {feeds}) || '.example/' || article_id,
       'https://s' || (h % {feeds}) || '.example/' || article_id,
       'feed' || (h % {feeds}), 'Source ' || (h % {feeds}), 'Headline ' || article_id,
       'Officials in Beijing and Moscow met on Tuesday. ' || repeat(md5(article_id), 6),
       CASE WHEN h % 20 = 0 THEN 'feed' ELSE 'page' END, CASE WHEN h % 20 = 0 THEN 'HTTP 403' END,
       ts, 'page', CAST(ts AS DATE), ts + INTERVAL 5 MINUTE, article_id,
       list_filter(['CN', 'RU', 'US'], lambda c, k: (h >> (k * 3)) % 3 <> 0), ts + INTERVAL 6 MINUTE
FROM gen;

INSERT INTO article_countries
SELECT article_id, unnest(countries), 2, 0.5, TRUE FROM articles;

INSERT INTO feed_health (feed, url, source, last_status, consecutive_failures, last_fetched_at, last_success_at,
                         last_new_item_at, items_seen, retired, updated_at)
SELECT 'feed' || f, 'https://s' || f || '.example/rss', 'Source ' || f, 'ok', CASE WHEN f = 7 THEN 5 ELSE 0 END,
       TIMESTAMPTZ '{now}', TIMESTAMPTZ '{now}', TIMESTAMPTZ '{now}', 1000, FALSE, TIMESTAMPTZ '{now}'
FROM range({feeds}) t(f);

INSERT INTO fetch_log (run_id, feed, status, http_status, new_items, pages_ok, pages_failed, bytes_read, "at")
SELECT CASE WHEN r = 0 THEN '{run_id}' ELSE 'run' || r END, 'feed' || f, 'ok', 200, 2, 2, 0, 50000,
       TIMESTAMPTZ '{now}' - INTERVAL 30 MINUTE * (r + 1)
FROM range(48 * 30) t(r), range({feeds}) u(f);
"""


def build(paths: Paths, n: int) -> None:
    start = NOW - timedelta(days=365)
    step_us = (NOW - timedelta(minutes=10) - start).total_seconds() * 1e6 / n
    con = duckdb.connect(str(paths.warehouse))
    try:
        con.execute("SET TimeZone = 'UTC'")
        apply_schema(con)
        con.execute(
            GENERATE.format(
                start=start.isoformat(), step_us=step_us, n=n, feeds=FEEDS, now=NOW.isoformat(), run_id=RUN_ID
            )
        )
        recompute_days(con, [(NOW - timedelta(days=d)).date() for d in range(30)])
    finally:
        con.close()
    publish(paths)


def timed(fn, repeat: int = 5) -> float:
    """Median wall time in milliseconds over a few runs (the machine is shared)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the year's 730,000 articles")
    args = parser.parse_args()
    n = int(730_000 * args.scale)
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-ops-") as tmp:
        paths = Paths(Path(tmp)).ensure()
        t = time.perf_counter()
        build(paths, n)
        print(f"built {n:,} articles over 365 days, {FEEDS} feeds, in {time.perf_counter() - t:.1f}s")
        con = duckdb.connect(str(paths.analyst_db), read_only=True)
        con.execute("SET TimeZone = 'UTC'")
        qs, hs = QualitySettings(), HealthSettings()
        report = check_ingest(con, run_id=RUN_ID, now=NOW, settings=qs)
        flags = feed_flags(con, NOW, hs)
        figures = {
            "articles": n,
            "run_articles": report.articles,
            "flags": len(flags),
            "baseline_text_scan_ms": timed(
                lambda: con.execute("SELECT sum(length(text)), count(*) FROM articles").fetchone()
            ),
            "quality_gates_ms": timed(lambda: check_ingest(con, run_id=RUN_ID, now=NOW, settings=qs)),
            "feed_flags_ms": timed(lambda: feed_flags(con, NOW, hs)),
        }
        con.close()
        figures["page_ms"] = timed(lambda: render_page(load_page_data(paths, NOW)), repeat=3)
    base = figures["baseline_text_scan_ms"]
    for key in ("quality_gates_ms", "feed_flags_ms", "page_ms"):
        figures[key.replace("_ms", "_vs_scan")] = round(figures[key] / base, 3)
    for key, value in figures.items():
        print(f"{key:>26}: {value:,.3f}" if isinstance(value, float) else f"{key:>26}: {value:,}")
    goals = [
        {
            "goal": f"{k.replace('_ms', '').replace('_', ' ')} under 1 s at a year's scale",
            "met": figures[k] < 1000,
        }
        for k in ("quality_gates_ms", "feed_flags_ms", "page_ms")
    ]
    result = {
        "title": "Operators' checks: quality gates, feed flags, News monitor page",
        "command": ".venv/bin/python bench/ops.py" + (f" --scale {args.scale:g}" if args.scale != 1 else ""),
        "figures": figures,
        "goals": goals,
        "notes": [
            "Baseline: one scan of every article's text in the same database (what a naive whole-table check costs).",
            "Quality gates read only the run's articles (fetched_at range) plus the previous week's country counts.",
            "Feed flags read 30 days of publication times and 15 days of fetch outcomes per feed.",
            "The page opens the analyst database read-only, reads 30 days of daily tables, stories, health "
            "and flags, and renders HTML with inline SVG.",
        ],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"wrote {RESULTS}")
    return 0 if all(g["met"] for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
