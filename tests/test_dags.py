"""DAG integrity, and a real `dag.test()` run of news_ingest over the demo corpus served on loopback."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {"news_ingest", "news_daily", "news_digest"}
VERDICT_TASKS = {"quality_gates"}  # tasks that judge, and so fail at once instead of retrying


@pytest.fixture(scope="module")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    present = set(dagbag.dag_ids)
    assert "news_ingest" in present
    assert present >= (EXPECTED & {p.stem for p in (ROOT / "dags").glob("news_*.py")})


def test_every_dag_is_tagged_documented_and_retries_with_backoff(dagbag):
    for dag_id in dagbag.dag_ids:
        dag = dagbag.get_dag(dag_id)
        assert "newsmon" in dag.tags, dag_id
        assert dag.doc_md and len(dag.doc_md) > 100, dag_id
        for t in dag.tasks:
            if t.task_id in VERDICT_TASKS:  # a verdict on the published file cannot change by asking again
                assert t.retries == 0, (dag_id, t.task_id)
                assert t.on_failure_callback, f"{dag_id}.{t.task_id} notifies nobody when it fails"
                continue
            assert t.retries >= 2, (dag_id, t.task_id)
            assert t.retry_exponential_backoff, (dag_id, t.task_id)
            assert t.on_failure_callback, f"{dag_id}.{t.task_id} notifies nobody when it fails"


def test_every_dag_has_a_deadline_for_hung_runs(airflow_db, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("NEWSMON_HANG_DEADLINES", "1")
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    for dag_id in bag.dag_ids:
        assert bag.get_dag(dag_id).deadline, f"{dag_id} has no deadline alert for hung runs"


def test_every_task_of_every_dag_has_an_execution_timeout(dagbag):
    """A hung try is stopped; with max_active_runs=1 it would otherwise hold every later run."""
    from newsmon_common import fetch_shard_timeout

    assert set(dagbag.dag_ids) >= {"news_ingest"}
    for dag_id in dagbag.dag_ids:
        for t in dagbag.get_dag(dag_id).tasks:
            timeout = t.execution_timeout
            assert timeout is not None, f"{dag_id}.{t.task_id} has no execution_timeout"
            assert 0 < timeout.total_seconds() <= 3600, (dag_id, t.task_id, timeout)
    fetch = dagbag.get_dag("news_ingest").get_task("fetch_shard")
    assert fetch.execution_timeout == fetch_shard_timeout()


def test_fetch_shard_timeout_follows_the_settings_between_its_bounds():
    from newsmon.config import Settings
    from newsmon_common import FETCH_SHARD_MAX, FETCH_SHARD_MIN, fetch_shard_timeout

    base = Settings(connect_timeout=5.0, read_timeout=20.0, fetch_workers=16)  # deadline 65 s
    assert fetch_shard_timeout(base, 61).total_seconds() == 4 * 65 * 4  # ceil(61 / 16) rounds x 65 s x 4
    assert fetch_shard_timeout(base, 3) == FETCH_SHARD_MIN  # a short list still gets ten minutes
    assert fetch_shard_timeout(base, 5000) == FETCH_SHARD_MAX  # a long one stays under the hang alert
    slower = Settings(connect_timeout=5.0, read_timeout=40.0, fetch_workers=16)
    assert fetch_shard_timeout(slower, 61) > fetch_shard_timeout(base, 61)
    fewer_workers = Settings(connect_timeout=5.0, read_timeout=20.0, fetch_workers=8)
    assert fetch_shard_timeout(fewer_workers, 61) > fetch_shard_timeout(base, 61)


def test_ingest_is_lean_and_single_writer(dagbag):
    dag = dagbag.get_dag("news_ingest")
    assert dag.max_active_runs == 1
    load = dag.get_task("load_and_publish")
    assert load.pool == "newsmon_warehouse"
    assert [o.name for o in load.outlets] == ["newsmon_articles"]


@pytest.mark.slow
def test_news_ingest_dag_test_over_demo_corpus(demo_ingest):
    """news_ingest under dag.test() over the demo corpus on loopback (conftest's `demo_ingest`, which
    test_digest_pipeline's end-to-end test goes on from)."""
    run, data_dir = demo_ingest.run, demo_ingest.data_dir
    assert str(run.state).endswith("success"), run.state
    con = duckdb.connect(str(data_dir / "newsmon.duckdb"), read_only=True)
    try:
        articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        sources = con.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0]
        health = con.execute("SELECT count(*) FROM feed_health WHERE last_status = 'ok'").fetchone()[0]
    finally:
        con.close()
    assert articles >= 60
    assert sources >= 6
    assert health >= 6
