"""Failure and hang notifications for every newsmon DAG (this module defines no DAG).

    from newsmon_notify import notification_args, hang_deadline

    @dag(..., default_args=default_args(**notification_args()), deadline=hang_deadline("news_ingest"))

- `notification_args()`: `on_failure_callback` for every task. It fires once a task has failed for good (after
  its retries), through the SMTP provider's `SmtpNotifier` when an SMTP connection is configured, else as an
  .eml notice in data/outbox/ (newsmon.health.failure_notice_to_outbox).
- `hang_deadline(dag_id)`: a `DeadlineAlert` that fires when a run has not finished some time after it was queued
  (the triggerer runs the callback): `SmtpNotifier` again, or the outbox notice.

"Configured" means the connection is given by environment (`AIRFLOW_CONN_SMTP_DEFAULT`, as docker-compose.yaml
does; another id with `NEWSMON_SMTP_CONN_ID`) or `NEWSMON_NOTIFY=smtp` says it lives in the metadata database.
Deciding from the environment keeps DAG parsing free of database look-ups. Recipients: `NEWSMON_ALERT_TO` or
`health.alert_to` in settings.yaml.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

SMTP_NOTIFIER = "airflow.providers.smtp.notifications.smtp.SmtpNotifier"
OUTBOX_DEADLINE_CALLBACK = "newsmon.health.deadline_notice_to_outbox"
# How long after being queued a run counts as hung; NEWSMON_HANG_MINUTES_<DAG_ID> overrides.
HANG_MINUTES = {"news_ingest": 45, "news_daily": 60, "news_digest": 30}
DEFAULT_HANG_MINUTES = 60
FAILURE_SUBJECT = "[newsmon] {{ ti.dag_id }}.{{ ti.task_id }} failed (run {{ ti.run_id }})"
# The error as a person reads it: its message with its line breaks (a <pre> block), escaped, never a repr.
FAILURE_HTML = (
    "<p>Task <b>{{ ti.task_id }}</b> of DAG <b>{{ ti.dag_id }}</b> failed after its retries "
    "(run {{ ti.run_id }}, try {{ ti.try_number }}, host {{ ti.hostname }}).</p>"
    '<pre style="white-space:pre-wrap;font-family:monospace">{{ exception | string | e }}</pre>'
    '<p>Log: <a href="{{ ti.log_url }}">{{ ti.log_url }}</a></p>'
)


def smtp_conn_id(env=None) -> str:
    env = os.environ if env is None else env
    return env.get("NEWSMON_SMTP_CONN_ID") or "smtp_default"


def smtp_configured(env=None) -> bool:
    env = os.environ if env is None else env
    mode = env.get("NEWSMON_NOTIFY", "auto").strip().lower()
    if mode in ("smtp", "on"):
        return True
    if mode in ("outbox", "off"):
        return False
    return bool(env.get(f"AIRFLOW_CONN_{smtp_conn_id(env).upper()}"))


def operators(env=None) -> list[str]:
    from newsmon.health import HealthSettings

    env = os.environ if env is None else env
    raw = env.get("NEWSMON_ALERT_TO")
    if raw is not None:
        return [a.strip() for a in raw.split(",") if a.strip()]
    return HealthSettings.from_settings().alert_to or ["operators@localhost"]


def _sender(env) -> str:
    from newsmon.health import HealthSettings

    return env.get("NEWSMON_SMTP_FROM") or HealthSettings.from_settings().alert_from


def failure_callbacks(env=None) -> list:
    env = os.environ if env is None else env
    if not smtp_configured(env):
        from newsmon.health import failure_notice_to_outbox

        return [failure_notice_to_outbox]
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return [
        SmtpNotifier(
            to=operators(env),
            from_email=_sender(env),
            subject=FAILURE_SUBJECT,
            html_content=FAILURE_HTML,
            smtp_conn_id=smtp_conn_id(env),
        )
    ]


def notification_args(env=None) -> dict:
    """Merge into a DAG's default_args: notify operators when a task has failed after its retries."""
    return {"on_failure_callback": failure_callbacks(env)}


def hang_minutes(dag_id: str, env=None) -> float:
    env = os.environ if env is None else env
    raw = env.get(f"NEWSMON_HANG_MINUTES_{dag_id.upper()}")
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(
                f"NEWSMON_HANG_MINUTES_{dag_id.upper()}={raw!r} is not a number of minutes"
            ) from None
    return HANG_MINUTES.get(dag_id, DEFAULT_HANG_MINUTES)


def hang_deadline(dag_id: str, env=None) -> DeadlineAlert | None:
    """A deadline alert for runs of `dag_id` that have not finished in time after being queued.

    NEWSMON_HANG_DEADLINES=0 leaves it out: Airflow 3.3.2's in-process `dag.test()` cannot finish a run of a
    DAG with deadlines (it looks the alerts up by id before the DAG is stored), so the test suite turns them off
    for dag.test() runs; the scheduler path (standalone, Celery) keeps them.
    """
    env = os.environ if env is None else env
    if env.get("NEWSMON_HANG_DEADLINES", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    minutes = hang_minutes(dag_id, env)
    if smtp_configured(env):
        callback = AsyncCallback(
            SMTP_NOTIFIER,
            kwargs={
                "to": operators(env),
                "from_email": _sender(env),
                "smtp_conn_id": smtp_conn_id(env),
                "subject": f"[newsmon] {dag_id} run still not finished after {minutes:g} minutes",
                "html_content": (
                    f"<p>A <b>{dag_id}</b> run was queued more than {minutes:g} minutes ago and has not finished.</p>"
                    "<p>Look for a task stuck in running or queued in the Airflow UI: a hung fetch, a worker that "
                    "died, or the warehouse lock held by another process.</p>"
                ),
            },
        )
    else:
        callback = AsyncCallback(OUTBOX_DEADLINE_CALLBACK, kwargs={"dag_id": dag_id, "minutes": minutes})
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=minutes),
        callback=callback,
        name=f"{dag_id} hung",
    )
