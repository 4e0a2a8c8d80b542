"""Fetching: 500 feeds of 50 items on loopback "hosts" with 50-300 ms latency, a few slow or dead hosts.

newsmon's `fetch_many` (thread pool, per-host spacing, conditional GET) on a first run and a repeat run (most feeds
not modified, the server honours ETag), in one process and in the pipeline's layout (shard processes), against
the typical pipeline: `feedparser.parse(url)` one feed after another. The baseline is measured on a sample (50
ordinary feeds plus every slow and dead feed) and extrapolated to all 500, which the output states.

    .venv/bin/python bench/fetching.py [--feeds 500] [--sample 50] [--workers 16]

The feed farm runs in its own process (the server's CPU must not share our GIL) and binds one server per host
address 127.0.0.x; bytes are counted on the server side (status line, headers and body).
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import os
import random
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

import feedparser  # noqa: E402
from newsmon.config import Settings  # noqa: E402
from newsmon.feeds import FeedStateStore, commit_states, fetch_many  # noqa: E402
from newsmon.http import HttpClient  # noqa: E402
from newsmon.models import FeedConfig  # noqa: E402
from newsmon.pipeline import plan_shards  # noqa: E402

ITEMS = 50
FEEDS_PER_HOST = 2  # 500 feeds on 250 hosts: real feed lists share hosts about this much
LATENCY = (0.05, 0.30)
SLOW_LATENCY = 2.5
TIMEOUT = 5.0  # connect and read timeout, the same for newsmon and the baseline
CHANGED_SHARE = 0.05  # feeds with new items between the first and the repeat run
NEW_ITEMS = 5
WORDS = "summit trade minister talks energy pipeline sanctions market grain port border visit treaty envoy".split()


# ---------------------------------------------------------------------------------------------------- the farm


def feed_xml(feed_id: int, version: int) -> bytes:
    """A synthetic RSS feed of ITEMS items; each version adds NEW_ITEMS at the top."""
    rng = random.Random(feed_id)
    newest = version * NEW_ITEMS + ITEMS
    items = []
    for n in range(newest, newest - ITEMS, -1):
        words = " ".join(rng.choice(WORDS) for _ in range(45))
        when = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=7 * n)
        items.append(
            f"<item><title>Story {n} of feed {feed_id}: {' '.join(words.split()[:8])}</title>"
            f"<link>https://site{feed_id}.example/news/{n}</link><guid>https://site{feed_id}.example/news/{n}</guid>"
            f"<description>&lt;p&gt;{words}.&lt;/p&gt;</description><pubDate>{format_datetime(when)}</pubDate>"
            f"<dc:creator>Reporter {n % 17}</dc:creator></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Feed {feed_id}</title><link>https://site{feed_id}.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


class Farm:
    """Runs in a child process: one ThreadingHTTPServer per 127.0.0.x, feeds with ETags, a byte counter."""

    def __init__(self, n_feeds: int, seed: int = 7):
        rng = random.Random(seed)
        self.hosts = (n_feeds + FEEDS_PER_HOST - 1) // FEEDS_PER_HOST
        self.kind = {1: "blackhole", 2: "refused", 3: "slow", 4: "slow", 5: "slow"}
        self.latency = {f: rng.uniform(*LATENCY) for f in range(n_feeds)}
        self.version = dict.fromkeys(range(n_feeds), 0)
        self.bodies: dict[tuple[int, int], tuple[bytes, bytes]] = {}
        self.sent = 0
        self.lock = threading.Lock()
        self.urls: list[tuple[str, str]] = []  # (url, host kind)
        self.servers, self.sockets = [], []
        ports = {}
        for h in range(1, self.hosts + 1):
            addr = f"127.0.0.{h}"
            if self.kind.get(h) == "blackhole":  # accepts connections, never answers
                sock = socket.socket()
                sock.bind((addr, 0))
                sock.listen(64)
                self.sockets.append(sock)
                ports[h] = sock.getsockname()[1]
            elif self.kind.get(h) == "refused":  # nobody listens
                with socket.socket() as sock:
                    sock.bind((addr, 0))
                    ports[h] = sock.getsockname()[1]
            else:
                server = ThreadingHTTPServer((addr, 0), self._handler())
                server.daemon_threads = True
                self.servers.append(server)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                ports[h] = server.server_address[1]
        for f in range(n_feeds):
            h = f // FEEDS_PER_HOST + 1
            self.urls.append((f"http://127.0.0.{h}:{ports[h]}/feeds/{f}.xml", self.kind.get(h, "normal")))

    def body(self, feed_id: int) -> tuple[bytes, bytes]:
        key = (feed_id, self.version[feed_id])
        if key not in self.bodies:
            raw = feed_xml(*key)
            self.bodies[key] = (raw, gzip.compress(raw, 6))
        return self.bodies[key]

    def _handler(farm):  # noqa: N805 (the farm, seen from inside the handler class)
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def end_headers(self):
                with farm.lock:
                    farm.sent += sum(len(b) for b in self._headers_buffer) + 2
                super().end_headers()

            def do_GET(self):  # noqa: N802
                try:
                    feed_id = int(self.path.rsplit("/", 1)[1].split(".")[0])
                    host = feed_id // FEEDS_PER_HOST + 1
                except (ValueError, IndexError):
                    self.send_error(404)
                    return
                time.sleep(SLOW_LATENCY if farm.kind.get(host) == "slow" else farm.latency[feed_id])
                etag = f'"{feed_id}-{farm.version[feed_id]}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                raw, packed = farm.body(feed_id)
                gz = "gzip" in (self.headers.get("Accept-Encoding") or "")
                payload = packed if gz else raw
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", etag)
                if gz:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                with farm.lock:
                    farm.sent += len(payload)

        return Handler


def farm_main(n_feeds: int, conn) -> None:
    farm = Farm(n_feeds)
    for f in range(n_feeds):  # build bodies before anyone measures
        farm.body(f)
    conn.send(farm.urls)
    while True:
        command = conn.recv()
        if command == "bytes":
            with farm.lock:
                conn.send(farm.sent)
                farm.sent = 0
        elif command == "bump":
            changed = random.Random(11).sample(range(n_feeds), int(n_feeds * CHANGED_SHARE))
            for f in changed:
                farm.version[f] += 1
                farm.body(f)
            conn.send(len(changed))
        elif command == "reset":
            farm.version = dict.fromkeys(range(n_feeds), 0)
            conn.send("ok")
        elif command == "stop":
            conn.send("bye")
            return


# ---------------------------------------------------------------------------------------------------- runs


def bench_settings(workers: int) -> Settings:
    return Settings(
        allow_hosts=["127.0.0.0/8"],
        connect_timeout=TIMEOUT,
        read_timeout=TIMEOUT,
        host_spacing=1.0,
        fetch_workers=workers,
        max_items_per_feed=100,
    )


def fetch_shard_feeds(feeds: list[FeedConfig], state_dir: str, now: datetime, workers: int) -> list[tuple]:
    """One shard as the pipeline runs it: a fresh client and fetch_many over the shard's feeds."""
    with HttpClient(bench_settings(workers)) as client:
        store = FeedStateStore(state_dir)
        results = fetch_many(client, feeds, store, now, workers)
        commit_states(store, feeds, results)  # as fetch_shard does once the batch is staged
    return [(r.feed, r.status, len(r.items)) for r in results]


def newsmon_run(feeds, state_dir: str, now: datetime, workers: int, pool=None, shards: int = 1):
    """Wall time and (feed, status, new items) per feed; a new client per run, like a new pipeline run."""
    started = time.monotonic()
    if pool is None:
        rows = fetch_shard_feeds(feeds, state_dir, now, workers)
    else:
        by_name = {f.name: f for f in feeds}
        plan = [s for s in plan_shards(feeds, shards) if s]
        futures = [
            pool.submit(fetch_shard_feeds, [by_name[n] for n in names], state_dir, now, workers)
            for names in plan
        ]
        rows = [row for fut in futures for row in fut.result()]
    return time.monotonic() - started, rows


def first_and_repeat(parent, feeds, now, workers, pool=None, shards=1) -> dict:
    parent.send("reset")
    parent.recv()
    with tempfile.TemporaryDirectory() as state_dir:
        parent.send("bytes")
        parent.recv()
        first_s, first = newsmon_run(feeds, state_dir, now, workers, pool, shards)
        parent.send("bytes")
        first_bytes = parent.recv()
        parent.send("bump")
        changed = parent.recv()
        repeat_s, repeat = newsmon_run(feeds, state_dir, now + timedelta(minutes=30), workers, pool, shards)
        parent.send("bytes")
        repeat_bytes = parent.recv()
    return {
        "first_s": first_s,
        "first_status": Counter(status for _, status, _ in first),
        "first_items": sum(n for *_, n in first),
        "first_bytes": first_bytes,
        "repeat_s": repeat_s,
        "repeat_status": Counter(status for _, status, _ in repeat),
        "repeat_items": sum(n for *_, n in repeat),
        "repeat_bytes": repeat_bytes,
        "changed": changed,
    }


def report(label: str, r: dict) -> None:
    print(
        f"{label} first run : {r['first_s']:6.2f} s  {dict(r['first_status'])}  items {r['first_items']}  "
        f"{r['first_bytes'] / 1e6:.2f} MB sent",
        flush=True,
    )
    print(
        f"{label} repeat run: {r['repeat_s']:6.2f} s  {dict(r['repeat_status'])}  new items {r['repeat_items']}  "
        f"{r['repeat_bytes'] / 1e6:.3f} MB sent ({r['changed']} feeds changed)",
        flush=True,
    )


def baseline_run(urls: list[str]) -> tuple[float, list[float], int]:
    """feedparser.parse(url) one after another (socket timeout set, or a dead host would hang it forever)."""
    socket.setdefaulttimeout(TIMEOUT)
    times, entries = [], 0
    try:
        for url in urls:
            started = time.monotonic()
            try:
                entries += len(feedparser.parse(url).entries)
            except OSError:  # feedparser lets a socket timeout through; a pipeline logs it and goes on
                pass
            times.append(time.monotonic() - started)
    finally:
        socket.setdefaulttimeout(None)
    return sum(times), times, entries


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--sample", type=int, default=50, help="ordinary feeds in the baseline sample")
    ap.add_argument("--workers", type=int, default=16, help="threads per shard (settings.fetch_workers)")
    args = ap.parse_args(argv)
    shards = max(1, min(Settings().shards, os.cpu_count() or 1))  # what run_once uses on this machine

    parent, child = mp.Pipe()
    farm = mp.Process(target=farm_main, args=(args.feeds, child), daemon=True)
    farm.start()
    urls: list[tuple[str, str]] = parent.recv()
    feeds = [FeedConfig(f"feed{i:04d}", url, f"source{i}") for i, (url, _) in enumerate(urls)]
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    hosts = len({u.split("/")[2] for u, _ in urls})
    print(
        f"{args.feeds} feeds x {ITEMS} items on {hosts} hosts, latency {LATENCY[0] * 1000:.0f}-"
        f"{LATENCY[1] * 1000:.0f} ms, {sum(k == 'slow' for _, k in urls)} feeds on slow hosts ({SLOW_LATENCY} s), "
        f"{sum(k in ('blackhole', 'refused') for _, k in urls)} on dead hosts; timeouts {TIMEOUT} s; "
        f"host spacing 1 s",
        flush=True,
    )

    # Baseline sample: ordinary feeds spread over the list, plus every slow or dead feed. Half of the ordinary
    # sample runs before newsmon and half after, so a change in the machine's load hits both sides alike.
    ordinary = [u for u, k in urls if k == "normal"]
    special = [u for u, k in urls if k != "normal"]
    sample = ordinary[:: max(1, len(ordinary) // args.sample)][: args.sample]
    parent.send("bytes")
    parent.recv()
    before_s, _, before_entries = baseline_run(sample[::2])
    parent.send("bytes")
    baseline_sample_bytes = parent.recv()

    # 1. fetch_many in one process with as many threads as the pipeline runs in total: the helper itself.
    single = first_and_repeat(parent, feeds, now, args.workers * shards)
    report(f"fetch_many, 1 process x {args.workers * shards} threads,", single)
    # 2. The pipeline's layout (`newsmon run --once`): shards in worker processes, fetch_workers threads each.
    #    The processes are started (and have imported newsmon) before the clock starts, like Airflow workers.
    with ProcessPoolExecutor(shards, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(time.sleep, [0.01] * shards))
        piped = first_and_repeat(parent, feeds, now, args.workers, pool, shards)
    report(f"pipeline layout, {shards} shards x {args.workers} threads,", piped)

    parent.send("reset")
    parent.recv()
    parent.send("bytes")
    parent.recv()
    after_s, _, after_entries = baseline_run(sample[1::2])
    special_s, _, _ = baseline_run(special)
    parent.send("bytes")
    baseline_sample_bytes += parent.recv()
    parent.send("stop")
    parent.recv()
    farm.join(timeout=5)
    sample_s, sample_entries = before_s + after_s, before_entries + after_entries
    per_ordinary = sample_s / len(sample)
    baseline_s = per_ordinary * len(ordinary) + special_s

    # The headline is the pipeline's own layout: that is how newsmon fetches; fetch_many alone is shown beside it.
    speedup = baseline_s / piped["first_s"]
    speedup_single = baseline_s / single["first_s"]
    repeat_share = piped["repeat_bytes"] / max(1, piped["first_bytes"])
    print(
        f"baseline feedparser.parse(url), sequential: {len(sample)} ordinary feeds took {sample_s:.2f} s "
        f"({per_ordinary * 1000:.0f} ms each, {sample_entries} entries), {len(special)} slow/dead feeds "
        f"{special_s:.2f} s; extrapolated to {args.feeds} feeds: {baseline_s:.1f} s"
    )
    print(
        f"first run  : {speedup:5.1f}x faster than the baseline as the pipeline fetches ({shards} shards x "
        f"{args.workers} threads; goal >= 20x); {speedup_single:.1f}x with fetch_many in one process"
    )
    print(f"repeat run : transfers {repeat_share:.1%} of the first run's bytes (goal < 10%)")

    def figures_of(prefix: str, r: dict) -> dict:
        return {
            f"{prefix}first_run_s": round(r["first_s"], 3),
            f"{prefix}first_run_feeds_per_s": round(args.feeds / r["first_s"], 1),
            f"{prefix}repeat_run_s": round(r["repeat_s"], 3),
            f"{prefix}repeat_bytes_share": round(r["repeat_bytes"] / max(1, r["first_bytes"]), 4),
        }

    figures = {
        "feeds": args.feeds,
        "items_per_feed": ITEMS,
        "hosts": hosts,
        "shards": shards,
        "threads_per_shard": args.workers,
        "host_spacing_s": 1.0,
        "timeout_s": TIMEOUT,
        **figures_of("", piped),
        "first_run_ok": piped["first_status"].get("ok", 0),
        "first_run_failed": piped["first_status"].get("failed", 0),
        "first_run_items": piped["first_items"],
        "first_run_bytes": piped["first_bytes"],
        "repeat_run_not_modified": piped["repeat_status"].get("not_modified", 0),
        "repeat_run_changed_feeds": piped["changed"],
        "repeat_run_new_items": piped["repeat_items"],
        "repeat_run_bytes": piped["repeat_bytes"],
        "baseline_sample_feeds": len(sample) + len(special),
        "baseline_ms_per_ordinary_feed": round(per_ordinary * 1000, 1),
        "baseline_slow_dead_feeds_s": round(special_s, 3),
        "baseline_extrapolated_s": round(baseline_s, 1),
        "baseline_sample_bytes": baseline_sample_bytes,
        "first_run_speedup": round(speedup, 1),
        "one_process_threads": args.workers * shards,
        **figures_of("one_process_", single),
        "one_process_first_run_speedup": round(speedup_single, 1),
    }
    result = {
        "title": f"Fetching: {args.feeds} feeds on a loopback farm",
        "command": ".venv/bin/python bench/fetching.py",
        "figures": figures,
        "goals": [
            {
                "goal": "first run at least 20x faster than sequential feedparser.parse(url)",
                "met": speedup >= 20,
                "note": f"{speedup:.1f}x as the pipeline fetches; {speedup_single:.1f}x with fetch_many in one process",
            },
            {
                "goal": "repeat run transfers under 10% of the first run's bytes",
                "met": repeat_share < 0.10,
                "note": f"{repeat_share:.1%}",
            },
        ],
        "notes": [
            f"Baseline measured on {len(sample)} ordinary feeds (half before, half after the newsmon runs) plus "
            f"all {len(special)} slow/dead feeds, extrapolated to {args.feeds} feeds (ordinary feeds x per-feed "
            "time + slow/dead feeds as measured).",
            f"Both sides use {TIMEOUT:g} s timeouts (feedparser through socket.setdefaulttimeout) and gzip.",
            f"As the pipeline fetches (`newsmon run --once`): {shards} shard processes (one per core, each host in "
            f"one shard) x {args.workers} threads (settings.fetch_workers), processes started before the clock. "
            f"Beside it, fetch_many alone: one process, {args.workers * shards} threads. A new client per run.",
            "The machine is shared and noisy: during development the same code measured 19x to 53x on this benchmark "
            "(the baseline alone moved between 230 and 540 ms per feed); half the baseline sample runs before "
            "and half after newsmon to share the load.",
            "The floor is the dead hosts: a host that accepts connections and never answers costs one read "
            "timeout (its other feeds wait for that first answer, then are skipped), and a slow host's second "
            "feed starts only after its first answered: about 5 s however many threads. With 16 threads per "
            "shard, slow hosts that come late in a shard's order also start late.",
            "The farm runs in a separate process; bytes are counted by the server (status line, headers, body).",
            f"Repeat run 30 minutes later: {piped['changed']} feeds ({CHANGED_SHARE:.0%}) gained {NEW_ITEMS} "
            "items each; the rest answer 304 to If-None-Match.",
        ],
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "fetching.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
