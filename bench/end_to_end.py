"""End to end: a simulated news day through fetch, extract, clean, tag, stage, dedupe, load, aggregate and digest.

A SynthDay (bench/synth.py: 20,000 articles from 300 feeds by default, on loopback hosts 127.0.0.x) goes through
the pipeline's public functions, each stage in its own process as Airflow would run it:

    fetch     plan_shards -> fetch_shard per shard in parallel worker processes (feeds, pages, extract, clean,
              tag, hash, stage Parquet); the CPU seconds of each step inside are measured per thread
    load      load_and_publish (dedupe against the warehouse, insert, publish the analyst database)
    daily     aggregates.run_daily (daily tables, baselines, publish)
    digest    digest.send_digest to an outbox (build_digest: facts, chart, HTML and text)

Wall time and peak memory (the resident set of the stage's whole process tree, sampled every 50 ms) per stage.
The scale curve repeats the day at 2x and 4x the articles (and feeds, so each feed keeps ~67 items).

The baseline is the pipeline a user would otherwise write: one process, one article after another,
`feedparser.parse(url)`, `requests.get(page)`, `trafilatura.extract`, one regex per watchlist alias, a row-by-row
`executemany` into DuckDB. It is measured on a sample of the same day and extrapolated per article.

    .venv/bin/python bench/end_to_end.py [--articles 20000] [--feeds 300] [--scales 1,2,4] [--baseline-sample 6]
    .venv/bin/python bench/end_to_end.py --weight real [--scales 1,2,4]     # pages at real news pages' weight

--weight real serves every page inside generated site furniture of the size and depth of real news pages
(bench/synth.py RealChrome: ~190 KiB, ~18 levels deep, against ~10 KiB and 8 levels for the light pages) and
writes bench/results/end_to_end_real.json: the day per stage, the scale curve, memory per fetch shard, and the
page weights (bytes, depth, CPU per page in clean_page) of the light, real-weight and real (Zyte) pages.

The default (1x, 2x and 4x: 140,000 articles in all) took about 25 minutes on 2 shared cores; `--scales 1`
takes about 4. At real weight (`make bench-real-weight`: 1x, 2x, 4x and the baseline) the CPU seconds measured
(~22 ms an article in all) put it at about 35 minutes on 2 idle cores, pages rendered ahead included (~1.7 ms of
CPU a page, 2 processes); under a load average of 30 it takes hours, so run it on a quiet machine. `--baseline-sample` counts feeds (~67 articles each) of the naive baseline.

    .venv/bin/python bench/end_to_end.py --weight real --quick      # development: 2,000 articles, 1x
                                                                    # (4 min at load 28, 8-10 min at load 30-40)
    .venv/bin/python bench/end_to_end.py --weight real --quick --code ../other/include   # the same day, other code

The server renders every page ahead (SynthServer(prerender=...), outside the timed stages: a real site's CPU is
not on our machine) and then only sends bytes; its CPU during the fetch is reported (server cpu_s_during_fetch).
Each day also reports its CPU seconds in all (stages and server), which do not depend on the machine's load,
and the wall time it would take at least on idle cores (idle_core_bound_s: per stage the larger of its CPU over
the cores and its critical path), memory and CPU per fetch shard, and a digest per analyst table
(analyst_tables): two runs of the same day give the same digests, so a change that keeps them keeps what
analysts read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import re
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (str(ROOT / "include"), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

import psutil  # noqa: E402
from synth import SynthDay, SynthServer  # noqa: E402

RESULTS = BENCH / "results" / "end_to_end.json"
RESULTS_REAL = BENCH / "results" / "end_to_end_real.json"
GOAL_SECONDS = 300.0
GOAL_SECONDS_REAL = 150.0  # issue 16: the day at real page weight
GOAL_BYTES = 2 * 1024**3
HOST_SPACING = 0.02  # seconds between two requests to one host (production default: 1 s, see notes)
SAMPLE_EVERY = 0.05
MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------------- timing inside


class StepClock:
    """CPU seconds (per thread, so threads waiting on the GIL or the network do not count) and calls per step."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def wrap(self, step: str, fn, only=None):
        def timed(*args, **kwargs):
            if only is not None and not only(args, kwargs):
                return fn(*args, **kwargs)
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                with self.lock:
                    self.cpu[step] += cpu
                    self.wall[step] += wall
                    self.calls[step] += 1

        return timed

    def as_dict(self) -> dict:
        return {
            s: {"cpu_s": self.cpu[s], "thread_wall_s": self.wall[s], "calls": self.calls[s]} for s in self.cpu
        }


def _instrument(clock: StepClock) -> None:
    """Time the steps of fetch_shard through the module attributes it looks up at call time."""
    from newsmon import clean, dedupe, feeds, http, tagging, warehouse

    original_fetch_many = feeds.fetch_many

    def fetch_many(*args, **kwargs):  # threads inside: the CPU of the whole process over the call
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return original_fetch_many(*args, **kwargs)
        finally:
            with clock.lock:
                clock.cpu["feeds"] += time.process_time() - cpu
                clock.wall["feeds"] += time.perf_counter() - wall
                clock.calls["feeds"] += 1

    feeds.fetch_many = fetch_many
    http.HttpClient.get = clock.wrap(
        "page_http",
        http.HttpClient.get,
        only=lambda a, k: k.get("kind", a[2] if len(a) > 2 else "") == "page",
    )
    clean.extract_page = clock.wrap("extract", clean.extract_page)
    clean.clean_page = clock.wrap("extract_and_clean", clean.clean_page)
    clean.clean_text = clock.wrap("clean_text", clean.clean_text)  # feed-text fallback and the second look
    tagging.Tagger.tag_article = clock.wrap("tag", tagging.Tagger.tag_article)
    dedupe.simhash = clock.wrap("hash", dedupe.simhash)
    dedupe.content_hash = clock.wrap("hash", dedupe.content_hash)
    dedupe.canonical_url = clock.wrap("hash", dedupe.canonical_url)
    warehouse.stage_batch = clock.wrap("stage_parquet", warehouse.stage_batch)


def timed_fetch_shard(names: list[str], run_id: str, shard: int, feeds_file: str, data_dir: str) -> dict:
    """fetch_shard in a worker process, with its steps timed."""
    from newsmon.pipeline import fetch_shard

    clock = StepClock()
    _instrument(clock)
    cpu = time.process_time()
    report = fetch_shard(names, run_id, shard, feeds_file, data_dir)
    steps = clock.as_dict()
    cpu = time.process_time() - cpu
    # extract_and_clean includes extract; what the cleaning layers cost is the difference
    if "extract_and_clean" in steps and "extract" in steps:
        steps["clean"] = {
            "cpu_s": steps["extract_and_clean"]["cpu_s"] - steps["extract"]["cpu_s"],
            "calls": steps["extract_and_clean"]["calls"],
        }
    return {"report": report, "steps": steps, "cpu_s": cpu, "max_rss": _max_rss_self()}


def _max_rss_self() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------------------------------------------- stages


def stage_fetch(feeds_file: str, data_dir: str, workers: int) -> dict:
    """plan_shards, then fetch_shard per shard in `workers` spawned processes (as mapped tasks would)."""
    from newsmon.config import load_feeds
    from newsmon.pipeline import merge_reports, plan_shards

    run_id = "bench__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    shards = [s for s in plan_shards(load_feeds(feeds_file), workers) if s]
    with ProcessPoolExecutor(len(shards), mp_context=mp.get_context("spawn")) as pool:
        futures = [
            pool.submit(timed_fetch_shard, names, run_id, i, feeds_file, data_dir)
            for i, names in enumerate(shards)
        ]
        outs = [f.result() for f in futures]
    steps: dict[str, dict] = {}
    for out in outs:
        for step, v in out["steps"].items():
            total = steps.setdefault(step, {"cpu_s": 0.0, "calls": 0})
            total["cpu_s"] += v["cpu_s"]
            total["calls"] += v["calls"]
            if "thread_wall_s" in v:
                total["thread_wall_s"] = total.get("thread_wall_s", 0.0) + v["thread_wall_s"]
    return {
        "report": merge_reports([o["report"] for o in outs]),
        "steps": steps,
        "shards": len(shards),
        "worker_cpu_s": sum(o["cpu_s"] for o in outs),
        "worker_max_rss": max(o["max_rss"] for o in outs),
        "per_shard": [
            {
                "feeds": len(names),
                "articles": o["report"]["items"],
                "cpu_s": round(o["cpu_s"], 2),
                "max_rss_mib": round(o["max_rss"] / MIB, 1),
            }
            for names, o in zip(shards, outs, strict=True)
        ],
    }


def stage_load(batches: list[str], data_dir: str) -> dict:
    from newsmon import warehouse
    from newsmon.pipeline import load_and_publish

    clock = StepClock()
    warehouse._dedupe_and_insert_articles = clock.wrap(
        "dedupe_insert_articles", warehouse._dedupe_and_insert_articles
    )
    warehouse._story_index = clock.wrap("story_index", warehouse._story_index)
    warehouse._insert_children = clock.wrap("insert_mentions_countries", warehouse._insert_children)
    warehouse.publish = clock.wrap("publish", warehouse.publish)
    counts = load_and_publish(batches, data_dir)
    return {"report": counts, "steps": clock.as_dict()}


def stage_daily(data_dir: str) -> dict:
    from newsmon import warehouse
    from newsmon.aggregates import run_daily
    from newsmon.config import paths

    clock = StepClock()
    warehouse.publish = clock.wrap("publish", warehouse.publish)
    result = run_daily(paths(data_dir))
    return {"report": {"days": [str(d) for d in result.get("days", [])]}, "steps": clock.as_dict()}


def stage_digest(data_dir: str, day: str, outbox: str) -> dict:
    from datetime import date

    from newsmon import digest
    from newsmon.config import paths
    from newsmon.digest import send

    clock = StepClock()
    send.build_digest = clock.wrap("build_digest", send.build_digest)  # send_digest calls it from there
    report = digest.send_digest(
        paths(data_dir), date.fromisoformat(day), ["bench@example.org"], outbox=outbox
    )
    return {
        "report": {"subject": report.subject, "delivered": len(report.delivered)},
        "steps": clock.as_dict(),
    }


STAGES = {"fetch": stage_fetch, "load": stage_load, "daily": stage_daily, "digest": stage_digest}


def _stage_main(conn, name: str, args: tuple) -> None:
    started = time.perf_counter()
    out = STAGES[name](*args)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu_s"] = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    out["inner_s"] = time.perf_counter() - started
    conn.send(out)


@dataclass
class StageRun:
    name: str
    wall_s: float
    peak_rss: int  # the stage's process tree, summed
    out: dict = field(default_factory=dict)


def run_stage(name: str, *args) -> StageRun:
    """Run one stage in a fresh spawned process (imports included, like a task) and sample its tree's memory."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    started = time.perf_counter()
    proc = ctx.Process(target=_stage_main, args=(child, name, args), name=f"stage-{name}")
    proc.start()
    peak = 0
    root = psutil.Process(proc.pid)
    out = None
    while out is None:
        peak = max(peak, _tree_rss(root))
        if parent.poll(SAMPLE_EVERY):
            out = parent.recv()
        elif not proc.is_alive():
            raise RuntimeError(f"stage {name} died with exit code {proc.exitcode}")
    proc.join()
    return StageRun(name, time.perf_counter() - started, peak, out)


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


# ---------------------------------------------------------------------------------------------------- one day


def run_day(day: SynthDay, workers: int, workdir: Path) -> dict:
    """The whole day through every stage, in a fresh data folder; figures per stage."""
    data_dir = workdir / "data"
    outbox = workdir / "outbox"
    with SynthServer(day, prerender=workers, render_dir=workdir) as server:
        feeds_file = server.write_feeds_yaml(workdir / "feeds.yaml")
        before = server.stats()  # the server's CPU during the fetch only
        runs = [run_stage("fetch", str(feeds_file), str(data_dir), workers)]
        served = server.stats()
        served["cpu_s_during_fetch"] = round(served["cpu_s"] - before["cpu_s"], 2)
        served["pages_rendered_ahead_s"] = round(server.render_s, 1)
    batches = runs[0].out["report"]["batches"]
    runs.append(run_stage("load", batches, str(data_dir)))
    runs.append(run_stage("daily", str(data_dir)))
    runs.append(run_stage("digest", str(data_dir), day.day.isoformat(), str(outbox)))
    stages = {
        r.name: {
            "wall_s": round(r.wall_s, 2),
            "peak_rss_mib": round(r.peak_rss / MIB, 1),
            "cpu_s": round(r.out["cpu_s"], 2),
            "steps": {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in r.out["steps"].items()},
            "report": r.out["report"],
        }
        for r in runs
    }
    total = sum(r.wall_s for r in runs)
    fetch = runs[0].out
    from newsmon.config import paths as data_paths

    tables = analyst_fingerprint(data_paths(data_dir).analyst_db)
    return {
        "articles": day.articles,
        "feeds": day.feeds,
        "hosts": day.hosts,
        "workers": fetch["shards"],
        "wall_s": round(total, 2),
        "peak_rss_mib": round(max(r.peak_rss for r in runs) / MIB, 1),
        "articles_per_s": round(day.articles / total, 1),
        "stages": stages,
        "fetch_worker_max_rss_mib": round(fetch["worker_max_rss"] / MIB, 1),
        "fetch_shards": fetch["per_shard"],
        "server": served,
        **idle_core_bound(stages, fetch["per_shard"], served["cpu_s_during_fetch"]),
        "analyst_tables": tables,
    }


# -------------------------------------------------------------------------------------- 48 half-hour batches
#
# `--half-hours`: the day's fetched articles, as the one-batch day staged them, re-staged into one batch per
# half hour of publication time and loaded one after another (load_and_publish each, as the 30-minute ingest
# does), then the daily tables once: the total time against the one-batch day's load + daily, and the analyst
# tables must be the same (issue 12's invariant; the story ids up to renaming).

HALF_HOUR_S = 1800
ARTICLE_PARTS = ("articles", "mentions", "article_countries", "relations")  # the parts keyed by article_id


def split_half_hours(loaded: list[Path], folder: Path) -> list[str]:
    """Re-stage the rows of `loaded` batches as one batch per half hour of the articles' publication time, in
    `folder` (not yet in staging/, where the first load would take them all); the feed-level parts, which
    belong to no article, go with the first batch."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    parts = {}
    for name in (*ARTICLE_PARTS, "rejections", "feed_health", "fetch_log"):
        tables = [pq.read_table(b / f"{name}.parquet") for b in loaded if (b / f"{name}.parquet").exists()]
        tables = [t for t in tables if t.num_rows]
        parts[name] = pa.concat_tables(tables, promote_options="default") if tables else pa.table({})
    articles = parts["articles"]
    when = pc.coalesce(articles["published_at"], articles["fetched_at"]).to_pylist()
    ids_ = articles["article_id"].to_pylist()
    slot_of = {a: int(t.timestamp() // HALF_HOUR_S) for a, t in zip(ids_, when, strict=True)}
    out = []
    for n, slot in enumerate(sorted(set(slot_of.values()))):
        ids = pa.array([a for a, s in slot_of.items() if s == slot])
        batch = folder / f"halfhour-{n:02d}"
        batch.mkdir(parents=True)
        counts = {}
        for name, table in parts.items():
            if name in ARTICLE_PARTS and table.num_rows:
                table = table.filter(pc.is_in(table["article_id"], value_set=ids))
            elif n:
                table = table.slice(0, 0)
            pq.write_table(table, batch / f"{name}.parquet")
            counts[name] = table.num_rows
        (batch / "_COMPLETE").write_text(json.dumps(counts))
        out.append(str(batch))
    return out


def stage_half_hours(batches: list[str], data_dir: str) -> dict:
    from newsmon.aggregates import run_daily
    from newsmon.config import paths
    from newsmon.pipeline import load_and_publish

    clock = StepClock()
    load = clock.wrap("load_and_publish", load_and_publish)
    staging = paths(data_dir).ensure().staging
    for batch in map(Path, batches):  # each half hour's batch is staged when its run would have staged it
        os.replace(batch, staging / batch.name)
        load([str(staging / batch.name)], data_dir)
    clock.wrap("daily", run_daily)(paths(data_dir))
    return {"report": {"batches": len(batches)}, "steps": clock.as_dict()}


STAGES["half_hours"] = stage_half_hours


def analyst_tables(db: Path) -> dict:
    """What analysts read, without what depends on when or in which batch an article was loaded: the story ids
    up to renaming (as groups of article ids), fetch-time counts of daily_total."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {
            "stories": sorted(
                r[0]
                for r in con.execute(
                    "SELECT list(article_id ORDER BY article_id) FROM articles GROUP BY story_id"
                ).fetchall()
            ),
            "articles": con.execute(
                "SELECT * EXCLUDE (story_id, staged_file, loaded_at) FROM articles ORDER BY article_id"
            ).fetchall(),
        }
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'daily_%' "
                "OR table_name IN ('article_countries', 'mention_spans', 'sentences', 'relations') ORDER BY 1"
            ).fetchall()
        ]
        for table in tables:
            drop = " EXCLUDE (feeds_ok, feeds_failed)" if table == "daily_total" else ""
            out[table] = con.execute(f"SELECT *{drop} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()
    return out


_LOOPBACK_PORT = re.compile(r"(127\.0\.0\.\d+):\d+")


def analyst_fingerprint(db: Path) -> dict[str, str]:
    """A digest per analyst table (analyst_tables) that two runs of the same day share, so that code which
    changes any analyst row changes one: compare a run of the code before a change with one after (--code).

    What differs between two runs of the same code is left out: fetched_at (the run's clock) and the
    synthetic server's ports, which are in every URL, so in every article id (a hash of the canonical URL) and
    raw_html_hash (the pages link to their host): ids are replaced by their URL without the port, lists of
    them and rows sorted again, raw_html_hash left out.
    """
    import hashlib

    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        urls = dict(con.execute("SELECT article_id, canonical_url FROM articles").fetchall())
        columns = [
            d[0]
            for d in con.execute(
                "SELECT * EXCLUDE (story_id, staged_file, loaded_at) FROM articles LIMIT 0"
            ).description
        ]
    finally:
        con.close()
    ids = {a: _LOOPBACK_PORT.sub(r"\1", u) for a, u in urls.items()}

    def plain(value):
        if isinstance(value, str):
            return ids.get(value) or _LOOPBACK_PORT.sub(r"\1", value)
        if isinstance(value, list) and value and all(v in ids for v in value):
            return sorted(ids[v] for v in value)  # a story's articles, ordered by id
        if isinstance(value, list | tuple):
            return type(value)(plain(v) for v in value)
        return value

    out = {}
    for name, rows in analyst_tables(db).items():
        if name == "articles":
            drop = {columns.index("fetched_at"), columns.index("raw_html_hash")}
            rows = [tuple(v for n, v in enumerate(row) if n not in drop) for row in rows]
        rows = sorted((plain(row) for row in rows), key=repr)
        out[name] = f"{len(rows)} rows, sha256 {hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
    return out


def idle_core_bound(stages: dict, shards: list[dict], server_cpu_s: float, cores: int | None = None) -> dict:
    """What the day would take on idle cores, from CPU seconds (which do not depend on the machine's load):
    per stage the larger of its CPU (fetch: with the server's) spread over the cores and its critical path,
    which for fetch is the busiest shard (one interpreter) and for load, daily and digest, single processes
    whose work is mostly serial, their whole CPU."""
    cores = cores or os.cpu_count() or 1
    bound = {}
    for name, st in stages.items():
        cpu = st["cpu_s"] + (server_cpu_s if name == "fetch" else 0.0)
        critical = max((s["cpu_s"] for s in shards), default=0.0) if name == "fetch" else st["cpu_s"]
        bound[name] = round(max(cpu / cores, critical), 1)
    total_cpu = sum(st["cpu_s"] for st in stages.values()) + server_cpu_s
    return {
        "cpu_s": round(total_cpu, 1),
        "idle_core_bound_s": round(sum(bound.values()), 1),
        "idle_core_bound_per_stage_s": bound,
    }


def run_half_hours(workdir: Path, one_batch: dict) -> dict:
    """The one-batch day's staged articles in 48 half-hour batches through load and daily, in a fresh data
    folder holding the boilerplate memory the fetch left (the fetch itself is not repeated)."""
    import shutil

    from newsmon.config import paths

    one = paths(workdir / "data")
    split = paths(workdir / "half-hours").ensure()
    shutil.rmtree(split.state)
    shutil.copytree(one.state, split.state)  # the fetch side's memory and feed state, as the runs left them
    for leftover in ("boilerplate-revised.json", "publish-full"):
        (split.state / leftover).unlink(missing_ok=True)
    batches = split_half_hours(sorted((one.staging / "loaded").iterdir()), workdir / "half-hour-batches")
    run = run_stage("half_hours", batches, str(split.data_dir))
    want, got = analyst_tables(one.analyst_db), analyst_tables(split.analyst_db)
    same = {name: got.get(name) == rows for name, rows in want.items()}
    one_s = one_batch["stages"]["load"]["wall_s"] + one_batch["stages"]["daily"]["wall_s"]
    return {
        "batches": len(batches),
        "wall_s": round(run.wall_s, 2),
        "one_batch_load_daily_s": round(one_s, 2),
        "time_vs_one_batch": round(run.wall_s / one_s, 2),
        "steps": {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in run.out["steps"].items()},
        "same_tables": same,
    }


# ---------------------------------------------------------------------------------------------------- baseline


def baseline(day: SynthDay, sample_feeds: int, workdir: Path) -> dict:
    """The naive pipeline on the first `sample_feeds` feeds of the day, one thing after another, in this process."""
    import duckdb
    import feedparser
    import requests
    import trafilatura
    from newsmon.tagging import Tagger, load_watchlist

    # one regex per surface form, literal first as in bench/tagging.py's baseline (a word boundary checked by hand)
    surfaces = sorted(Tagger(load_watchlist())._table)
    patterns = [(a, re.compile(re.escape(a) + (r"(?!\w)" if a[-1].isalnum() else ""))) for a in surfaces]
    con = duckdb.connect(str(workdir / "baseline.duckdb"))
    con.execute("CREATE TABLE articles (url VARCHAR, title VARCHAR, text VARCHAR, published VARCHAR)")
    con.execute("CREATE TABLE mentions (url VARCHAR, alias VARCHAR, start INTEGER)")
    steps = defaultdict(float)
    articles = 0
    session = requests.Session()
    with SynthServer(day) as server:
        started = time.perf_counter()
        for f in range(min(sample_feeds, day.feeds)):
            t = time.perf_counter()
            parsed = feedparser.parse(server.feed_url(f))
            steps["feeds"] += time.perf_counter() - t
            for entry in parsed.entries:
                t = time.perf_counter()
                resp = session.get(entry.link, timeout=20)
                steps["page_http"] += time.perf_counter() - t
                t = time.perf_counter()
                text = trafilatura.extract(resp.text, url=entry.link) or entry.get("summary", "")
                steps["extract"] += time.perf_counter() - t
                t = time.perf_counter()
                found = [
                    (entry.link, a, m.start())
                    for a, rx in patterns
                    for m in rx.finditer(text)
                    if m.start() == 0 or not text[m.start() - 1].isalnum()
                ]
                steps["tag"] += time.perf_counter() - t
                t = time.perf_counter()
                con.executemany(
                    "INSERT INTO articles VALUES (?, ?, ?, ?)",
                    [(entry.link, entry.title, text, entry.get("published", ""))],
                )
                if found:
                    con.executemany("INSERT INTO mentions VALUES (?, ?, ?)", found)
                steps["load"] += time.perf_counter() - t
                articles += 1
        wall = time.perf_counter() - started
    con.close()
    return {
        "sample_articles": articles,
        "sample_wall_s": round(wall, 2),
        "aliases": len(patterns),
        "s_per_article": wall / max(1, articles),
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
    }


# ---------------------------------------------------------------------------------------------------- page weight

SHARED_PAGES = ROOT.parent / "shared" / "benchmarks" / "extraction" / "zyte_aeb"


def page_weight(day: SynthDay, sample: int = 137) -> dict | None:
    """clean_page CPU per page on real news pages (../shared/benchmarks) against the synthetic ones, in this process.

    The synthetic pages carry the demo outlets' light chrome (~9 KiB); real pages weigh ~10-20 times more
    (scripts, menus, teasers), and extraction time grows with them. None when the shared pages are absent.
    """
    import gzip

    from newsmon.clean import clean_page

    ids_file = SHARED_PAGES / "news_en_ids.txt"
    if not ids_file.exists():
        return None
    real = [
        gzip.decompress((SHARED_PAGES / "html" / f"{i}.html.gz").read_bytes())
        for i in ids_file.read_text().split()
    ]
    real = real[:sample]
    step = max(1, day.articles // sample)
    synthetic = [day.page(i, "http://127.0.0.1:8000") for i in range(0, day.articles, step)][:sample]

    def cpu_ms(pages: list[bytes]) -> float:
        clean_page(pages[0], "http://127.0.0.1:8000/warm-up", "bench", None)
        started = time.process_time()
        for n, body in enumerate(pages):
            clean_page(body, f"http://127.0.0.1:8000/p{n}", "bench", None)
        return (time.process_time() - started) / len(pages) * 1000

    return {
        "real_pages": len(real),
        "real_kib": round(sum(map(len, real)) / len(real) / 1024, 1),
        "synthetic_kib": round(sum(map(len, synthetic)) / len(synthetic) / 1024, 1),
        "real_ms": round(cpu_ms(real), 2),
        "synthetic_ms": round(cpu_ms(synthetic), 2),
    }


# ---------------------------------------------------------------------------------------------------- real weight


def weights(articles: int, feeds: int, sample: int = 137) -> dict:
    """Shape (bench/synth.py page_stats) and clean_page CPU per page of the light synthetic pages, the
    real-weight synthetic pages and the real news pages of ../shared/benchmarks (when present), in this process,
    page by page in alternation so that the shared machine's load falls on all three alike."""
    import gzip

    from newsmon.clean import clean_page
    from synth import page_stats

    sets = {}
    for weight in ("light", "real"):
        day = SynthDay(articles, feeds, weight=weight)
        step = max(1, articles // sample)
        sets[weight] = [day.page(i, "http://127.0.0.1:8000") for i in range(0, articles, step)][:sample]
    ids_file = SHARED_PAGES / "news_en_ids.txt"
    if ids_file.exists():
        ids = ids_file.read_text().split()[:sample]
        sets["zyte"] = [gzip.decompress((SHARED_PAGES / "html" / f"{i}.html.gz").read_bytes()) for i in ids]
    cpu = dict.fromkeys(sets, 0.0)
    for pages in sets.values():  # warm-up
        clean_page(pages[0], "http://127.0.0.1:8000/warm-up", "bench", None)
    for n in range(sample):
        for name, pages in sets.items():
            if n < len(pages):
                started = time.process_time()
                clean_page(pages[n], f"http://127.0.0.1:8000/p{n}", "bench", None)
                cpu[name] += time.process_time() - started
    return {
        name: {
            **page_stats(pages),
            "clean_page_cpu_ms": round(cpu[name] / len(pages) * 1000, 2),
            "pages": len(pages),
        }
        for name, pages in sets.items()
    }


def real_weight_report(result: dict, days: dict[float, dict], args) -> dict:
    """The figures issue 16 asks of the day at real page weight: the goals against 150 s and 2 GiB, memory per
    fetch shard, and both page weights with their CPU per page."""
    shape = weights(args.articles, args.feeds)
    print(f"\npage weights: {json.dumps(shape)}", flush=True)
    main_day = days.get(1.0, days[min(days)])
    figures = result["figures"]
    for scale, r in days.items():
        figures[f"{scale:g}x_fetch_worker_max_rss_mib"] = r["fetch_worker_max_rss_mib"]
        figures[f"{scale:g}x_fetch_shard_rss_mib"] = [s["max_rss_mib"] for s in r["fetch_shards"]]
        figures[f"{scale:g}x_fetch_shard_cpu_s"] = [s["cpu_s"] for s in r["fetch_shards"]]
        figures[f"{scale:g}x_cpu_s"] = r["cpu_s"]
        figures[f"{scale:g}x_idle_core_bound_s"] = r["idle_core_bound_s"]
        figures[f"{scale:g}x_server_cpu_during_fetch_s"] = r["server"]["cpu_s_during_fetch"]
        for name, st in r["stages"].items():
            figures[f"{scale:g}x_{name}_cpu_s"] = st["cpu_s"]
        figures[f"{scale:g}x_fetch_cpu_per_article_ms"] = round(
            r["stages"]["fetch"]["cpu_s"] / r["articles"] * 1000, 2
        )
    for name, v in shape.items():
        for k, x in v.items():
            figures[f"weight_{name}_{k}"] = x
    result["title"] = "End to end at real page weight: a simulated news day, per stage, and the scale curve"
    result["goals"] = [
        {
            "goal": f"a day of {main_day['articles']:,} articles at real page weight in under "
            f"{GOAL_SECONDS_REAL:.0f} s of wall time on 2 cores",
            "met": main_day["wall_s"] < GOAL_SECONDS_REAL,
            "note": f"{main_day['wall_s']:.0f} s",
        },
        {
            "goal": "peak memory under 2 GiB at real page weight",
            "met": main_day["peak_rss_mib"] * MIB < GOAL_BYTES,
            "note": f"{main_day['peak_rss_mib']:.0f} MiB (all processes of a stage, summed); one fetch shard "
            f"{main_day['fetch_worker_max_rss_mib']:.0f} MiB",
        },
    ]
    light, real = shape["light"], shape["real"]
    result["notes"] = [
        f"Pages: each synthetic story inside generated site furniture (bench/synth.py RealChrome, the same per "
        f"host as a site's chrome is) of {real['kib']} KiB, {real['elements']:.0f} elements, {real['max_depth']:.0f} "
        f"levels deep at most and {real['mean_depth']} on average, against the light pages' {light['kib']} KiB and "
        f"{light['max_depth']:.0f} levels"
        + (
            f" and the real news pages' (Zyte, {shape['zyte']['pages']} pages) {shape['zyte']['kib']} KiB, "
            f"{shape['zyte']['elements']:.0f} elements, {shape['zyte']['max_depth']:.0f} / {shape['zyte']['mean_depth']} levels"
            if "zyte" in shape
            else ""
        )
        + ". clean_page CPU per page: "
        + ", ".join(f"{name} {v['clean_page_cpu_ms']} ms" for name, v in shape.items())
        + " (same process, alternating).",
        "The server sends real-weight pages as concatenated gzip members, the host's static furniture compressed "
        "once, so that the simulator does not spend the pipeline's cores compressing 190 KiB per page; it renders "
        f"every page ahead, outside the timed stages ({main_day['server']['pages_rendered_ahead_s']} s at 1x), "
        f"and spent {main_day['server']['cpu_s_during_fetch']} CPU s sending them during the fetch.",
        f"CPU seconds, which do not depend on the machine's load: {main_day['cpu_s']} in all at "
        f"{main_day['articles']:,} articles (fetch {main_day['stages']['fetch']['cpu_s']:.0f}, load "
        f"{main_day['stages']['load']['cpu_s']:.0f}, daily {main_day['stages']['daily']['cpu_s']:.0f}, digest "
        f"{main_day['stages']['digest']['cpu_s']:.0f}, server {main_day['server']['cpu_s_during_fetch']:.0f}); "
        f"on idle cores the day takes at least {main_day['idle_core_bound_s']:.0f} s (per stage the larger of "
        f"its CPU over the cores and its critical path: {main_day['idle_core_bound_per_stage_s']}). Fetch shards: "
        + "; ".join(
            f"{sh['articles']:,} articles, {sh['cpu_s']:.0f} CPU s, {sh['max_rss_mib']:.0f} MiB"
            for sh in main_day["fetch_shards"]
        )
        + ".",
        f"Load average at the start: {result.get('load_average', 'n/a')}; the machine is shared.",
        *[
            n
            for n in result["notes"]
            if n.startswith(("Each stage", "Scale curve", "Memory grows", "Fetch is"))
        ],
    ]
    return result


# ---------------------------------------------------------------------------------------------------- report


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=None, help="articles at scale 1 (default 20,000)")
    ap.add_argument("--feeds", type=int, default=None, help="feeds at scale 1 (default 300, ~67 items each)")
    ap.add_argument(
        "--scales", default=None, help="comma-separated multiples of --articles and --feeds (default 1,2,4)"
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="for development: 2,000 articles from 30 feeds, scale 1, no baseline (each can still be given)",
    )
    ap.add_argument(
        "--code",
        default=None,
        help="import newsmon from this include/ folder (another checkout) instead of this one's: an A/B of the "
        "same day, whose analyst_tables digests must match",
    )
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="fetch worker processes")
    ap.add_argument(
        "--baseline-sample",
        type=int,
        default=None,
        help="feeds in the naive baseline's sample (0: skip; default 6)",
    )
    ap.add_argument(
        "--weight",
        choices=("light", "real"),
        default="light",
        help="page weight: the demo chrome (~10 KiB) or real news pages' (~190 KiB, see bench/synth.py RealChrome)",
    )
    ap.add_argument("--out", default=None, help="where to write the JSON figures")
    ap.add_argument(
        "--keep",
        default=None,
        help="run each day in DIR/<scale>x and keep it (default: a temp folder, removed)",
    )
    ap.add_argument(
        "--half-hours",
        action="store_true",
        help="also load the 1x day as 48 half-hour batches (same tables?)",
    )
    args = ap.parse_args(argv)
    quick = {"articles": 2_000, "feeds": 30, "scales": "1", "baseline_sample": 0}
    full = {"articles": 20_000, "feeds": 300, "scales": "1,2,4", "baseline_sample": 6}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.code:
        code = str(Path(args.code).resolve())
        sys.path.insert(0, code)  # spawned stage and shard processes inherit sys.path
        print(f"newsmon from {code}", flush=True)
    default_out = RESULTS_REAL if args.weight == "real" else RESULTS
    if (
        args.quick or args.code
    ):  # a development run neither overwrites the recorded figures nor joins the docs
        default_out = Path(tempfile.gettempdir()) / (
            default_out.stem + ("_quick" if args.quick else "_code") + ".json"
        )
    args.out = args.out or str(default_out)
    try:
        scales = [float(s) for s in args.scales.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--scales must be numbers like 1,2,4, not {args.scales!r}")
    if not scales or any(s <= 0 for s in scales):
        ap.error("--scales needs at least one positive number")

    os.environ["NEWSMON_ALLOW_HOSTS"] = "127.0.0.0/8"
    os.environ["NEWSMON_HOST_SPACING"] = str(HOST_SPACING)
    os.environ.pop("NEWSMON_SMTP_HOST", None)
    load_average = round(os.getloadavg()[0], 1)
    print(f"machine: {os.cpu_count()} cores; load average {load_average}", flush=True)

    days = {}
    for scale in scales:
        day = SynthDay(round(args.articles * scale), max(1, round(args.feeds * scale)), weight=args.weight)
        print(
            f"\n== scale {scale:g}: {day.articles} articles, {day.feeds} feeds, {day.hosts} hosts", flush=True
        )
        with _workdir(args.keep, scale) as tmp:
            result = run_day(day, args.workers, Path(tmp))
            if args.half_hours and scale == 1:
                result["half_hours"] = run_half_hours(Path(tmp), result)
                _print_half_hours(result["half_hours"])
        days[scale] = result
        _print_day(result)
        # each day as it ends: a long scale curve interrupted still leaves the days it measured
        partial = Path(args.out).with_suffix(".partial.json")
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps({f"{k:g}x": v for k, v in days.items()}, indent=1))

    base = None
    if args.baseline_sample > 0:
        sample = SynthDay(args.articles, args.feeds, weight=args.weight)
        with tempfile.TemporaryDirectory(prefix="newsmon-e2e-base-") as tmp:
            base = baseline(sample, args.baseline_sample, Path(tmp))
        print(
            f"\nbaseline (naive, sequential): {base['sample_articles']} articles in {base['sample_wall_s']} s "
            f"= {base['s_per_article'] * 1000:.0f} ms per article  {base['steps_s']}",
            flush=True,
        )
    weight = None
    if (
        args.weight == "light"
    ):  # at real weight, real_weight_report measures the pages (light, real-weight, Zyte)
        weight = page_weight(SynthDay(args.articles, args.feeds))
        if weight is None:
            print("\npage weight: ../shared/benchmarks absent, skipped (real pages cannot be compared)")
        else:
            print(
                f"\npage weight: real news pages {weight['real_kib']} KiB, {weight['real_ms']} ms CPU each in "
                f"clean_page; synthetic {weight['synthetic_kib']} KiB, {weight['synthetic_ms']} ms",
                flush=True,
            )
    result = report(days, base, args, weight)
    result["load_average"] = load_average
    if args.weight == "real":
        result = real_weight_report(result, days, args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {out}")
    half = days.get(1.0, {}).get("half_hours")
    return 1 if half and not all(half["same_tables"].values()) else 0


def _workdir(keep: str | None, scale: float):
    if keep is None:
        return tempfile.TemporaryDirectory(prefix="newsmon-e2e-")
    folder = Path(keep) / f"{scale:g}x"
    folder.mkdir(parents=True, exist_ok=False)  # a kept day is never mixed with an older one
    return contextlib.nullcontext(str(folder))


def _print_half_hours(h: dict) -> None:
    same = all(h["same_tables"].values())
    print(
        f"48 half-hour batches: {h['batches']} loads + daily in {h['wall_s']} s against {h['one_batch_load_daily_s']} s "
        f"for the one-batch load + daily ({h['time_vs_one_batch']}x); analyst tables "
        f"{'the same' if same else 'DIFFER: ' + str([k for k, v in h['same_tables'].items() if not v])}",
        flush=True,
    )


def _print_day(r: dict) -> None:
    print(f"{'stage':<8} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    for name, s in r["stages"].items():
        print(f"{name:<8} {s['wall_s']:>8.1f} {s['cpu_s']:>8.1f} {s['peak_rss_mib']:>9.0f}")
    print(
        f"{'total':<8} {r['wall_s']:>8.1f} {'':>8} {r['peak_rss_mib']:>9.0f}   {r['articles_per_s']} articles/s"
    )
    steps = r["stages"]["fetch"]["steps"]
    print(
        "fetch steps (CPU s, all workers): "
        + ", ".join(f"{k} {v['cpu_s']:.1f}" for k, v in sorted(steps.items()))
    )
    print(
        "fetch shards: "
        + "; ".join(
            f"{s['articles']} articles, {s['cpu_s']:.1f} CPU s, {s['max_rss_mib']:.0f} MiB"
            for s in r["fetch_shards"]
        )
    )
    server = r["server"]
    print(
        f"server: {server['cpu_s_during_fetch']} CPU s during the fetch (pages rendered ahead in "
        f"{server['pages_rendered_ahead_s']} s); all CPU {r['cpu_s']} s; on idle cores at least "
        f"{r['idle_core_bound_s']} s {r['idle_core_bound_per_stage_s']}"
    )
    print(f"analyst tables: {r['analyst_tables']}")
    print(f"fetch report: {r['stages']['fetch']['report']}")
    print(f"load report: {r['stages']['load']['report']}; server: {r['server']}", flush=True)


def stage_table(days: dict[float, dict]) -> str:
    """Wall s / CPU s / peak MiB per stage and scale, as a Markdown table."""
    scales = sorted(days)
    head = "| stage | " + " | ".join(f"{s:g}x: {days[s]['articles']:,} articles" for s in scales) + " |"
    rows = [head, "|---" * (len(scales) + 1) + "|"]
    for stage in days[scales[0]]["stages"]:
        cells = []
        for s in scales:
            st = days[s]["stages"][stage]
            cells.append(f"{st['wall_s']:.1f} s wall, {st['cpu_s']:.1f} s CPU, {st['peak_rss_mib']:.0f} MiB")
        rows.append(f"| {stage} | " + " | ".join(cells) + " |")
    rows.append(
        "| **day** | "
        + " | ".join(f"**{days[s]['wall_s']:.0f} s**, peak {days[s]['peak_rss_mib']:.0f} MiB" for s in scales)
        + " |"
    )
    return "\n".join(rows)


def _scale_notes(days: dict[float, dict]) -> list[str]:
    """How each stage grows with the day, per article, against the smallest scale; and why."""
    if len(days) < 2:
        return []
    lo = min(days)
    parts, load_cpu = [], []
    for scale in sorted(days):
        r = days[scale]
        per = {k: v["cpu_s"] / r["articles"] * 1000 for k, v in r["stages"].items()}
        load_cpu.append(f"{scale:g}x {per['load']:.2f}")
        if scale != lo:
            growth = (r["wall_s"] / days[lo]["wall_s"]) / (scale / lo)
            parts.append(f"{scale:g}x: {growth:.2f}")
    peak = ", ".join(f"{s:g}x {days[s]['peak_rss_mib']:.0f} MiB" for s in sorted(days))
    waited = [
        f"{name} at {scale:g}x ({st['wall_s']:.0f} s wall, {st['cpu_s']:.0f} s CPU)"
        for scale in sorted(days)
        for name, st in days[scale]["stages"].items()
        if name != "fetch" and st["wall_s"] > 1.5 * st["cpu_s"] + 5
    ]
    waits = (
        [
            "Stages that mostly waited rather than computed: "
            + "; ".join(waited)
            + ". The process waited on the "
            "disk or on the shared machine; this was not measured further."
        ]
        if waited
        else []
    )
    return [
        *waits,
        f"Scale curve, wall time per article against {lo:g}x: " + "; ".join(parts) + ". Fetch, extraction, "
        "tagging and the daily tables grow linearly. The load grows a little faster (CPU ms per article: "
        + ", ".join(load_cpu)
        + "): each article's story lookup compares its SimHash with every article of the window "
        "(vectorised, a few microseconds per thousand) and verifies the grey-zone candidates by shingles, whose "
        "number grows with the window. Synthetic prose shares more word runs than real news (more grey-zone "
        "pairs), so real days grow less; wall time at the larger scales also suffered from the shared machine.",
        f"Memory grows linearly ({peak}): a fetch worker holds its shard's articles until it stages one Parquet "
        "batch, and the loader reads a batch whole. Staging in chunks of a few thousand articles would cap it.",
    ]


def _bound_notes(day: dict) -> list[str]:
    fetch = day["stages"]["fetch"]
    http = fetch["steps"].get("page_http")
    if not http or not http.get("calls"):
        return []
    busy = (fetch["cpu_s"] + day["server"]["cpu_s_during_fetch"]) / fetch["wall_s"]
    return [
        f"Fetch is CPU-bound, not network-bound: its workers and the server kept {busy:.1f} of 2 cores busy; a page "
        f"request cost {http['cpu_s'] / http['calls'] * 1000:.1f} ms CPU and {http['thread_wall_s'] / http['calls'] * 1000:.0f} ms "
        "of a worker thread's wall time (loopback latency, host spacing, the busy server), hidden by 16 threads per "
        f"worker. Host spacing is {HOST_SPACING} s: the whole day is fetched at once from {day['hosts']} loopback "
        "hosts; with the production default of 1 s per host, a day fetched in one go would be bound by politeness "
        "(articles per host x 1 s), but a real day arrives spread over 48 half-hourly runs.",
    ]


def report(days: dict[float, dict], base: dict | None, args, weight: dict | None = None) -> dict:
    figures: dict = {}
    first_scale = min(days)
    first = days[first_scale]
    for scale, r in days.items():
        tag = f"{scale:g}x"
        figures[f"{tag}_articles"] = r["articles"]
        figures[f"{tag}_feeds"] = r["feeds"]
        figures[f"{tag}_wall_s"] = r["wall_s"]
        figures[f"{tag}_peak_rss_mib"] = r["peak_rss_mib"]
        figures[f"{tag}_articles_per_s"] = r["articles_per_s"]
        for name, s in r["stages"].items():
            figures[f"{tag}_{name}_s"] = s["wall_s"]
            figures[f"{tag}_{name}_peak_mib"] = s["peak_rss_mib"]
        if scale != first_scale:
            growth = (r["wall_s"] / first["wall_s"]) / (scale / first_scale)
            figures[f"{tag}_time_per_article_vs_{first_scale:g}x"] = round(growth, 3)
    half = days.get(1.0, {}).get("half_hours")
    if half:
        figures["1x_half_hour_batches"] = half["batches"]
        figures["1x_half_hour_batches_load_daily_s"] = half["wall_s"]
        figures["1x_one_batch_load_daily_s"] = half["one_batch_load_daily_s"]
        figures["1x_half_hour_batches_time_vs_one_batch"] = half["time_vs_one_batch"]
        figures["1x_half_hour_batches_same_tables"] = all(half["same_tables"].values())
    steps = first["stages"]["fetch"]["steps"]
    for step, v in sorted(steps.items()):
        figures[f"{first_scale:g}x_fetch_cpu_{step}_s"] = round(v["cpu_s"], 2)
    figures[f"{first_scale:g}x_server_cpu_s"] = first["server"]["cpu_s"]
    goals = []
    main_day = days.get(1.0, first)
    if base:
        figures["baseline_sample_articles"] = base["sample_articles"]
        figures["baseline_ms_per_article"] = round(base["s_per_article"] * 1000, 1)
        figures["baseline_extrapolated_s"] = round(base["s_per_article"] * main_day["articles"], 1)
        figures["speedup_vs_baseline"] = round(
            base["s_per_article"] * main_day["articles"] / main_day["wall_s"], 2
        )
    goals.append(
        {
            "goal": f"a day of {main_day['articles']:,} articles in under 5 minutes of wall time on 2 cores",
            "met": main_day["wall_s"] < GOAL_SECONDS,
            "note": f"{main_day['wall_s']:.0f} s",
        }
    )
    goals.append(
        {
            "goal": "peak memory under 2 GiB",
            "met": main_day["peak_rss_mib"] * MIB < GOAL_BYTES,
            "note": f"{main_day['peak_rss_mib']:.0f} MiB (all processes of a stage, summed)",
        }
    )
    if half:
        goals.append(
            {
                "goal": "the day in 48 half-hour batches gives the analyst tables of the one-batch day",
                "met": all(half["same_tables"].values()),
                "note": ", ".join(k for k, v in half["same_tables"].items() if not v)
                or "every table the same",
            }
        )
    if weight:
        for k, v in weight.items():
            figures[f"page_weight_{k}"] = v
        extra = (
            (weight["real_ms"] - weight["synthetic_ms"]) / 1000 * main_day["articles"] / main_day["workers"]
        )
        figures["projected_wall_s_with_real_page_weight"] = round(main_day["wall_s"] + extra, 1)
        goals[0]["note"] += (
            f"; with pages as heavy as real ones ({weight['real_kib']} KiB against {weight['synthetic_kib']} KiB) "
            f"extraction adds about {extra:.0f} s: ~{main_day['wall_s'] + extra:.0f} s projected"
        )
    notes = [
        f"Each stage runs in a fresh process, imports included, as an Airflow task would; fetch uses {main_day['workers']} "
        "worker processes. Peak memory is the resident set of the stage's process tree, sampled every 50 ms.",
        *_scale_notes(days),
        *_bound_notes(main_day),
        "Synthetic pages wear the demo outlets' light chrome; real news pages weigh ~20 times more and extraction "
        "grows with them (page_weight_* figures, measured in the same run on ../shared/benchmarks pages): "
        "projected_wall_s_with_real_page_weight is the day with that extra extraction time spread over the "
        "fetch workers. Meeting 5 minutes with real-weight pages needs a third core or a faster extractor.",
        "Profile-driven fixes (cProfile of fetch_shard's steps and load_and_publish; A/B of the code before and "
        "after on this machine, same pages): clean_page + hashes + tagging 7.7 -> 5.2 ms CPU per synthetic page "
        "and 45 -> 29 ms per real page (trafilatura without its fallback round, F1 0.9762 -> 0.9767; language guess "
        "2.4x faster; link-block test); StoryIndex 1.13 -> 0.42 ms per article at a 10,000-article window "
        "(one vectorised distance pass instead of a Python loop over ~5% of the window per article); one "
        "UPDATE per batch for wire originals instead of one per copy. Before the fixes the 1x day took 427 s "
        "(fetch 281 s, load 133 s) on the same machine.",
        "The synthetic server runs in its own process on the same 2 cores; its CPU time is listed (server_cpu_s).",
    ]
    return {
        "title": "End to end: a simulated news day, per stage, and the scale curve",
        "command": " ".join([".venv/bin/python bench/end_to_end.py", *sys.argv[1:]]),
        "markdown": stage_table(days),
        "figures": figures,
        "goals": goals,
        "notes": notes,
        "days": {f"{k:g}x": v for k, v in days.items()},
        "baseline": base,
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
