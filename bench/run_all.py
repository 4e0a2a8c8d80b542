"""`make bench`: run every benchmark in bench/ and write docs/benchmarks.md from their results.

Each benchmark prints its own figures and ratios against a baseline measured in the same run, and writes them to
bench/results/<name>.json: {"title": ..., "command": ..., "figures": {name: value}, "goals": [{"goal", "met"}],
"notes": [...]}. Plain dicts of figures are accepted too.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
ORDER = [
    "fetching",
    "extraction",
    "dedupe",
    "tagging",
    "relations",
    "loading",
    "aggregates",
    "search",
    "end_to_end",
    "airflow_overhead",
]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def run(names: list[str]) -> dict[str, float]:
    took = {}
    for name in names:
        script = BENCH / f"{name}.py"
        print(f"\n=== bench/{name}.py", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=ROOT)
        took[name] = time.monotonic() - started
        if result.returncode != 0:
            print(f"bench/{name}.py exited with {result.returncode}", file=sys.stderr)
    return took


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def section(name: str, data: dict) -> list[str]:
    figures = data.get("figures", data if "figures" not in data else {})
    lines = [f"## {data.get('title', name)}", ""]
    if data.get("command"):
        lines += [f"Command: `{data['command']}`", ""]
    if data.get("markdown"):
        lines += [data["markdown"], ""]
    flat = {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}
    if flat:
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in flat.items()]
        lines.append("")
    for goal in data.get("goals", []):
        mark = "met" if goal.get("met") else "NOT met"
        lines.append(
            f"- Goal: {goal['goal']}: **{mark}**" + (f" ({goal['note']})" if goal.get("note") else "")
        )
    for note in data.get("notes", []):
        lines.append(f"- {note}")
    lines.append("")
    return lines


def write_doc() -> Path:
    out = ROOT / "docs" / "benchmarks.md"
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `make bench` on {machine()}.",
        "The machine is shared and noisy: every figure is a ratio against a baseline measured in the same run,",
        "or an absolute figure with its goal. Rerun with `make bench`; single benchmarks with `.venv/bin/python bench/<name>.py`.",
        "",
    ]
    found = {p.stem: p for p in RESULTS.glob("*.json")}
    for name in ORDER + sorted(set(found) - set(ORDER)):
        if name in found:
            lines += section(name, json.loads(found[name].read_text()))
    out.write_text("\n".join(lines))
    return out


def main(argv: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    available = [p.stem for p in BENCH.glob("*.py") if p.stem != "run_all" and not p.stem.startswith("_")]
    names = [n for n in ORDER if n in available] + sorted(set(available) - set(ORDER))
    if argv:
        names = [n for n in names if n in argv]
    run(names)
    print(f"\nwrote {write_doc()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
