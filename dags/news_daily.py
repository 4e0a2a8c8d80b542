"""news_daily: recompute the daily aggregates (counts, baselines, spikes) and publish the analyst database."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, task
from newsmon_common import (
    DAILY_ASSET,
    INGEST_ASSET,
    START_DATE,
    TAGS,
    WAREHOUSE_POOL,
    WAREHOUSE_QUEUE,
    default_args,
)
from newsmon_notify import hang_deadline

DOC = """
### news_daily

Runs after every `news_ingest` load (Asset `newsmon_articles`) and once a day at 00:15 UTC
(`NEWSMON_DAILY_SCHEDULE`, a cron expression), so the day that just ended is closed even when no article came in.

| task | what it does | where to look when it fails |
|---|---|---|
| `aggregate_and_publish` | pool `newsmon_warehouse` (1 slot): recomputes `daily_total`, `daily_country`, `daily_pair` and `daily_source` for every day touched by articles loaded since the last run (late arrivals up to 30 days back) and for yesterday, one transaction per day, then the 7/28-day baselines and spike flags, then writes `data/newsmon.duckdb` | the task log lists the days recomputed; `newsmon daily --date D` reruns one day by hand |

**Backfill**: `airflow backfill create --dag-id news_daily --from-date 2026-10-01 --to-date 2026-10-31` recomputes
each run's logical day (and the baselines after it); rerunning gives identical rows. Days older than the 30-day
lookback are only recomputed this way or with `newsmon daily --start ... --end ...`. Every run publishes the
analyst database, so for more than a few days the command is much quicker (one publish instead of one per day).

Outlet: Asset `newsmon_daily`, which schedules `news_digest`. Spike rule and columns: `docs/analysts.md`.
"""


@dag(
    dag_id="news_daily",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(
            os.environ.get("NEWSMON_DAILY_SCHEDULE", "15 0 * * *"), timezone="UTC"
        ),
        assets=Asset(INGEST_ASSET),
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=hang_deadline("news_daily"),
    tags=TAGS,
    doc_md=DOC,
)
def news_daily():
    # A backfill of many days publishes once per run; an hour (the hang alert's) is plenty for one run.
    @task(
        pool=WAREHOUSE_POOL,
        queue=WAREHOUSE_QUEUE,
        outlets=[Asset(DAILY_ASSET)],
        execution_timeout=timedelta(minutes=55),
    )
    def aggregate_and_publish(**context) -> dict:
        from newsmon.aggregates import run_for_dag

        dag_run = context["dag_run"]
        result = run_for_dag(dag_run.run_type, context.get("logical_date"))
        return {"days": result["days"], "rows": result["rows"], "seconds": result["seconds"]}

    aggregate_and_publish()


news_daily()
