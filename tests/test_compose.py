"""docker-compose.yaml and the Dockerfile, checked statically (Docker does not run here) against docs/deploy.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-worker-warehouse",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _command(service: dict) -> str:
    cmd = service.get("command", "")
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def test_every_promised_service_is_there(services):
    assert AIRFLOW_SERVICES | {"postgres", "redis", "mailpit"} == set(services)
    commands = {name: _command(s) for name, s in services.items()}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-triggerer"] == "triggerer"
    assert "airflow db migrate" in commands["airflow-init"]


def test_celery_over_redis_with_postgres_metadata(services):
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
            and "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
        )
        # Workers reach the task execution API on the API server's service name and port.
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"], "components must share the JWT secret"
        assert env["NEWSMON_DATA_DIR"] == "/opt/airflow/data"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "8080:8080" in services["airflow-apiserver"]["ports"]


def test_project_folders_and_data_volume_are_mounted(compose, services):
    for name in AIRFLOW_SERVICES:
        mounts = dict(v.split(":", 1) for v in services[name]["volumes"])
        assert mounts["./dags"] == "/opt/airflow/dags", name
        assert mounts["./plugins"] == "/opt/airflow/plugins", name
        assert mounts["./include"] == "/opt/airflow/include", name
        assert mounts["newsmon-data"] == "/opt/airflow/data", name
    assert "newsmon-data" in compose["volumes"] and "postgres-db" in compose["volumes"]


def test_one_worker_owns_the_warehouse_queue(services):
    from newsmon_common import WAREHOUSE_POOL, WAREHOUSE_QUEUE

    def queues(cmd: str) -> set[str]:
        m = re.search(r"(?:--queues|-q)\s+(\S+)", cmd)
        return set(m.group(1).split(",")) if m else {"default"}

    workers = {n: _command(s) for n, s in services.items() if "celery worker" in _command(s)}
    owners = [n for n, cmd in workers.items() if WAREHOUSE_QUEUE in queues(cmd)]
    assert owners == ["airflow-worker-warehouse"]
    assert re.search(r"--concurrency\s+1\b", workers["airflow-worker-warehouse"])
    assert "default" in queues(workers["airflow-worker"])
    assert services["airflow-worker"]["environment"]["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] == "default"
    assert f"pools set {WAREHOUSE_POOL} 1" in _command(services["airflow-init"])


def test_dag_tasks_that_write_duckdb_use_the_warehouse_queue(airflow_db):
    """The compose layout only holds if every task in the one-slot pool also goes to the warehouse worker."""
    from airflow.dag_processing.dagbag import DagBag
    from newsmon_common import WAREHOUSE_POOL, WAREHOUSE_QUEUE

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    pooled = [(d.dag_id, t) for d in bag.dags.values() for t in d.tasks if t.pool == WAREHOUSE_POOL]
    assert any(dag_id == "news_ingest" for dag_id, _ in pooled)
    for dag_id, t in pooled:
        assert t.queue == WAREHOUSE_QUEUE, f"{dag_id}.{t.task_id} is in the warehouse pool but not its queue"


def test_mail_goes_to_mailpit(services):
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert "8025:8025" in services["mailpit"]["ports"]
    env = services["airflow-worker"]["environment"]
    assert env["AIRFLOW_CONN_SMTP_DEFAULT"].startswith("smtp://mailpit:1025")
    assert env["NEWSMON_SMTP_HOST"] == "mailpit" and env["NEWSMON_SMTP_PORT"] == "1025"
    assert env["NEWSMON_DIGEST_TO"] and env["NEWSMON_ALERT_TO"]


def test_services_wait_for_their_dependencies(services):
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert (
            deps["postgres"]["condition"] == "service_healthy"
            and deps["redis"]["condition"] == "service_healthy"
        )
    for name in ("postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-worker-warehouse"):
        assert services[name]["healthcheck"]["test"], name


def test_dockerfile_uses_the_official_image_and_the_pins():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11\s*$", text, re.M)
    assert "pip install --no-cache-dir -r requirements.txt -c constraints.txt" in text
    assert "COPY --chown=airflow:0 include ./include" in text and "--no-deps ." in text
    for folder in ("dags", "plugins"):
        assert f"COPY --chown=airflow:0 {folder} /opt/airflow/{folder}" in text
    pinned = (ROOT / "requirements.txt").read_text()
    assert "apache-airflow[postgres,celery]==3.3.2" in pinned  # the image's Airflow, not an upgrade


def test_docs_describe_what_compose_runs(services):
    doc = (ROOT / "docs" / "deploy.md").read_text()
    for name in services:
        assert f"`{name}`" in doc, f"docs/deploy.md does not mention the {name} service"
    for topic in ("warehouse queue", "Object storage", "One machine", "Several machines", "newsmon-data"):
        assert topic in doc, topic
