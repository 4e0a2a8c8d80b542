"""Shared settings for the newsmon DAG files (this module defines no DAG).

The dags/ folder is on sys.path under Airflow, so every DAG file imports this.
"""

from __future__ import annotations

from datetime import datetime, timedelta

START_DATE = datetime(2026, 1, 1)
WAREHOUSE_POOL = "newsmon_warehouse"  # one slot: only one task writes the DuckDB warehouse at a time
WAREHOUSE_QUEUE = "warehouse"  # under Celery, one worker listens here and owns the DuckDB files
INGEST_ASSET = "newsmon_articles"  # updated by news_ingest after each load + publish
DAILY_ASSET = "newsmon_daily"  # updated by news_daily after the aggregates are published
TAGS = ["newsmon"]


def default_args(**overrides) -> dict:
    """Retries with exponential backoff on every task, and operators notified when one fails after them."""
    from newsmon_notify import notification_args

    args = {
        "owner": "newsmon",
        "retries": 3,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
    }
    args.update(notification_args())
    args.update(overrides)
    return args
