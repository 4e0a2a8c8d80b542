"""The news_daily DAG: its schedule, pool and outlet, what a run recomputes, and a real `dag.test()` run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from newsmon.aggregates import days_for_dag_run
from newsmon.config import Paths

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def daily_dag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "news_daily.py"))
    assert bag.import_errors == {}
    return bag.get_dag("news_daily")


def test_scheduled_on_new_articles_or_after_midnight(daily_dag):
    timetable = daily_dag.timetable
    assert type(timetable).__name__ == "AssetOrTimeSchedule"
    assert timetable.asset_condition.name == "newsmon_articles"
    assert type(timetable.timetable).__name__ == "CronTriggerTimetable"
    assert timetable.timetable.expression == "15 0 * * *"  # 00:15 UTC: the day just ended is closed
    assert daily_dag.max_active_runs == 1 and daily_dag.catchup is False
    assert "news_daily" in daily_dag.doc_md and "newsmon_daily" in daily_dag.doc_md


def test_one_thin_task_in_the_warehouse_pool_with_the_daily_outlet(daily_dag):
    assert [t.task_id for t in daily_dag.tasks] == ["aggregate_and_publish"]
    task = daily_dag.get_task("aggregate_and_publish")
    assert task.pool == "newsmon_warehouse"
    assert [o.name for o in task.outlets] == ["newsmon_daily"]
    assert task.retries >= 2 and task.retry_exponential_backoff


def test_a_backfill_run_recomputes_its_logical_day_other_runs_the_touched_days():
    from airflow.utils.types import DagRunType

    logical = datetime(2026, 10, 5, 0, 15, tzinfo=UTC)
    assert days_for_dag_run(DagRunType.BACKFILL_JOB, logical) == [date(2026, 10, 5)]
    assert days_for_dag_run("backfill", logical) == [date(2026, 10, 5)]
    assert days_for_dag_run(DagRunType.SCHEDULED, logical) is None
    assert days_for_dag_run(DagRunType.ASSET_TRIGGERED, None) is None
    assert days_for_dag_run(DagRunType.MANUAL, logical) is None


@pytest.mark.slow
def test_dag_test_recomputes_and_publishes(daily_dag, data_dir):
    paths = Paths(data_dir)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    con = warehouse_connection(paths)
    insert_docs(
        con,
        [
            Doc("a1", yesterday - timedelta(days=2), countries={"CN": 1}),
            Doc("a2", yesterday, countries={"CN": 2, "US": 1}, sentence=("CN-US",)),
        ],
    )
    con.close()
    run = daily_dag.test()
    assert str(run.state).endswith("success"), run.state
    analyst = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        rows = analyst.execute("SELECT day, articles FROM daily_total ORDER BY day").fetchall()
        pair = analyst.execute(
            "SELECT articles FROM daily_pair WHERE day = ? AND pair = 'CN-US' AND level = 'sentence'",
            [yesterday],
        ).fetchall()
    finally:
        analyst.close()
    assert rows == [(yesterday - timedelta(days=2), 1), (yesterday, 1)]
    assert pair == [(1,)]
