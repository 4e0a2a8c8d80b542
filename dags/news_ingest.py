"""news_ingest: fetch feeds and articles, clean and tag them, load the warehouse, publish for analysts."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset, dag, task
from newsmon_common import (
    INGEST_ASSET,
    START_DATE,
    TAGS,
    WAREHOUSE_POOL,
    WAREHOUSE_QUEUE,
    default_args,
    fetch_shard_timeout,
)
from newsmon_notify import hang_deadline

DOC = """
### news_ingest

Every 30 minutes (`NEWSMON_INGEST_SCHEDULE`, a cron expression) one pass over the feed list
(`NEWSMON_FEEDS`, default: the bundled `feeds.yaml`).

| task | what it does | where to look when it fails |
|---|---|---|
| `plan_shards` | reads the feed list and splits the feeds into a few shards, one host per shard | the feed list: its error names the file and the entry |
| `fetch_shard` (mapped) | per shard: conditional GET of each due feed, then each new article page (robots.txt, address guard), trafilatura + boilerplate cleaning, mention tagging; writes one Parquet batch to `data/staging/`. Every fetch ends within its deadline (connect + 3 x read timeout); a try is stopped after `ceil(feeds / fetch_workers)` x deadline x 4, between 10 and 40 minutes | the task log's table of feeds with errors, `newsmon feeds` for per-feed status; a failing feed never fails the task |
| `load_and_publish` | pool `newsmon_warehouse` (1 slot): loads the staged batches into `data/warehouse.duckdb` (dedupe, stories), then writes `data/newsmon.duckdb` for analysts | the task log: counts of new, duplicate and rejected articles by reason |
| `feed_health_alerts` | flags feeds that fail repeatedly, went silent or lost their pages, and mails operators once per feed, flag and day (`NEWSMON_SMTP_*`, `NEWSMON_ALERT_TO`; else `data/outbox/`) | the News monitor page (Browse > News monitor) lists every flag |
| `quality_gates` | fails the run when something is wrong in bulk: no articles, extraction failures, future dates, mojibake, mentions collapsing (thresholds: `quality:` in settings.yaml); no retries, since a verdict cannot change | the failure message names each failed gate and what to look at |

Every task has an `execution_timeout` (30 minutes unless the task says otherwise), so a hung try is stopped and
retried instead of holding this DAG (one run at a time) for ever.

Outlet: Asset `newsmon_articles`, which schedules `news_daily`.
"""


@dag(
    dag_id="news_ingest",
    schedule=os.environ.get("NEWSMON_INGEST_SCHEDULE", "*/30 * * * *"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=hang_deadline("news_ingest"),
    tags=TAGS,
    doc_md=DOC,
)
def news_ingest():
    @task(execution_timeout=timedelta(minutes=5))
    def plan_shards() -> list[list[str]]:
        from newsmon.config import Settings, load_feeds, paths
        from newsmon.feedlist import record_feed_list
        from newsmon.pipeline import plan_shards as plan

        feeds = load_feeds()
        record_feed_list(paths().ensure(), None, feeds)  # `newsmon feeds` and the page report on this list
        return plan(feeds, Settings.load().shards)

    @task(execution_timeout=fetch_shard_timeout())
    def fetch_shard(feed_names: list[str], **context) -> dict:
        from newsmon.pipeline import fetch_shard as fetch

        shard = context["ti"].map_index if context["ti"].map_index >= 0 else 0
        return fetch(feed_names, context["run_id"], shard)

    @task(pool=WAREHOUSE_POOL, queue=WAREHOUSE_QUEUE, outlets=[Asset(INGEST_ASSET)])
    def load_and_publish(shards: list[dict]) -> dict:
        from newsmon.pipeline import load_and_publish as load

        return load([s["batch"] for s in shards if s.get("batch")])

    @task(pool=WAREHOUSE_POOL, queue=WAREHOUSE_QUEUE, execution_timeout=timedelta(minutes=10))
    def feed_health_alerts() -> dict:
        from newsmon.config import paths
        from newsmon.health import SmtpSettings, check_feeds

        return check_feeds(paths(), SmtpSettings.from_env()).as_dict()

    # No retries: a verdict on the published file cannot change by asking again, and each retry only delays
    # the red run (3 retries with backoff: about 6 minutes).
    @task(queue=WAREHOUSE_QUEUE, execution_timeout=timedelta(minutes=10), retries=0)
    def quality_gates(**context) -> dict:
        from newsmon.config import paths
        from newsmon.quality import check_analyst_db

        return check_analyst_db(paths().analyst_db, run_id=context["run_id"]).as_dict()

    loaded = load_and_publish(fetch_shard.expand(feed_names=plan_shards()))
    loaded >> [feed_health_alerts(), quality_gates()]


news_ingest()
