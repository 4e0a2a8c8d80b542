"""The long version of the batching property test: many random splits of the corpus into batches.

`tests/test_batching.py::test_any_split_into_batches_gives_the_tables_of_one_batch` checks a few random splits
(each article in one of six batches, the batches loaded in a random order) of a corpus with grey-zone, exact and
late syndicated copies and a site whose unmarked appeal names China, Russia and the United States: stories,
texts and daily rows must equal those of one batch, and no article may keep the appeal. This runs the same
property with `--examples` splits (default 40) and records whether it held and how long it took.

    .venv/bin/python bench/batching.py [--examples 40]

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=40)
    args = ap.parse_args()
    env = {**os.environ, "NEWSMON_BATCHING_EXAMPLES": str(args.examples)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    held = proc.returncode == 0
    print(proc.stdout[-2000:])
    print(f"{args.examples} random splits: property {'held' if held else 'FAILED'} in {seconds:.0f} s")
    result = {
        "title": "Batching: analyst tables of random splits into batches equal those of one batch",
        "command": f".venv/bin/python bench/batching.py --examples {args.examples}",
        "figures": {"examples": args.examples, "held": held, "seconds": round(seconds, 1)},
        "goals": [{"goal": f"the property holds over {args.examples} random splits", "met": held}],
        "notes": [
            "Each example puts every article of the corpus (6 stories with grey-zone, exact and 5-days-late copies; "
            "6 articles of a site with an unmarked appeal) in one of six batches and loads them in a random order, "
            "each batch as one fetch run (the appeal site cleaned with the saved memory) and one load.",
        ],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
