"""news_digest: the daily digest email for the last complete UTC day, sent once per recipient."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, Param, dag, task
from newsmon_common import DAILY_ASSET, START_DATE, TAGS, WAREHOUSE_QUEUE, default_args
from newsmon_notify import hang_deadline

DOC = """
### news_digest

Runs whenever `news_daily` publishes the daily aggregates (Asset `newsmon_daily`). It builds the digest of the
last complete day (UTC yesterday relative to the run) from `data/newsmon.duckdb` and sends it to every recipient
who has not had it yet: the ledger `digest_ledger` in the warehouse is keyed by day and recipient and written only
after the SMTP server accepted the message, so the many runs of a day, a retry or a rerun never send twice.

| setting | where |
|---|---|
| recipients | Airflow Variable `newsmon_digest_to` (comma-separated), else `NEWSMON_DIGEST_TO`, else `digest: {to: [...]}` in settings.yaml |
| SMTP server | Airflow connection `smtp_default` (extras `from_email`, `disable_ssl`, `disable_tls`, `timeout` as in the SMTP provider), else `NEWSMON_SMTP_HOST`/`PORT`/`USER`/`PASSWORD`/`FROM` |
| no SMTP server | the message is written as a `.eml` file into `data/outbox/`; the task log says where |

Trigger with config `{"day": "YYYY-MM-DD"}` to send the digest of another day (to whoever has not had it).

When it fails: the log names each recipient the server refused and why; those already served are in the ledger
and a retry (exponential backoff) sends to the rest only. `newsmon digest --date D --force` resends by hand,
`newsmon digest --date D --preview digest.html` shows it in a browser.
"""

SMTP_CONN_ID = "smtp_default"
RECIPIENTS_VARIABLE = "newsmon_digest_to"


def _smtp_from_connection() -> dict | None:
    """The `smtp_default` connection as plain settings, read the way the SMTP provider reads it; None if absent."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(SMTP_CONN_ID)
    except AirflowNotFoundException:
        return None
    if not conn.host:
        return None
    extra = conn.extra_dejson
    use_ssl = not bool(extra.get("disable_ssl", False))
    return {
        "host": conn.host,
        "port": conn.port,
        "login": conn.login,
        "password": conn.password,
        "from": extra.get("from_email"),
        "ssl": use_ssl,
        "starttls": not use_ssl and not bool(extra.get("disable_tls", False)),
        "timeout": extra.get("timeout", 30),
    }


@dag(
    dag_id="news_digest",
    schedule=[Asset(DAILY_ASSET)],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=hang_deadline("news_digest"),
    tags=TAGS,
    doc_md=DOC,
    params={
        "day": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-\d{2}-\d{2}$",
            description="The day to send (YYYY-MM-DD); empty: the last complete UTC day",
        )
    },
)
def news_digest():
    # On the warehouse queue: the ledger lives in the warehouse, which only that worker's disk holds.
    @task(queue=WAREHOUSE_QUEUE, execution_timeout=timedelta(minutes=15))
    def send(**context) -> dict:
        from airflow.sdk import Variable
        from airflow.sdk.exceptions import AirflowSkipException
        from newsmon.config import paths
        from newsmon.digest import anything_ingested, parse_day, send_digest, yesterday_utc

        chosen = context["params"].get("day")
        if not chosen and not anything_ingested(paths().analyst_db):
            # A new install: the daily job ran on its clock before the first ingest published anything.
            raise AirflowSkipException("nothing ingested yet; the digest waits for the first articles")
        day = parse_day(chosen) if chosen else yesterday_utc(context["dag_run"].run_after)
        recipients = Variable.get(RECIPIENTS_VARIABLE, default=None)
        report = send_digest(paths(), day, recipients=recipients or None, smtp=_smtp_from_connection())
        return report.as_dict()

    send()


news_digest()
