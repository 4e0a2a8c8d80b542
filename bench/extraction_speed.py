"""Extraction speed: clean_page on one core, today's code against a git revision's, and the text unchanged.

    .venv/bin/python bench/extraction_speed.py [--baseline REV] [--sets zyte_news,wcxb_dev,wcxb_test]
                                               [--repeat 2] [--limit N]

The baseline is the extract.py, clean.py and phrase file of git revision REV (default: `main`, so that on a
branch the ratio is what the branch's own changes earn), loaded beside today's modules in the same process
(bench/extraction.py load_baseline). The process is pinned to one core; both versions clean every page of the
sets (../shared/benchmarks/extraction: the 137 Zyte news pages and the wcxb_articles dev and test splits), page
by page in alternation, `--repeat` rounds, who goes first alternating; CPU time (time.process_time), so that
the other jobs of a shared machine count less than in wall time. Bytes in, decoding included, no repetition
memory. Not counted: each version's first page (lazy imports, compiled patterns) and trafilatura's one-time
jusText stoplist (built and lower-cased once per process, `_warm_justext`).

The cleaned text of every page must be byte-identical between the two versions: the bench lists the pages that
differ and exits 1 when any does (speed work must not change the text). Results:
bench/results/extraction_speed.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for p in (str(ROOT / "include"), str(BENCH)):
    if p not in sys.path:
        sys.path.insert(0, p)

from extraction import EXTRACTION, SPEED_RESULTS, load_baseline, load_set, read_bodies  # noqa: E402

SETS = ("zyte_news", "wcxb_dev", "wcxb_test")
GOAL = 1.2


def measure(set_name: str, systems: dict, repeat: int, limit: int | None) -> dict:
    """CPU seconds per system over one set, and the pages whose cleaned text differs."""
    pages = load_set(set_name, limit)
    bodies = read_bodies(set_name, list(pages))
    cpu = dict.fromkeys(systems, 0.0)
    differ = []
    order = list(systems.items())
    for fn, options in systems.values():  # warm-up: lazy imports and compiled patterns, not counted
        fn(next(iter(bodies.values())), None, "bench", None, options)
    _warm_justext()
    gc.collect()
    gc.freeze()  # what is alive now is never garbage: the collections between pages only scan new objects
    for k, (i, body) in enumerate(bodies.items()):
        texts = {}
        for r in range(repeat):  # who goes first alternates: a page's second run finds warm caches
            for name, (fn, options) in order if (k + r) % 2 == 0 else order[::-1]:
                gc.collect()
                started = time.process_time()
                texts[name] = fn(body, pages[i].url, "bench", None, options).text
                cpu[name] += time.process_time() - started
        if texts["baseline"] != texts["current"]:
            differ.append(i)
    return {"pages": len(bodies), "cpu": cpu, "differ": differ}


def _warm_justext() -> None:
    """trafilatura builds jusText's stoplist (every language's, ~0.13 s) the first time any page of the
    process reaches its fallback extractors, and keeps it. That is start-up, not a page's cost: without this
    the first version to clean such a page in the run pays it for both (a baseline without the fallback check
    never does, so the current version did, about 5% of a Zyte run)."""
    try:
        from trafilatura import external
    except ImportError:  # pragma: no cover - trafilatura is a dependency
        return
    if getattr(external, "JT_STOPLIST", True) is None:
        external.jt_stoplist_init()
    # jusText lower-cases that stoplist into a frozenset the first time it classifies (define_stoplist,
    # lru-cached per process): ~0.15 s once, the same start-up; on 137 Zyte pages it was 7% of the run.
    try:
        from justext.core import define_stoplist
    except ImportError:  # pragma: no cover - trafilatura depends on jusText
        return
    define_stoplist(external.JT_STOPLIST)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="main", help="git revision to compare with (default: %(default)s)")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--repeat", type=int, default=2, help="timing rounds per page")
    ap.add_argument("--limit", type=int, default=None, help="first N pages of each set (a quick look)")
    ap.add_argument("--out", default=str(SPEED_RESULTS))
    args = ap.parse_args(argv)
    if not EXTRACTION.exists():
        print(f"{EXTRACTION} absent: nothing to measure")
        return 0
    from newsmon import clean as current

    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    load_before = os.getloadavg()[0]
    rows, figures, differ_all = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline, old_phrases = load_baseline(args.baseline, Path(tmp))
        systems = {
            "baseline": (baseline.clean_page, baseline.CleanOptions(phrases_file=old_phrases)),
            "current": (current.clean_page, current.CleanOptions()),
        }
        for set_name in args.sets.split(","):
            m = measure(set_name, systems, args.repeat, args.limit)
            n = m["pages"] * args.repeat
            base, cur = n / m["cpu"]["baseline"], n / m["cpu"]["current"]
            ratio = m["cpu"]["baseline"] / m["cpu"]["current"]
            rows.append(
                f"| {set_name} | {m['pages']} | {base:.1f} | {cur:.1f} | {ratio:.2f}x | {len(m['differ'])} |"
            )
            figures[f"{set_name}_baseline_pages_per_cpu_s"] = round(base, 2)
            figures[f"{set_name}_current_pages_per_cpu_s"] = round(cur, 2)
            figures[f"{set_name}_speedup"] = round(ratio, 3)
            figures[f"{set_name}_pages_with_other_text"] = len(m["differ"])
            differ_all[set_name] = m["differ"]
            print(
                f"  {set_name}: {ratio:.2f}x, {len(m['differ'])} pages differ {m['differ'][:10]}", flush=True
            )
    table = [
        f"| set | pages | {args.baseline} pages/CPU-s | current pages/CPU-s | speed-up | pages whose text differs |",
        "|---|---|---|---|---|---|",
        *rows,
    ]
    print("\n".join(table))
    lowest = min(v for k, v in figures.items() if k.endswith("_speedup"))
    same = not any(differ_all.values())
    result = {
        "title": "Extraction speed: clean_page on one core against a git revision, text unchanged",
        "command": " ".join([".venv/bin/python bench/extraction_speed.py", *argv]),
        "markdown": "\n".join(table),
        "figures": figures,
        "goals": [
            {
                "goal": f"at least {GOAL}x the baseline's pages per CPU second on every set",
                "met": lowest >= GOAL,
                "note": f"lowest {lowest:.2f}x",
            },
            {"goal": "the cleaned text of every page byte-identical", "met": same, "note": str(differ_all)},
        ],
        "notes": [
            f"One process pinned to one core, page by page in alternation ({args.repeat} rounds), CPU time; "
            f"load average {load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end "
            f"on {os.cpu_count()} cores.",
        ],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
