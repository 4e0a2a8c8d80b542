"""The digest over the real pipeline: warehouse + aggregates + publish, and the news_digest DAG under dag.test()."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers_digest import SPIKE_HEADLINE, SmtpServer, fill, make_corpus
from newsmon.aggregates import run_daily
from newsmon.config import paths
from newsmon.digest import build_digest
from newsmon.warehouse import open_warehouse

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 27)


def warehouse_with_corpus(data_dir: Path, end_day: date, **corpus_args):
    """Load the synthetic corpus into a real warehouse, run the real daily aggregates and publish."""
    p = paths(data_dir).ensure()
    corpus, articles = make_corpus(end_day, **corpus_args)
    with open_warehouse(p) as con:
        fill(con, articles, end_day)
    run_daily(p, days=sorted({a["day"] for a in articles}) or [end_day], today=end_day + timedelta(days=1))
    return p, corpus


@pytest.fixture(scope="module")
def spike_warehouse(tmp_path_factory) -> Path:
    """The data folder of `warehouse_with_corpus(..., DAY, history_days=35)`, built once for the module: each
    test takes a copy (`copy_of_spike_warehouse`)."""
    data = tmp_path_factory.mktemp("spike") / "data"
    warehouse_with_corpus(data, DAY, history_days=35)
    return data


def copy_of_spike_warehouse(spike_warehouse: Path, data_dir: Path):
    shutil.copytree(spike_warehouse, data_dir)
    return paths(data_dir)


def test_digest_reads_the_real_daily_tables(tmp_path, spike_warehouse):
    p = copy_of_spike_warehouse(spike_warehouse, tmp_path / "data")
    d = build_digest(p.analyst_db, DAY)
    assert d.facts["main"] == "CN-RU" and d.facts["main_kind"] == "spike"
    assert d.subject.startswith("China-Russia co-mentions ") and "28-day mean" in d.subject
    cn_ru = next(f for f in d.facts["pairs"] if f["key"] == "CN-RU")
    assert cn_ru["stories"] == 11 and cn_ru["z_28d"] >= 3
    assert d.facts["stories"]["CN-RU"][0]["headline"] == SPIKE_HEADLINE
    # the day before the spike is an ordinary day under the real spike rule
    assert build_digest(p.analyst_db, DAY - timedelta(days=1)).facts["spikes"] == []


def test_digest_of_a_day_the_aggregates_never_saw(tmp_path):
    p, _ = warehouse_with_corpus(tmp_path / "data", DAY, history_days=20, spike=False)
    d = build_digest(p.analyst_db, DAY + timedelta(days=5))
    assert d.facts["main_kind"] == "empty" and d.subject.startswith("No articles collected")
    china = next(f for f in d.facts["countries"] if f["key"] == "CN")
    assert china["stories"] == 0 and china["mean_28d"] > 0  # baseline still shown from the days before


@pytest.fixture
def airflow_smtp(monkeypatch, airflow_db):
    """A real SMTP server, made the Airflow `smtp_default` connection (plain SMTP, as the provider reads it)."""
    with SmtpServer() as server:
        conn = {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": server.port,
            "extra": {
                "from_email": "newsmon <digest@newsmon.test>",
                "disable_ssl": True,
                "disable_tls": True,
            },
        }
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(conn))
        monkeypatch.setenv("AIRFLOW_VAR_NEWSMON_DIGEST_TO", "reader@example.org, analyst@example.org")
        monkeypatch.delenv("NEWSMON_SMTP_HOST", raising=False)
        monkeypatch.delenv("NEWSMON_DIGEST_TO", raising=False)
        yield server


def digest_dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "news_digest.py"))
    assert bag.import_errors == {}
    return bag.get_dag("news_digest")


def test_dag_shape(airflow_db):
    dag = digest_dag()
    assert [a.name for a in dag.timetable.asset_condition.objects] == ["newsmon_daily"]
    send = dag.get_task("send")
    assert send.retries >= 2 and send.retry_exponential_backoff
    assert "smtp_default" in dag.doc_md and "newsmon_digest_to" in dag.doc_md


@pytest.mark.slow
def test_dag_sends_yesterday_once_through_the_smtp_connection(airflow_smtp, data_dir, spike_warehouse):
    p = copy_of_spike_warehouse(spike_warehouse, data_dir)
    run_after = datetime.combine(DAY + timedelta(days=1), time(0, 40), tzinfo=UTC)
    dag = digest_dag()
    run = dag.test(run_after=run_after)
    assert str(run.state).endswith("success"), run.state
    received = airflow_smtp.handler.messages
    assert sorted(r[0][0] for r in received) == ["analyst@example.org", "reader@example.org"]
    for _, msg in received:
        assert msg["Subject"].startswith("China-Russia co-mentions ")
        assert msg["From"] == "newsmon <digest@newsmon.test>"
        assert msg.get_content_type() == "multipart/alternative"
    # a second run of the same day (the asset fires after every ingest) sends nothing more
    run = dag.test(run_after=run_after + timedelta(hours=1))
    assert str(run.state).endswith("success"), run.state
    assert len(airflow_smtp.handler.messages) == 2
    con = duckdb.connect(str(p.warehouse), read_only=True)
    try:
        rows = con.execute("SELECT day, status FROM digest_ledger ORDER BY recipient").fetchall()
    finally:
        con.close()
    assert rows == [(DAY, "sent"), (DAY, "sent")]


@pytest.mark.slow
def test_dag_skips_before_the_first_ingest_and_sends_nothing(airflow_smtp, data_dir):
    # A new install: news_daily ran on its clock before any ingest, and its Asset event triggers the digest.
    # (its own run_after: dag.test() names the run after it, and the session shares one Airflow database)
    run = digest_dag().test(run_after=datetime.combine(DAY + timedelta(days=1), time(5, 55), tzinfo=UTC))
    states = [str(ti.state).lower() for ti in run.get_task_instances()]
    assert states and all(s.endswith("skipped") for s in states), states
    assert airflow_smtp.handler.messages == []
    assert not (data_dir / "outbox").exists() or not any((data_dir / "outbox").iterdir())


@pytest.mark.slow
def test_end_to_end_over_the_demo_corpus(airflow_smtp, demo_ingest, monkeypatch):
    """news_ingest -> news_daily -> news_digest, each under dag.test(), over the demo sites on loopback (news_ingest
    is conftest's `demo_ingest`, the run test_dags checks); the digest of the demo's spike day reaches the SMTP
    server and names the China-Russia summit spike."""
    for key, value in demo_ingest.env.items():
        monkeypatch.setenv(key, value)
    bag, data_dir = demo_ingest.bag, demo_ingest.data_dir
    assert str(demo_ingest.run.state).endswith("success"), ("news_ingest", demo_ingest.run.state)
    run = bag.get_dag("news_daily").test()
    assert str(run.state).endswith("success"), ("news_daily", run.state)
    spike_day = demo_ingest.corpus.spike_day
    run = bag.get_dag("news_digest").test(run_conf={"day": spike_day.isoformat()})
    assert str(run.state).endswith("success"), run.state

    received = airflow_smtp.handler.messages
    assert sorted(r[0][0] for r in received) == ["analyst@example.org", "reader@example.org"]
    _, msg = received[0]
    subject = msg["Subject"]
    con = duckdb.connect(str(data_dir / "newsmon.duckdb"), read_only=True)
    try:
        days = con.execute("SELECT day, articles, stories FROM daily_total ORDER BY day").fetchall()
    finally:
        con.close()
    assert any(d == spike_day and n > 0 for d, n, _ in days), (spike_day, days)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_maintype() == "image"]
    assert len(images) == 1 and f'src="cid:{images[0]["Content-ID"].strip("<>")}"' in html
    # the planted summit: China and Russia together, a spike against the days before
    assert re.search(
        r"(China-Russia co-mentions|Stories on (China|Russia)) \d+\.\dx their \d+-day mean", subject
    )
    assert "spike" in text.lower() and "SPIKE" in html
    for body in (text, html):
        assert "Spike: China-Russia co-mentions" in body or "SPIKE: CHINA-RUSSIA CO-MENTIONS" in body
    # rerun of that day: the ledger holds both recipients, nothing more is sent
    run = bag.get_dag("news_digest").test(run_conf={"day": spike_day.isoformat()})
    assert str(run.state).endswith("success") and len(airflow_smtp.handler.messages) == 2
