"""A fetch shard keeps fetch_workers page requests in flight but runs the CPU-bound part of an item (extract,
clean, tag, hash) in at most fetch_cpu_threads threads at once (pipeline.process_item)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from helpers_fetch import Handler, LoopbackServer, Reply
from newsmon.pipeline import fetch_shard

WORKERS = 4
ITEMS = 12
WAIT = 30.0  # seconds a barrier waits for its parties: far more than a loaded machine needs


def _paragraph(n: int, k: int) -> str:
    return (
        f"Story {n}, paragraph {k}: the harbour council met on Tuesday to discuss the ferry timetable, the "
        "repair of the old bridge and the budget for the winter market, and residents asked many questions."
    )


class Newsroom:
    """One feed of ITEMS article pages; the first WORKERS page requests are answered only once all of them
    have arrived, so the fetch passes only if that many requests were in flight at the same time."""

    def __init__(self, server: LoopbackServer):
        self.server = server
        self.in_flight = threading.Barrier(WORKERS, timeout=WAIT)
        self.broken = False
        self.pages = 0
        self._lock = threading.Lock()
        server.routes["/rss.xml"] = self._feed
        for n in range(ITEMS):
            server.routes[f"/story-{n}"] = lambda h, n=n: self._page(h, n)

    def _feed(self, h: Handler) -> Reply:
        items = "".join(
            f"<item><guid>s{n}</guid><title>Story {n}</title><link>{self.server.url(f'/story-{n}')}</link>"
            f"<pubDate>Mon, 30 Nov 2026 10:{n:02d}:00 +0000</pubDate></item>"
            for n in range(ITEMS)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
        return Reply(200, body.encode(), {"Content-Type": "application/rss+xml"})

    def _page(self, h: Handler, n: int) -> Reply:
        with self._lock:
            self.pages += 1
            gated = self.pages <= WORKERS
        if gated:
            try:
                self.in_flight.wait()
            except threading.BrokenBarrierError:
                self.broken = True
        paragraphs = "".join(f"<p>{_paragraph(n, k)}</p>" for k in range(4))
        html = f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>{paragraphs}</article></body></html>"
        return Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


class Occupancy:
    """Wraps clean_page: counts the threads inside it at once (the most seen), and optionally holds each of
    the first `together` callers until that many are inside together."""

    def __init__(self, real, together: int = 1):
        self.real = real
        self.inside = self.most = 0
        self._lock = threading.Lock()
        self.together = threading.Barrier(together, timeout=WAIT) if together > 1 else None
        self.met = False

    def __call__(self, *args, **kwargs):
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            if self.together is not None and not self.met:
                self.together.wait()
                self.met = True
            time.sleep(0.005)  # lets any other thread that could enter now do so (the sleep frees the GIL)
            return self.real(*args, **kwargs)
        finally:
            with self._lock:
                self.inside -= 1


@pytest.fixture
def shard_env(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", "127.0.0.0/8")
    monkeypatch.setenv("NEWSMON_HOST_SPACING", "0")
    monkeypatch.setenv("NEWSMON_READ_TIMEOUT", str(WAIT + 10))
    monkeypatch.setenv("NEWSMON_FETCH_WORKERS", str(WORKERS))
    with LoopbackServer() as server:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(
            json.dumps({"feeds": [{"name": "harbour", "url": server.url("/rss.xml"), "source": "Harbour"}]}),
            encoding="utf-8",
        )
        monkeypatch.setenv("NEWSMON_FEEDS", str(feeds_file))
        yield server


@pytest.mark.parametrize("cpu_threads", [1, 2])
def test_page_requests_run_in_every_worker_while_cleaning_runs_in_at_most_cpu_threads(
    shard_env, monkeypatch, cpu_threads
):
    import newsmon.clean

    newsroom = Newsroom(shard_env)
    occupancy = Occupancy(newsmon.clean.clean_page, together=cpu_threads)
    monkeypatch.setattr(newsmon.clean, "clean_page", occupancy)
    monkeypatch.setenv("NEWSMON_FETCH_CPU_THREADS", str(cpu_threads))
    report = fetch_shard(["harbour"], "threads")
    assert not newsroom.broken, f"{WORKERS} page requests were never in flight at once"
    assert report["pages_ok"] == ITEMS and report["items"] == ITEMS
    assert occupancy.most == cpu_threads  # reached (the barrier saw them together) and never exceeded
