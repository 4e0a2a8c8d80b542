"""Failure and hang notifications for the DAGs (dags/newsmon_notify.py): a real Airflow run and a real SMTP server."""

from __future__ import annotations

import asyncio
import email

import newsmon_notify as notify
import pytest
from helpers_smtp import smtp_inbox

ROOT_ENV = {"NEWSMON_ALERT_TO": "ops@example.org", "NEWSMON_SMTP_FROM": "newsmon@example.org"}


@pytest.fixture
def smtp_env(monkeypatch):
    """An SMTP connection given by environment, as docker-compose.yaml does, pointing at aiosmtpd."""
    with smtp_inbox() as (inbox, port):
        env = {
            **ROOT_ENV,
            "AIRFLOW_CONN_SMTP_DEFAULT": f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true&timeout=10",
        }
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        yield inbox, env


@pytest.fixture
def outbox_env(monkeypatch, data_dir):
    for k, v in {**ROOT_ENV, "NEWSMON_NOTIFY": "outbox"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    return data_dir / "outbox"


def test_configuration_is_read_from_the_environment():
    assert not notify.smtp_configured({})
    assert notify.smtp_configured({"AIRFLOW_CONN_SMTP_DEFAULT": "smtp://mailpit:1025"})
    assert notify.smtp_configured({"NEWSMON_NOTIFY": "smtp"})
    assert not notify.smtp_configured({"NEWSMON_NOTIFY": "off", "AIRFLOW_CONN_SMTP_DEFAULT": "smtp://x"})
    assert notify.smtp_configured({"NEWSMON_SMTP_CONN_ID": "mail", "AIRFLOW_CONN_MAIL": "smtp://x"})
    assert notify.hang_minutes("news_ingest", {}) == 45
    assert notify.hang_minutes("news_ingest", {"NEWSMON_HANG_MINUTES_NEWS_INGEST": "90"}) == 90
    with pytest.raises(ValueError, match="NEWSMON_HANG_MINUTES_NEWS_DAILY"):
        notify.hang_minutes("news_daily", {"NEWSMON_HANG_MINUTES_NEWS_DAILY": "soon"})


FAILING_DAG = """
from datetime import datetime

from airflow.sdk import dag, task
from newsmon_common import default_args
from newsmon_notify import hang_deadline, notification_args


@dag(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    default_args=default_args(retries=0, **notification_args()),
    deadline=hang_deadline("news_ingest"),
)
def failing():
    @task
    def broken():
        raise RuntimeError("the feed list is unreadable")

    broken()


failing()
"""


def _failing_dag(dag_id: str, tmp_path, monkeypatch):
    """A DAG that fails, in a bundle of its own (dag.test() runs only DAGs that a bundle holds)."""
    import json

    from airflow.dag_processing.dagbag import DagBag

    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / f"{dag_id}.py").write_text(FAILING_DAG.format(dag_id=dag_id))
    local = "airflow.dag_processing.bundles.local.LocalDagBundle"
    bundles = [
        {"name": "dags-folder", "classpath": local, "kwargs": {}},
        {"name": f"test-{dag_id}", "classpath": local, "kwargs": {"path": str(folder)}},
    ]
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps(bundles))
    bag = DagBag(dag_folder=str(folder))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


@pytest.mark.slow
def test_task_failure_mails_operators_through_smtp_notifier(airflow_db, smtp_env, tmp_path, monkeypatch):
    inbox, _ = smtp_env
    run = _failing_dag("newsmon_notify_smtp", tmp_path, monkeypatch).test()
    assert run.state == "failed"
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["Subject"].startswith("[newsmon] newsmon_notify_smtp.broken failed")
    assert msg["To"] == "ops@example.org" and msg["From"] == "newsmon@example.org"
    body = next(part for part in msg.walk() if part.get_content_type() == "text/html").get_payload(
        decode=True
    )
    body = body.decode()
    assert "<pre" in body and "the feed list is unreadable" in body and "RuntimeError(" not in body


@pytest.mark.slow
def test_task_failure_without_smtp_goes_to_the_outbox(airflow_db, outbox_env, tmp_path, monkeypatch):
    run = _failing_dag("newsmon_notify_outbox", tmp_path, monkeypatch).test()
    assert run.state == "failed"
    files = list(outbox_env.glob("alert-*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["Subject"].startswith("[newsmon] newsmon_notify_outbox.broken failed")
    assert "the feed list is unreadable" in msg.get_payload()


def _run_callback_trigger(callback) -> dict:
    """Run a deadline callback the way the triggerer does (CallbackTrigger), and return its final event."""
    from airflow.triggers.callback import CallbackTrigger

    data = callback.serialize()

    async def run():
        events = [e async for e in CallbackTrigger(data["path"], dict(data["kwargs"])).run()]
        return events[-1].payload

    return asyncio.run(run())


def test_deadline_alert_mails_through_the_triggerer_path(smtp_env):
    inbox, env = smtp_env
    alert = notify.hang_deadline("news_daily", env)
    assert alert.interval.total_seconds() == 3600
    payload = _run_callback_trigger(alert.callback)
    assert payload["state"] == "success", payload
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "[newsmon] news_daily run still not finished after 60 minutes"


def test_deadline_alert_without_smtp_writes_the_outbox(outbox_env):
    alert = notify.hang_deadline("news_digest", {"NEWSMON_NOTIFY": "outbox"})
    payload = _run_callback_trigger(alert.callback)
    assert payload["state"] == "success", payload
    files = list(outbox_env.glob("alert-*.eml"))
    assert len(files) == 1
    assert "news_digest run still not finished after 30 minutes" in files[0].read_text()


def test_dag_with_notifications_serializes(airflow_db, smtp_env, tmp_path, monkeypatch):
    from airflow.serialization.serialized_objects import DagSerialization

    monkeypatch.setenv("NEWSMON_HANG_DEADLINES", "1")  # conftest turns them off for dag.test() runs
    data = DagSerialization.to_dict(_failing_dag("newsmon_notify_serialized", tmp_path, monkeypatch))
    assert "deadline" in str(data) and "SmtpNotifier" in str(data)
