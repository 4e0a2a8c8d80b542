"""The long version of the batching property test: many random splits of the corpus into batches.

`tests/test_batching.py::test_any_split_into_batches_gives_the_tables_of_one_batch` checks a few random splits
(each article in one of six batches, the batches loaded in a random order) of a corpus with grey-zone, exact and
late syndicated copies and a site whose unmarked appeal names China, Russia and the United States: stories,
texts and daily rows must equal those of one batch, and no article may keep the appeal. This runs the same
property with `--examples` splits (default 40) and records whether it held and how long it took; then the
demo corpus replay of `tests/test_batching_demo.py` in full (a run at the end of every 30-minute slot with a new
item, and a run every day with each outlet on its own host, where the suite replays a few busy days so and a
run for each stretch of quiet days; `--no-demo` skips it; `make test-demo-replay` runs just that).

    .venv/bin/python bench/batching.py [--examples 40] [--no-demo]

Writes bench/results/batching.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "batching.json"
TEST = "tests/test_batching.py::test_any_split_into_batches_gives_the_tables_of_one_batch"
DEMO = "tests/test_batching_demo.py"


def run_pytest(test: str, env: dict) -> tuple[bool, float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0, time.perf_counter() - start, proc.stdout[-2000:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=40)
    ap.add_argument("--no-demo", action="store_true", help="skip the full demo corpus replay")
    args = ap.parse_args()
    env = {**os.environ, "NEWSMON_BATCHING_EXAMPLES": str(args.examples)}
    held, seconds, out = run_pytest(TEST, env)
    print(out)
    print(f"{args.examples} random splits: property {'held' if held else 'FAILED'} in {seconds:.0f} s")
    figures = {"examples": args.examples, "held": held, "seconds": round(seconds, 1)}
    goals = [{"goal": f"the property holds over {args.examples} random splits", "met": held}]
    if not args.no_demo:
        demo_held, demo_s, out = run_pytest(DEMO, {**os.environ, "NEWSMON_DEMO_REPLAY": "full"})
        print(out)
        print(f"demo corpus, every 30-minute slot: {'held' if demo_held else 'FAILED'} in {demo_s:.0f} s")
        figures.update(demo_full_replay_held=demo_held, demo_full_replay_seconds=round(demo_s, 1))
        goals.append(
            {
                "goal": "the demo corpus in every 30-minute slot and in daily per-host runs: stories P = R = 1.000, "
                "no appeal, the single run's texts, mentions, daily tables and spike flags",
                "met": demo_held,
            }
        )
    result = {
        "title": "Batching: analyst tables of random splits into batches equal those of one batch",
        "command": f".venv/bin/python bench/batching.py --examples {args.examples}",
        "figures": figures,
        "goals": goals,
        "notes": [
            "Each example puts every article of the corpus (6 stories with grey-zone, exact and 5-days-late copies; "
            "6 articles of a site with an unmarked appeal) in one of six batches and loads them in a random order, "
            "each batch as one fetch run (the appeal site cleaned with the saved memory) and one load.",
            "The demo replay (tests/test_batching_demo.py with NEWSMON_DEMO_REPLAY=full) serves the demo corpus on "
            "loopback with feeds listing only the items published so far: a run per 30-minute slot, and a run a day "
            "with each outlet on its own loopback host and shard; the seconds include the single reference run.",
        ],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(g["met"] for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
