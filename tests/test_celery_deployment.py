"""The multi-machine configuration for real: Postgres metadata, CeleryExecutor over Redis, and every component.

Runs when Postgres (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379) answer, else skips with the
reason. A fresh metadata database; a scheduler, DAG processor, API server, a Celery worker on the default queue and
one on the `warehouse` queue (as docker-compose.yaml lays them out), all subprocesses with a temporary
AIRFLOW_HOME and non-default ports. news_ingest runs once over the demo corpus; its Asset schedules news_daily,
whose Asset schedules news_digest. The test checks that each run succeeded, that the warehouse tasks ran on the
warehouse worker, and what landed in the analyst database and the outbox.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
DAG_IDS = ("news_ingest", "news_daily", "news_digest")
TIMEOUT = 1200  # seconds for the whole chain on a busy two-core machine

# Airflow's own start-up (migrations, five components) takes minutes on two shared cores: more than the
# project-wide 900 s pytest timeout allows.
pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.timeout(1800)]


def _answers(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_ping() -> bool:
    with socket.create_connection(REDIS, timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


@pytest.fixture(scope="module")
def services():
    missing = [name for name, addr in (("Postgres", PG), ("Redis", REDIS)) if not _answers(addr)]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not answering on this machine (needs {PG} and {REDIS})")
    if not _redis_ping():
        pytest.skip(f"something answers on {REDIS} but it is not Redis")
    import psycopg2

    name = f"newsmon_celery_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres@{PG[0]}:{PG[1]}/{name}"
    finally:
        cur = admin.cursor()
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


class Cluster:
    """Airflow components as subprocesses sharing one environment; stopped together."""

    def __init__(self, home: Path, env: dict):
        self.home, self.env = home, env
        self.procs: dict[str, subprocess.Popen] = {}

    def airflow(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def start(self, name: str, *args: str, env: dict | None = None) -> None:
        log = open(self.home / f"{name}.log", "wb")  # noqa: SIM115 (the child owns it until stop())
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-4000:]}")

    def log(self, name: str) -> str:
        path = self.home / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 45
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def cluster(services, tmp_path_factory):
    from newsmon.demo.server import DemoServer

    home = tmp_path_factory.mktemp("celery-home")
    data_dir = home / "data"
    api_port = _free_port()
    base = f"http://127.0.0.1:{api_port}"
    # Another test session may run this test at the same time on the same Redis: a key prefix of our own keeps
    # its workers from taking our tasks (the queue names, default and warehouse, are fixed by the DAGs).
    prefix = f"newsmon-test-{uuid.uuid4().hex[:8]}"
    with DemoServer(host="127.0.0.1", port=0, slow_seconds=3) as demo:
        feeds = demo.write_feeds_yaml(home / "demo-feeds.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        env["NEWSMON_HANG_DEADLINES"] = "1"  # the real scheduler path runs with the deadline alerts
        env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://{services}",
            AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
            AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX=f"{prefix}:",
            AIRFLOW__CELERY__RESULT_BACKEND=f"db+postgresql://{services}",
            AIRFLOW__OPERATORS__DEFAULT_QUEUE="default",
            AIRFLOW__API__PORT=str(api_port),
            AIRFLOW__API__BASE_URL=base,
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{base}/execution/",
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(16),
            AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(_free_port()),
            NEWSMON_DATA_DIR=str(data_dir),
            NEWSMON_FEEDS=str(feeds),
            NEWSMON_ALLOW_HOSTS=demo.url,
            NEWSMON_HOST_SPACING="0",
            NEWSMON_SHARDS="2",
            # One run of news_ingest; news_daily only through its Asset (this cron has no date before 2028).
            NEWSMON_INGEST_SCHEDULE="@once",
            NEWSMON_DAILY_SCHEDULE="0 0 29 2 *",
            NEWSMON_DIGEST_TO="readers@example.org",
            NEWSMON_NOTIFY="outbox",
        )
        for key in ("NEWSMON_SMTP_HOST", "NEWSMON_SETTINGS"):
            env.pop(key, None)
        c = Cluster(home, env)
        try:
            c.airflow("db", "migrate")
            c.airflow("pools", "set", "newsmon_warehouse", "1", "one writer for the DuckDB warehouse")
            c.start("api-server", "api-server", "--port", str(api_port), "--workers", "1")
            c.start("scheduler", "scheduler")
            c.start("dag-processor", "dag-processor")
            c.start(
                "worker-default",
                "celery", "worker", "--queues", "default", "--concurrency", "2",
                "--celery-hostname", f"default-{prefix}@%h", "--pid", str(home / "worker-default.pid"),
            )  # fmt: skip
            c.start(
                "worker-warehouse",
                "celery", "worker", "--queues", "warehouse", "--concurrency", "1",
                "--celery-hostname", f"warehouse-{prefix}@%h", "--pid", str(home / "worker-warehouse.pid"),
                "--skip-serve-logs",
            )  # fmt: skip
            yield c, data_dir
        finally:
            c.stop()


def _runs(dsn: str) -> dict[str, list[str]]:
    import psycopg2

    user_host, dbname = dsn.rsplit("/", 1)
    con = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname=dbname)
    try:
        cur = con.cursor()
        cur.execute("SELECT dag_id, state FROM dag_run ORDER BY id")
        out: dict[str, list[str]] = {}
        for dag_id, state in cur.fetchall():
            out.setdefault(dag_id, []).append(state)
        return out
    except psycopg2.errors.UndefinedTable:
        return {}
    finally:
        con.close()


def _task_hosts(dsn: str) -> dict[str, tuple[str, str, str]]:
    import psycopg2

    con = psycopg2.connect(host=PG[0], port=PG[1], user="postgres", dbname=dsn.rsplit("/", 1)[1])
    try:
        cur = con.cursor()
        cur.execute(
            "SELECT dag_id || '.' || task_id, queue, state, coalesce(hostname, '') FROM task_instance"
        )
        return {key: (queue, state, host) for key, queue, state, host in cur.fetchall()}
    finally:
        con.close()


def test_ingest_daily_digest_on_celery_with_postgres(cluster, services):
    import duckdb

    c, data_dir = cluster
    # The DAG processor has to parse the DAGs before they can be unpaused.
    deadline = time.monotonic() + 240
    while True:
        c.check_alive()
        listed = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "list", "-o", "plain"],
            env=c.env, capture_output=True, text=True, timeout=120,
        ).stdout  # fmt: skip
        if all(d in listed for d in DAG_IDS):
            break
        assert time.monotonic() < deadline, f"DAGs not parsed:\n{c.log('dag-processor')[-3000:]}"
        time.sleep(5)
    for dag_id in (
        "news_digest",
        "news_daily",
        "news_ingest",
    ):  # consumers first, so no Asset event is missed
        c.airflow("dags", "unpause", dag_id)

    deadline = time.monotonic() + TIMEOUT
    while True:
        c.check_alive()
        runs = _runs(services)
        if any("failed" in states for states in runs.values()):
            break
        if all("success" in runs.get(d, []) for d in DAG_IDS):
            break
        assert time.monotonic() < deadline, (
            f"runs not finished in {TIMEOUT}s: {runs}\n" + c.log("scheduler")[-3000:]
        )
        time.sleep(5)
    tasks = _task_hosts(services)
    assert all(runs.get(d) and set(runs[d]) == {"success"} for d in DAG_IDS), (
        f"runs: {runs}\ntasks: {tasks}\n{c.log('worker-default')[-3000:]}\n{c.log('worker-warehouse')[-3000:]}"
    )

    # Every task succeeded; the DuckDB writers ran on the warehouse queue, the fetch shards elsewhere.
    assert all(state == "success" for _, state, _ in tasks.values()), tasks
    assert tasks["news_ingest.load_and_publish"][0] == "warehouse"
    assert tasks["news_daily.aggregate_and_publish"][0] == "warehouse"
    assert tasks["news_ingest.fetch_shard"][0] == "default"

    con = duckdb.connect(str(data_dir / "newsmon.duckdb"), read_only=True)
    try:
        articles, feeds = con.execute("SELECT count(*), count(DISTINCT feed) FROM articles").fetchone()
        days = con.execute("SELECT count(*), sum(stories) FROM daily_total").fetchone()
        countries = {r[0] for r in con.execute("SELECT DISTINCT country FROM daily_country").fetchall()}
        health = con.execute("SELECT count(*), sum(consecutive_failures) FROM feed_health").fetchone()
    finally:
        con.close()
    assert articles > 50 and feeds >= 5
    assert days[0] >= 10 and days[1] > 0
    assert {"CN", "RU", "US"} <= countries
    assert health[0] >= 5 and health[1] == 0
    digests = list((data_dir / "outbox").glob("digest-*.eml"))
    assert digests, "news_digest wrote no digest to the outbox"
