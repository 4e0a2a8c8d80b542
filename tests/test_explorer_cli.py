"""The command-line findings of issue 15, each through the real `newsmon` entry point on real files."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from newsmon.cli import main
from newsmon.config import Paths

D0 = date(2026, 1, 1)


@pytest.fixture
def corpus(tmp_path, monkeypatch) -> Paths:
    """Ten days of CN stories, one CN-RU story a day, with a long title; published for analysts."""
    paths = Paths(tmp_path / "data")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(paths.data_dir))
    con = warehouse_connection(paths)
    docs = []
    for i in range(10):
        d = D0 + timedelta(days=i)
        docs.append(Doc(f"cn{i}", d, countries={"CN": 1}, title="A headline " + "long " * 30 + "end"))
        docs.append(Doc(f"pair{i}", d, countries={"CN": 1, "RU": 1}, sentence=("CN-RU",)))
    insert_docs(con, docs)
    con.close()
    assert main(["daily", "--start", str(D0), "--end", str(D0 + timedelta(days=9))]) == 0
    return paths


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("sql", ["", "   ", "-- hi", ";", "/* nothing */ ;"])
def test_query_without_a_statement_is_one_line(corpus, capsys, sql):
    code, out, err = run(capsys, "query", sql)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no SQL statement" in err and "Traceback" not in err


def test_trends_refuses_unknown_keys_and_names_the_known_ones(corpus, capsys):
    code, out, err = run(capsys, "trends", "--pair", "CN-XX")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "CN-XX" in err and "known: CN-RU" in err
    code, out, err = run(capsys, "trends", "--country", "ZZ")
    assert code == 2 and err.count("\n") == 1 and "known: CN, RU, US" in err


def test_reversed_pairs_are_the_same_pair_in_trends_and_in_the_series_macro(corpus, capsys):
    code, forward, err = run(capsys, "trends", "--pair", "CN-RU", "--days", "10")
    assert code == 0, err
    code, reversed_, err = run(capsys, "trends", "--pair", "ru-cn", "--days", "10")
    assert code == 0, err
    assert reversed_ == forward and "CN-RU" in reversed_
    sql = "SELECT sum(stories) FROM series('{}', DATE '2026-01-01', DATE '2026-01-10')"
    _, a, _ = run(capsys, "query", "--csv", sql.format("CN-RU"))
    _, b, _ = run(capsys, "query", "--csv", sql.format("RU-CN"))
    assert a.splitlines()[1] == "10" and b == a


def test_query_cuts_cells_unless_wide(corpus, capsys):
    sql = "SELECT title FROM articles WHERE article_id = 'cn0'"
    _, narrow, _ = run(capsys, "query", sql)
    _, wide, _ = run(capsys, "query", "--wide", sql)
    assert "…" in narrow and "end" not in narrow
    assert "long " * 30 + "end" in wide


def test_help_speaks_to_users(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "mentions of China, Russia and the United States" in out
    assert "newsmon query" in out and "Argument parsing only" not in out


def test_digest_refuses_a_future_day_and_warns_for_today(corpus, capsys, tmp_path):
    future = (datetime.now(UTC) + timedelta(days=3)).date()
    code, out, err = run(capsys, "digest", "--date", str(future), "--preview", str(tmp_path / "d.html"))
    assert code == 2 and "in the future" in err and err.count("\n") == 1
    assert not (tmp_path / "d.html").exists()
    today = datetime.now(UTC).date()
    code, out, err = run(capsys, "digest", "--date", str(today), "--preview", str(tmp_path / "t.html"))
    assert code == 0 and "not over yet" in err


def _write_feeds(path, names):
    lines = ["feeds:"] + [f"  - name: {n}\n    url: http://127.0.0.1:9/{n}.xml" for n in names]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_feeds_reports_on_the_list_the_last_run_used(tmp_path, monkeypatch, capsys):
    from newsmon.feedlist import record_feed_list
    from newsmon.feeds import FeedStateStore

    paths = Paths(tmp_path / "data").ensure()
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(paths.data_dir))
    monkeypatch.delenv("NEWSMON_FEEDS", raising=False)
    old, demo = tmp_path / "old.yaml", tmp_path / "demo.yaml"
    _write_feeds(old, ["Gone Feed"])
    _write_feeds(demo, ["Demo One", "Demo Two"])
    from newsmon.config import load_feeds

    store = FeedStateStore(paths.state / "feeds")
    for feed in load_feeds(old) + load_feeds(demo):  # both lists left state behind
        state = store.load(feed)
        state.last_status = "ok"
        store.save(state)
    record_feed_list(paths, demo, load_feeds(demo))

    code, out, err = run(capsys, "feeds")
    assert code == 0, err
    assert str(demo.resolve()) in out and "Demo One" in out and "Demo Two" in out
    assert "Gone Feed" not in out and "never fetched" not in out
    assert "1 feed(s) with saved state are not in this list" in out
    code, out, _ = run(capsys, "feeds", "--all")
    assert "Gone Feed (not in list)" in out
    code, out, _ = run(capsys, "feeds", "--json")
    assert [r["feed"] for r in json.loads(out)] == ["Demo One", "Demo Two"]


def test_shard_log_has_a_table_of_feed_errors():
    from newsmon.pipeline import feed_errors_table

    log = [
        {"feed": "Good", "status": "ok", "http_status": 200, "error": None},
        {"feed": "Broken", "status": "failed", "http_status": 503, "error": "HTTP 503\nService Unavailable"},
        {"feed": "Refused", "status": "failed", "http_status": None, "error": "ConnectionRefusedError: no"},
    ]
    table = feed_errors_table(log).splitlines()
    assert table[0].split() == ["feed", "status", "http", "error"]
    assert any(
        line.startswith("Broken") and "503" in line and "HTTP 503 Service Unavailable" in line
        for line in table
    )
    assert any(line.startswith("Refused") for line in table) and not any("Good" in line for line in table)
    assert feed_errors_table(log[:1]) == ""


def test_failure_notice_reads_as_text_not_a_repr(tmp_path, monkeypatch):
    from newsmon.health import failure_notice_to_outbox

    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path / "data"))
    ti = SimpleNamespace(dag_id="news_ingest", task_id="quality_gates", run_id="r1", try_number=1, log_url="")
    error = RuntimeError("2 quality gates failed:\n- no articles\n- mojibake in 40% of titles")
    target = failure_notice_to_outbox({"ti": ti, "exception": error})
    with open(target, "rb") as fh:
        body = BytesParser(policy=policy.default).parse(fh).get_content()
    assert "RuntimeError: 2 quality gates failed:\n- no articles\n- mojibake" in body
    assert "\\n" not in body and "RuntimeError(" not in body
