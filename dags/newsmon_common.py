"""Shared settings for the newsmon DAG files (this module defines no DAG).

The dags/ folder is on sys.path under Airflow, so every DAG file imports this.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

START_DATE = datetime(2026, 1, 1)
WAREHOUSE_POOL = "newsmon_warehouse"  # one slot: only one task writes the DuckDB warehouse at a time
WAREHOUSE_QUEUE = "warehouse"  # under Celery, one worker listens here and owns the DuckDB files
INGEST_ASSET = "newsmon_articles"  # updated by news_ingest after each load + publish
DAILY_ASSET = "newsmon_daily"  # updated by news_daily after the aggregates are published
TAGS = ["newsmon"]

# Every task has an execution_timeout: a try that runs longer is stopped (and retried), so a hang in one task
# cannot hold its DAG, and with max_active_runs=1 every later run, for ever. TASK_TIMEOUT is the default.
TASK_TIMEOUT = timedelta(minutes=30)
FETCH_SHARD_MIN = timedelta(minutes=10)
FETCH_SHARD_MAX = timedelta(minutes=40)  # under news_ingest's 45-minute hang alert: the try fails first
# Per worker: one feed fetch and its share of the article pages, each within one deadline.
DEADLINES_PER_FEED = 4


def default_args(**overrides) -> dict:
    """Retries with exponential backoff on every task, and operators notified when one fails after them."""
    from newsmon_notify import notification_args

    args = {
        "owner": "newsmon",
        "execution_timeout": TASK_TIMEOUT,
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
    }
    args.update(notification_args())
    args.update(overrides)
    return args


def fetch_shard_timeout(settings=None, feed_count: int | None = None) -> timedelta:
    """execution_timeout of one `fetch_shard` try, derived from the settings and the size of the feed list.

    Every URL a shard fetches ends within the HTTP client's deadline D (connect timeout + 3 x read timeout, see
    newsmon.http.fetch_deadline), and a shard works `fetch_workers` URLs at a time. A shard holds at most all the
    feeds, so it needs at most ceil(feeds / workers) x D for the feeds, and we allow DEADLINES_PER_FEED times that
    for the feeds and their pages, kept between FETCH_SHARD_MIN and FETCH_SHARD_MAX. With the defaults (61 feeds,
    16 workers, D = 65 s): 4 x 65 s x 4 = 17 min. An unreadable settings or feed file gives FETCH_SHARD_MAX here
    (plan_shards reports the error in words; parsing the DAG must not fail over it).
    """
    from newsmon.config import Settings, load_feeds
    from newsmon.http import fetch_deadline

    try:
        settings = settings or Settings.load()
        feed_count = len(load_feeds()) if feed_count is None else feed_count
    except Exception:  # noqa: BLE001 (any error here is plan_shards' to report)
        return FETCH_SHARD_MAX
    rounds = math.ceil(max(1, feed_count) / max(1, settings.fetch_workers))
    wanted = timedelta(seconds=rounds * fetch_deadline(settings) * DEADLINES_PER_FEED)
    return min(FETCH_SHARD_MAX, max(FETCH_SHARD_MIN, wanted))
