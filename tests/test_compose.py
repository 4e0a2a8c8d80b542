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


SECRETS = ("AIRFLOW_JWT_SECRET", "AIRFLOW_SECRET_KEY", "AIRFLOW_FERNET_KEY", "NEWSMON_ADMIN_PASSWORD")
TEST_SECRETS = {name: f"test-{name.lower()}" for name in SECRETS}
COMPOSE_TEXT = (ROOT / "docker-compose.yaml").read_text()
_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(Exception):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """Docker Compose's variable rules: $$ is a dollar, ${V}, ${V:-default}/${V-default}, ${V:?error}/${V?error}."""

    def one(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1) or m.group(4), m.group(2), m.group(3) or ""
        value = env.get(name)
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if unset and op in (":?", "?"):
            raise MissingVariable(f"required variable {name} is missing a value: {arg}")
        if unset and op in (":-", "-"):
            return arg
        return value or ""

    return _VARIABLE.sub(one, text)


def load_compose(env: dict[str, str]) -> dict:
    return yaml.safe_load(interpolate(COMPOSE_TEXT, env))


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose(TEST_SECRETS)


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
    assert services["airflow-apiserver"]["ports"] == ["127.0.0.1:8080:8080"]


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
    assert services["mailpit"]["ports"] == ["127.0.0.1:8025:8025"]
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


# ---------------------------------------------------------------------------------------------------- safe defaults


@pytest.mark.parametrize("missing", SECRETS)
def test_compose_refuses_to_start_without_each_secret(missing):
    for absent in ({k: v for k, v in TEST_SECRETS.items() if k != missing}, {**TEST_SECRETS, missing: ""}):
        with pytest.raises(
            MissingVariable, match=rf"{missing} is missing a value: set {missing} .*compose-env"
        ):
            load_compose(absent)


def test_no_secret_has_a_default_and_every_component_gets_the_given_ones(services):
    assert "change-me" not in COMPOSE_TEXT
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[-?]?)", COMPOSE_TEXT)
        assert uses and set(uses) == {":?"}, f"{name} must be required everywhere: ${{{name}:?...}}"
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == TEST_SECRETS["AIRFLOW_JWT_SECRET"], name
        assert env["AIRFLOW__API__SECRET_KEY"] == TEST_SECRETS["AIRFLOW_SECRET_KEY"], name
        assert env["AIRFLOW__CORE__FERNET_KEY"] == TEST_SECRETS["AIRFLOW_FERNET_KEY"], name
    init = services["airflow-init"]
    assert init["environment"]["NEWSMON_ADMIN_PASSWORD"] == TEST_SECRETS["NEWSMON_ADMIN_PASSWORD"]
    script = _command(init)
    assert "passwords.json" in script and ":-admin" not in COMPOSE_TEXT
    assert "test -f /opt/airflow/config/passwords.json" not in script  # a changed password takes effect


def test_ports_are_published_on_loopback_unless_the_operator_says_otherwise(compose):
    def published(services: dict) -> list[str]:
        return [str(p) for s in services.values() for p in s.get("ports", [])]

    ports = published(compose["services"])
    assert sorted(ports) == ["127.0.0.1:8025:8025", "127.0.0.1:8080:8080"]
    wide = load_compose({**TEST_SECRETS, "NEWSMON_BIND_ADDRESS": "0.0.0.0"})
    assert sorted(published(wide["services"])) == ["0.0.0.0:8025:8025", "0.0.0.0:8080:8080"]
    assert compose["services"]["airflow-apiserver"]["environment"]["AIRFLOW__API__BASE_URL"].startswith(
        "http://127.0.0.1:"
    )


def test_make_compose_env_generates_the_secrets_once(tmp_path):
    import stat
    import subprocess

    def make() -> str:
        cmd = ["make", "-s", "-f", str(ROOT / "Makefile"), "compose-env", "PY=python3"]
        return subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    assert "wrote .env" in make()
    env_file = tmp_path / ".env"
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    assert set(values) == set(SECRETS) and all(len(v) >= 24 for v in values.values())
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    import base64

    assert len(base64.urlsafe_b64decode(values["AIRFLOW_FERNET_KEY"])) == 32  # a valid Fernet key
    load_compose(values)  # the generated file is all compose needs
    before = env_file.read_text()
    assert "not overwriting" in make() and env_file.read_text() == before
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_deploy_docs_have_a_production_checklist():
    doc = (ROOT / "docs" / "deploy.md").read_text()
    checklist = doc.split("## Production checklist", 1)[1].split("\n## ", 1)[0]
    for topic in (
        "make compose-env",
        "TLS",
        "SMTP",
        "auth manager",
        "NEWSMON_ADMIN_PASSWORD",
        "Backups",
        "NEWSMON_BIND_ADDRESS",
    ):
        assert topic in checklist, topic
