"""Loading: articles per second from staged Parquet into the warehouse, against the same rows inserted with
row-by-row `executemany`, and the cost of publishing the analyst database as the data grows.

    .venv/bin/python bench/loading.py
    .venv/bin/python bench/loading.py --small-batches [--baseline REV] [--rounds 2] [--stories 3000]

`--small-batches` measures what production loads look like (issue 12): the generated syndication corpus of
bench/dedupe.py (3,000 stories, ~10,000 articles over 14 days), its first week loaded at once as history, then
200 batches of one outlet and half hour each (about 1.2 articles per batch) loaded one after another with
`warehouse.load_batch`, by this tree's loader and by the loader of git revision REV (default: main before the
small-batch fixes), each in its own process, alternating, `--rounds` times each. Reported: CPU and wall ms per
article and per batch, their ratios in the same run, and whether both stored the same stories (partition).
Writes bench/results/loading_small_batches.json.

    .venv/bin/python bench/loading.py --kept-day DIR [--baseline REV] [--rounds 2]

`--kept-day` measures the load stage of a simulated day (issue 16): DIR is a day kept by
`bench/end_to_end.py --keep` (its `1x` folder). Each round copies the day's staged batches back to staging in a
fresh data folder (with the boilerplate memory and feed state the fetch left) and runs
`pipeline.load_and_publish` on them, timed (wall, CPU of the process and its children, load average), then
`aggregates.run_daily` untimed and the analyst tables' digests (bench/end_to_end.py analyst_fingerprint), by this
tree and by git revision REV (default main), each in its own process, alternating. Prints both, their ratios
and whether the digests agree; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from newsmon.config import Paths  # noqa: E402
from newsmon.models import Article, Mention  # noqa: E402
from newsmon.warehouse import LoadCounts, _article_rows, load_batch, open_warehouse, publish, stage_batch  # noqa: E402

WORDS = "summit trade minister talks energy pipeline sanctions market grain port border visit treaty envoy".split()


def synthetic_articles(n: int, seed: int, start: datetime) -> list[Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = "\n".join(" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(6))
        aid = f"{seed:04x}{i:012x}"
        published = start + timedelta(minutes=rng.randrange(0, 24 * 60))
        mentions = [
            Mention(
                rng.choice("CN RU US".split()),
                k * 10,
                k * 10 + 5,
                "China",
                "name",
                "body",
                k,
                k // 2,
                "China",
                "s",
            )
            for k in range(5)
        ]
        out.append(
            Article(
                article_id=aid,
                url=f"https://site{i % 300}.example/a/{aid}",
                canonical_url=f"https://site{i % 300}.example/a/{aid}",
                guid=aid,
                feed=f"feed{i % 300}",
                source=f"source{i % 150}",
                title=f"Story {i}",
                text=text,
                text_source="page",
                published_at=published,
                published_from="page",
                fetched_at=published,
                simhash=rng.getrandbits(64),
                content_hash=aid,
                mentions=mentions,
                countries={"CN": {"mentions": 2, "salience": 0.4, "about": False}},
                pairs={"sentence": ["CN-RU"], "paragraph": ["CN-RU"], "article": ["CN-RU"]},
            )
        )
    return out


def bench_parquet_load(tmp: Path, articles: list[Article]) -> float:
    paths = Paths(tmp / "pq").ensure()
    batch = stage_batch(paths.staging, "bench-batch", articles)
    started = time.perf_counter()
    with open_warehouse(paths) as con:
        load_batch(con, batch, LoadCounts())
    return time.perf_counter() - started


def bench_executemany(tmp: Path, articles: list[Article]) -> float:
    paths = Paths(tmp / "em").ensure()
    rows, mentions, _ = _article_rows(articles)
    for r in rows:
        r.update(story_id=r["article_id"], duplicate_of=None, dup_reason=None, is_wire=False)
    cols = list(rows[0])
    mcols = [c for c in mentions[0] if c != "evidence"]  # the evidence sentence goes to `sentences`
    started = time.perf_counter()
    with open_warehouse(paths) as con:
        con.execute("BEGIN TRANSACTION")
        con.executemany(
            f"INSERT INTO articles ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[r[c] for c in cols] for r in rows],
        )
        con.executemany(
            f"INSERT INTO mention_spans ({', '.join(mcols)}) VALUES ({', '.join('?' * len(mcols))})",
            [[m[c] for c in mcols] for m in mentions],
        )
        con.execute("COMMIT")
    return time.perf_counter() - started


def bench_publish_growth(tmp: Path, sizes: list[int], increment: int = 500) -> list[dict]:
    """At each size: a full rebuild, then one ingest's worth of new articles published incrementally."""
    paths = Paths(tmp / "pub").ensure()
    out, loaded = [], 0
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for size in sizes:
        _load(paths, f"grow-{size}", synthetic_articles(size - loaded, size, start))
        started = time.perf_counter()
        publish(paths, full=True)
        full_s = time.perf_counter() - started
        _load(paths, f"inc-{size}", synthetic_articles(increment, size + 1, start + timedelta(days=1)))
        loaded = size + increment
        started = time.perf_counter()
        publish(paths)
        inc_s = time.perf_counter() - started
        out.append(
            {
                "articles": size,
                "full_publish_s": round(full_s, 3),
                "incremental_publish_s": round(inc_s, 3),
                "analyst_db_mb": round(paths.analyst_db.stat().st_size / 1e6, 1),
            }
        )
    return out


def _load(paths: Paths, name: str, articles: list[Article]) -> None:
    batch = stage_batch(paths.staging, name, articles)
    with open_warehouse(paths) as con:
        load_batch(con, batch, LoadCounts())


BASELINE_REV = "fd54c5a"  # main before the small-batch fixes of issue 12 (loader restoring the whole window)

# Run in a process of its own with PYTHONPATH at one tree's include/ (this one or the baseline's) and bench/.
SMALL_BATCH_WORKER = """
import hashlib, json, sys, tempfile, time
from pathlib import Path
import dedupe as bd
from newsmon.config import paths as get_paths
from newsmon.warehouse import LoadCounts, load_batch, open_warehouse, stage_batch

stories, timed = int(sys.argv[1]), int(sys.argv[2])
articles = bd.build(stories, 1)
plan = bd.batch_plan(articles, "per outlet and half hour")
history = len(plan) // 2  # the first week as history: the timed batches have a full window behind them
with tempfile.TemporaryDirectory(prefix="newsmon-small-batches-") as tmp:
    paths = get_paths(Path(tmp)).ensure()
    first = stage_batch(paths.staging, "history", [bd._as_article(a) for b in plan[:history] for a in b])
    batches = plan[history : history + timed]
    staged = [stage_batch(paths.staging, f"b{n:06d}", [bd._as_article(a) for a in b]) for n, b in enumerate(batches)]
    with open_warehouse(paths) as con:
        load_batch(con, first, LoadCounts())
        start, cpu = time.perf_counter(), time.process_time()
        for path in staged:
            load_batch(con, path, LoadCounts())
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        groups = con.execute("SELECT list(article_id ORDER BY article_id) FROM articles GROUP BY story_id").fetchall()
n = sum(len(b) for b in batches)
partition = hashlib.sha1(json.dumps(sorted(g[0] for g in groups)).encode()).hexdigest()[:16]
print(json.dumps({"articles": n, "batches": len(batches), "seconds": seconds, "cpu_s": cpu, "partition": partition}))
"""


def export_revision(rev: str, folder: Path) -> Path:
    """include/newsmon of a git revision, unpacked under `folder`; returns the include/ folder to import from."""
    archive = subprocess.run(
        ["git", "archive", rev, "include/newsmon"], cwd=ROOT, check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "include"


def worker_run(script: str, include: Path, *args) -> dict:
    """`script` in a fresh Python importing newsmon from `include`; its last output line, read as JSON."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(include), str(ROOT / "bench")])}
    proc = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def small_batches(rev: str, rounds: int, stories: int, timed: int = 200) -> int:
    with tempfile.TemporaryDirectory(prefix="newsmon-baseline-") as tmp:
        trees = {"before": export_revision(rev, Path(tmp)), "now": ROOT / "include"}
        runs: dict[str, list[dict]] = {"before": [], "now": []}
        for r in range(rounds):
            for name in ("before", "now") if r % 2 == 0 else ("now", "before"):  # alternate: load drifts
                runs[name].append(worker_run(SMALL_BATCH_WORKER, trees[name], stories, timed))
                last = runs[name][-1]
                per = 1000 / last["articles"]
                print(
                    f"round {r + 1} {name:<6} {per * last['seconds']:7.1f} ms/article wall, "
                    f"{per * last['cpu_s']:7.1f} ms CPU"
                )
    figures = {}
    for name, rs in runs.items():
        # CPU seconds (all threads of the process) are what a loaded shared machine disturbs least; wall too
        cpu, wall = min(x["cpu_s"] for x in rs), min(x["seconds"] for x in rs)
        figures[f"{name}_cpu_ms_per_article"] = round(1000 * cpu / rs[0]["articles"], 1)
        figures[f"{name}_cpu_ms_per_batch"] = round(1000 * cpu / rs[0]["batches"], 1)
        figures[f"{name}_wall_ms_per_article"] = round(1000 * wall / rs[0]["articles"], 1)
    figures["cpu_speedup"] = round(
        figures["before_cpu_ms_per_article"] / figures["now_cpu_ms_per_article"], 2
    )
    figures["wall_speedup"] = round(
        figures["before_wall_ms_per_article"] / figures["now_wall_ms_per_article"], 2
    )
    same = len({x["partition"] for rs in runs.values() for x in rs}) == 1
    figures["same_stories"] = same
    figures.update(articles=runs["now"][0]["articles"], batches=runs["now"][0]["batches"], rounds=rounds)
    for k, v in figures.items():
        print(f"{k:<28} {v}")
    result = {
        "title": "Loading small batches (one outlet and half hour each): this loader against " + rev,
        "command": f".venv/bin/python bench/loading.py --small-batches --baseline {rev} --rounds {rounds} "
        f"--stories {stories}",
        "figures": figures,
        "goals": [{"goal": "the same stories as the baseline loader", "met": same}],
        "notes": [
            f"bench/dedupe.py's corpus ({stories} stories over 14 days, seed 1): its first week of per-outlet-"
            f"half-hour batches loaded at once as history, then the next {timed} loaded one by one with warehouse.load_batch; best of "
            f"{rounds} runs of each loader, alternating, each in its own process. CPU time (process_time, all "
            "threads) is the figure to compare on a shared machine; wall time swung 60-400 ms per article between "
            "two runs of the same code at load 12.",
        ],
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "loading_small_batches.json").write_text(
        json.dumps(result, indent=1) + "\n"
    )
    return 0 if same else 1


# Run in a process of its own with PYTHONPATH at one tree's include/ and bench/: argv[1] the kept day, argv[2] a
# scratch folder.
KEPT_DAY_WORKER = """
import json, os, resource, shutil, sys, time
from pathlib import Path
kept, work = Path(sys.argv[1]) / "data", Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
data = work / "data"
(data / "staging").mkdir(parents=True)
shutil.copytree(kept / "state", data / "state")
for leftover in ("boilerplate-revised.json", "publish-full"):  # what the load itself left
    (data / "state" / leftover).unlink(missing_ok=True)
batches = []
for b in sorted((kept / "staging" / "loaded").iterdir()):
    shutil.copytree(b, data / "staging" / b.name)
    batches.append(str(data / "staging" / b.name))
from newsmon.aggregates import run_daily
from newsmon.config import paths
from newsmon.pipeline import load_and_publish
from end_to_end import analyst_fingerprint
load = os.getloadavg()[0]
started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
report = load_and_publish(batches, str(data))
wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime + kids.ru_utime + kids.ru_stime
run_daily(paths(data))
digests = analyst_fingerprint(paths(data).analyst_db)
shutil.rmtree(work, ignore_errors=True)
print(json.dumps({"wall_s": wall, "cpu_s": cpu_s, "load_average": load, "articles_new": report["articles_new"],
                  "digests": digests}))
"""


def kept_day(day: Path, rev: str, rounds: int) -> int:
    """load_and_publish on a kept day's staged batches, by this tree and by `rev`, alternating."""
    with tempfile.TemporaryDirectory(prefix="newsmon-kept-day-") as tmp:
        trees = {"before": export_revision(rev, Path(tmp)), "now": ROOT / "include"}
        runs: dict[str, list[dict]] = {"before": [], "now": []}
        for r in range(rounds):
            for name in ("before", "now") if r % 2 == 0 else ("now", "before"):  # alternate: load drifts
                runs[name].append(worker_run(KEPT_DAY_WORKER, trees[name], day, Path(tmp) / "work"))
                last = runs[name][-1]
                print(
                    f"round {r + 1} {name:<6} load_and_publish {last['wall_s']:6.1f} s wall, "
                    f"{last['cpu_s']:6.1f} CPU s (load average {last['load_average']:.1f}), "
                    f"{last['articles_new']} new articles",
                    flush=True,
                )
    best = {name: (min(x["wall_s"] for x in rs), min(x["cpu_s"] for x in rs)) for name, rs in runs.items()}
    print(
        f"best of {rounds}: before {best['before'][0]:.1f} s wall, {best['before'][1]:.1f} CPU s; "
        f"now {best['now'][0]:.1f} s wall, {best['now'][1]:.1f} CPU s; "
        f"wall x{best['before'][0] / best['now'][0]:.2f}, CPU x{best['before'][1] / best['now'][1]:.2f}"
    )
    digests = [x["digests"] for rs in runs.values() for x in rs]
    same = all(d == digests[0] for d in digests)
    print("analyst tables: " + ("the same in every run" if same else "DIFFER") + f" {digests[0]}")
    for name in digests[0]:
        if not same:
            print(f"  {name}: " + " | ".join(sorted({d.get(name, "-") for d in digests})))
    return 0 if same else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small-batches", action="store_true", help="small batches against --baseline only")
    ap.add_argument("--baseline", default=BASELINE_REV, help="git revision (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--stories", type=int, default=3000, help="corpus size for --small-batches")
    ap.add_argument("--kept-day", type=Path, default=None, help="a day kept by end_to_end.py --keep (its 1x)")
    args = ap.parse_args()
    if args.kept_day:
        return kept_day(
            args.kept_day, "main" if args.baseline == BASELINE_REV else args.baseline, args.rounds
        )
    if args.small_batches:
        return small_batches(args.baseline, args.rounds, args.stories)
    n_fast, n_slow = 20_000, 2_000  # executemany is measured on fewer rows and compared per article
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t_pq = bench_parquet_load(tmp, synthetic_articles(n_fast, 1, start))
        t_em = bench_executemany(tmp, synthetic_articles(n_slow, 2, start))
        growth = bench_publish_growth(tmp, [10_000, 20_000, 40_000])
    pq_rate, em_rate = n_fast / t_pq, n_slow / t_em
    figures = {
        "parquet_load_articles_per_s": round(pq_rate),
        "executemany_articles_per_s": round(em_rate),
        "speedup_vs_executemany": round(pq_rate / em_rate, 1),
    }
    for g in growth:
        n = g["articles"]
        figures[f"full_publish_s_at_{n}_articles"] = g["full_publish_s"]
        figures[f"incremental_publish_s_at_{n}_articles_plus_500"] = g["incremental_publish_s"]
        figures[f"analyst_db_mb_at_{n}_articles"] = g["analyst_db_mb"]
    for k, v in figures.items():
        print(f"{k:<40} {v}")
    result = {
        "title": "Loading and publishing",
        "command": ".venv/bin/python bench/loading.py",
        "figures": figures,
        "notes": [
            f"{n_fast} staged articles (5 mentions each) loaded through Parquet with dedupe, against {n_slow} inserted "
            "row by row with executemany (rates per article).",
            "Publishing writes a new analyst database and renames it into place. A full rebuild copies every table "
            "and grows with the data; the incremental publish (what every run does) copies the previous file and "
            "appends one ingest's new articles (500 here), so it grows only with the file copy (figures at 10k, "
            "20k, 40k articles).",
        ],
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "loading.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
