"""An analyst's open sessions never make the pipeline fail or wait, and the pipeline never breaks a query.

Three processes: the pipeline (stage -> load -> publish -> daily aggregates -> publish, several rounds), an analyst
who keeps one read-only session open the whole time and queries it in a loop, and an analyst who opens a fresh
session for every query. (Two analysts, because DuckDB shares one database instance per file within a process:
while any connection of a process is open, a new `connect` in that process sees the same snapshot.)
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

ROUNDS = 4
PER_ROUND = 30
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def _articles(round_no: int):
    from newsmon.models import Article, Mention

    out = []
    for i in range(PER_ROUND):
        aid = f"r{round_no:02d}a{i:04d}"
        published = T0 + timedelta(days=(round_no * PER_ROUND + i) % 10, minutes=i)
        text = f"Officials in Beijing and Moscow met on day {i}."
        out.append(
            Article(
                article_id=aid,
                url=f"https://outlet{i % 5}.example/{aid}",
                canonical_url=f"https://outlet{i % 5}.example/{aid}",
                guid=aid,
                feed=f"feed{i % 5}",
                source=f"Outlet {i % 5}",
                title=f"Story {aid}",
                text=text,
                text_source="page",
                published_at=published,
                published_from="page",
                fetched_at=published + timedelta(hours=1),
                content_hash=aid,
                simhash=(round_no << 40) + (i << 20) + i * 7919,
                mentions=[
                    Mention("CN", 13, 20, "Beijing", "capital", "lead", 0, 0, "Beijing", text),
                    Mention("RU", 25, 31, "Moscow", "capital", "lead", 0, 0, "Moscow", text),
                ],
                countries={
                    "CN": {"mentions": 1, "salience": 0.5, "about": True},
                    "RU": {"mentions": 1, "salience": 0.5, "about": False},
                },
                pairs={"sentence": ["CN-RU"], "paragraph": ["CN-RU"], "article": ["CN-RU"]},
            )
        )
    return out


def ingest_and_aggregate(data_dir: str, round_no: int) -> None:
    from newsmon.aggregates import run_daily
    from newsmon.config import Paths
    from newsmon.warehouse import load_pending, publish, stage_batch

    paths = Paths(Path(data_dir)).ensure()
    batch = stage_batch(paths.staging, f"round-{round_no:02d}", _articles(round_no))
    load_pending(paths, [batch])
    publish(paths)
    run_daily(paths, today=T0.date() + timedelta(days=10))


def _pipeline(data_dir: str, start_round: int, results) -> None:
    try:
        timings = []
        for r in range(start_round, ROUNDS):
            started = time.monotonic()
            ingest_and_aggregate(data_dir, r)
            timings.append(time.monotonic() - started)
            time.sleep(0.5)  # let the analysts query each published state
        results.put(("pipeline", {"ok": True, "timings": timings}))
    except Exception:
        results.put(("pipeline", {"ok": False, "error": traceback.format_exc()}))


def _long_session(db: str, stop, ready, results) -> None:
    seen, errors, queries = set(), [], 0
    try:
        con = duckdb.connect(db, read_only=True)
        while not stop.is_set():
            try:
                n = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
                con.execute("SELECT * FROM series('CN', '2026-02-01', '2026-02-10')").fetchall()
                seen.add(n)
                queries += 1
                ready.set()
            except Exception as exc:  # recorded, and the loop goes on: we want every failure
                errors.append(repr(exc))
            time.sleep(0.01)
        con.close()
    except Exception:
        errors.append(traceback.format_exc())
    results.put(("long", {"seen": sorted(seen), "errors": errors, "queries": queries}))


def _fresh_sessions(db: str, stop, ready, results) -> None:
    seen, errors, queries = [], [], 0
    while not stop.is_set():
        try:
            con = duckdb.connect(db, read_only=True)
            try:
                n = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
                stories = con.execute(
                    "SELECT coalesce(sum(stories), 0) FROM daily_country WHERE country = 'CN'"
                ).fetchall()[0][0]
            finally:
                con.close()
            if not seen or seen[-1] != (n, stories):
                seen.append((n, stories))
            queries += 1
            ready.set()
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    results.put(("fresh", {"seen": seen, "errors": errors, "queries": queries}))


def test_open_analyst_sessions_never_block_or_break_the_pipeline(tmp_path):
    data_dir = tmp_path / "data"
    ingest_and_aggregate(str(data_dir), 0)  # the analyst database exists before the analysts arrive
    db = str(data_dir / "newsmon.duckdb")

    ctx = multiprocessing.get_context("spawn")
    results, stop = ctx.Queue(), ctx.Event()
    ready = [ctx.Event(), ctx.Event()]
    analysts = [
        ctx.Process(target=_long_session, args=(db, stop, ready[0], results)),
        ctx.Process(target=_fresh_sessions, args=(db, stop, ready[1], results)),
    ]
    for p in analysts:
        p.start()
    # both analysts are connected and have queried before the pipeline starts
    if not all(event.wait(timeout=120) for event in ready):
        stop.set()
        for p in analysts:
            p.join(timeout=30)
        pytest.fail("an analyst process did not start querying within 2 minutes")
    time.sleep(0.3)
    pipeline = ctx.Process(target=_pipeline, args=(str(data_dir), 1, results))
    pipeline.start()
    pipeline.join(timeout=240)
    time.sleep(1.0)  # one more look at the final state
    stop.set()
    for p in analysts:
        p.join(timeout=30)
    got = dict(results.get(timeout=10) for _ in range(3))

    assert got["pipeline"]["ok"], got["pipeline"].get("error")
    assert pipeline.exitcode == 0
    long, fresh = got["long"], got["fresh"]
    assert long["errors"] == [] and fresh["errors"] == []
    # the open session kept its consistent snapshot throughout: the first round's articles only
    assert long["seen"] == [PER_ROUND] and long["queries"] > 20
    # new sessions moved on to each publish, never a half-written one: counts only grow, and end complete
    counts = [n for n, _ in fresh["seen"]]
    assert counts == sorted(counts) and counts[0] == PER_ROUND
    assert fresh["seen"][-1] == (ROUNDS * PER_ROUND, ROUNDS * PER_ROUND)
    assert len(fresh["seen"]) >= 3 and fresh["queries"] > 20
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM daily_total").fetchall()[0][0] == 10
    finally:
        con.close()
