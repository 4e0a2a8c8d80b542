"""Per-item caps: `newsmon run --once` over a hostile feed on loopback, peak memory and time.

The hostile feed has an item whose title is 9 MB of "China " (its page is gone, so the feed's title is used) and an
item whose page is 5 MB of "China ". Without caps this made 1.5 million mention rows and 6.1 GB peak memory.
Baseline: the same feed with a normal title and page, measured in the same run. Each run is its own process
(`newsmon run --once`, one shard), its peak resident memory read with getrusage(RUSAGE_CHILDREN) by a wrapper
process of its own.

    .venv/bin/python bench/hostile_item.py        # writes bench/results/hostile_item.json
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TITLE_BYTES = 9 * 1024 * 1024
PAGE_BYTES = 5 * 1024 * 1024
GOAL_RSS_MIB = 2048
GOAL_SECONDS = 60

# Runs one command and prints its peak RSS (KiB on Linux) and wall time: the caller's own memory stays out.
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.monotonic(); code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.monotonic() - t)\n"
)


def _feed(base: str, title: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Hostile</title>'
        f"<link>{base}/</link>"
        f"<item><guid>{base}/gone</guid><title>{title}</title><link>{base}/gone</link>"
        "<description>Short summary of the story.</description></item>"
        f"<item><guid>{base}/page</guid><title>Harbour news</title><link>{base}/page</link>"
        "<description>Short summary of the page.</description></item>"
        "</channel></rss>"
    ).encode()


def _page(paragraph: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Harbour news</title></head><body>"
        f"<article><h1>Harbour news</h1><p>{paragraph}</p></article></body></html>"
    ).encode()


def serve(routes: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"gone"
            self.send_header("Content-Type", "application/rss+xml" if self.path == "/rss" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(work: Path, name: str, title: str, paragraph: str) -> dict:
    routes: dict[str, bytes] = {}
    server, base = serve(routes)
    try:
        routes["/rss"] = _feed(base, title)
        routes["/page"] = _page(paragraph)
        feeds = work / f"{name}.yaml"
        feeds.write_text(f"feeds:\n  - name: {name}\n    url: {base}/rss\n    language: en\n")
        data = work / f"{name}-data"
        env = {
            **os.environ,
            "NEWSMON_DATA_DIR": str(data),
            "NEWSMON_ALLOW_HOSTS": "127.0.0.0/8",
            "NEWSMON_SHARDS": "1",
            "NEWSMON_ROBOTS": "0",
            "NEWSMON_HOST_SPACING": "0",
        }
        newsmon = [
            sys.executable,
            "-m",
            "newsmon.cli",
            "run",
            "--once",
            "--no-progress",
            "--feeds",
            str(feeds),
        ]
        out = subprocess.run(
            [sys.executable, "-c", WRAPPER, *newsmon], env=env, capture_output=True, text=True, check=True
        )
        code, rss_kib, seconds = out.stdout.strip().splitlines()[-1].split()
    finally:
        server.shutdown()
        server.server_close()
    con = duckdb.connect(str(data / "newsmon.duckdb"), read_only=True)
    try:
        articles, longest_title, longest_text = con.execute(
            "SELECT count(*), max(length(title)), max(length(text)) FROM articles"
        ).fetchone()
        mentions = con.execute("SELECT count(*) FROM mentions").fetchone()[0]
        cn_day = con.execute(
            "SELECT coalesce(max(mentions), 0) FROM daily_country WHERE country = 'CN'"
        ).fetchone()[0]
    finally:
        con.close()
    print(out.stdout.strip())
    return {
        "exit": int(code),
        "peak_rss_mib": round(int(rss_kib) / 1024, 1),
        "seconds": round(float(seconds), 2),
        "articles": articles,
        "longest_title": longest_title,
        "longest_text": longest_text,
        "mention_rows": mentions,
        "cn_mentions_in_a_day": cn_day,
    }


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="newsmon-hostile-") as tmp:
        work = Path(tmp)
        base = measure(
            work, "baseline", "China and Russia sign a ferry deal", "China sent a delegation. " * 40
        )
        reps = TITLE_BYTES // len("China ")
        hostile = measure(work, "hostile", "China " * reps, "China " * (PAGE_BYTES // len("China ") - 100))
    figures = {f"hostile_{k}": v for k, v in hostile.items()} | {f"baseline_{k}": v for k, v in base.items()}
    figures["rss_vs_baseline"] = round(hostile["peak_rss_mib"] / base["peak_rss_mib"], 2)
    figures["time_vs_baseline"] = round(hostile["seconds"] / base["seconds"], 2)
    result = {
        "title": "Per-item caps: a hostile feed (9 MB title, 5 MB page) through newsmon run --once",
        "command": ".venv/bin/python bench/hostile_item.py",
        "figures": figures,
        "goals": [
            {"goal": f"peak memory under {GOAL_RSS_MIB} MiB", "met": hostile["peak_rss_mib"] < GOAL_RSS_MIB},
            {"goal": f"run under {GOAL_SECONDS} s", "met": hostile["seconds"] < GOAL_SECONDS},
            {
                "goal": "both items stored, exit status 0",
                "met": hostile["articles"] == 2 and hostile["exit"] == 0,
            },
        ],
        "notes": [
            "Before the caps (issue 11, finding 9) the 9 MB title alone made 1.5 million mention rows and 6.1 GB peak.",
            "Caps (settings): max_title_chars 1000, max_text_chars 200000, max_mentions_per_article 2000, "
            "max_mentions_per_country 500; each counted in the run summary's `adjusted` line when it bites.",
            "Baseline: the same two-item feed with an ordinary title and a 1 KB page, in the same run.",
        ],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile_item.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0 if all(g["met"] for g in result["goals"]) else 1


if __name__ == "__main__":
    sys.exit(main())
