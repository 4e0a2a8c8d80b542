"""Ingest never loses an article (issue 11): the real pipeline against outlets on a loopback server.

- feed state is committed only after the batch holding its items is durably staged: SIGKILL, SIGTERM, a full
  disk while staging, or a damaged state file, and one ordinary rerun holds every article exactly once;
- GUIDs are unique per feed, not across outlets;
- items over max_items_per_feed are taken newest first and the rest carried to the next run, with a count;
- 410 retires a feed only when it persists; a feed with a changing query string in its links stores no copies.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import duckdb
import pytest
from helpers_fetch import Handler, LoopbackServer, Reply
from newsmon.config import paths as get_paths
from newsmon.feeds import FeedStateStore
from newsmon.models import FeedConfig
from newsmon.pipeline import fetch_shard, format_summary, load_and_publish, run_once

WORDS = (
    "harbour council ferry bridge river market school library festival budget winter road repair station "
    "tram museum garden bakery fishermen orchard harvest village mayor clinic nurses teachers students "
    "concert choir theatre painter sculptor railway tunnel lighthouse storm flood drought rainfall wind "
    "solar turbine factory workers union strike wages prices bread cheese apples pears grapes wine olive "
    "forest hikers trail mountain glacier lake island coast beach sailors cargo port customs traders"
).split()
T_NEWEST = datetime(2026, 11, 30, 12, tzinfo=UTC)


def story_text(outlet: str, n: int) -> list[str]:
    """Three paragraphs of made-up local news, different for every outlet and number."""
    rng = random.Random(f"{outlet}-{n}")
    return [
        " ".join(rng.choice(WORDS) for _ in range(28)).capitalize() + f" (story {n} of {outlet})."
        for _ in range(3)
    ]


class Outlet:
    """One outlet's feed and article pages. Items are (number, guid or None); links may carry a query."""

    def __init__(self, server: LoopbackServer, slug: str, guids: list[str | None] | None = None):
        self.server, self.slug = server, slug
        self.items: list[tuple[int, str | None]] = [(n, g) for n, g in enumerate(guids or [], 1)]
        self.query = None  # a callable giving the query string of this request's links (cache-busters)
        self.status = 200
        self.fetches = 0
        server.routes[f"/{slug}/rss.xml"] = self._feed
        for n, _ in self.items:
            self.add_page(n)

    def add_page(self, n: int) -> None:
        self.server.routes[f"/{self.slug}/story-{n}"] = lambda h, n=n: self._page(h, n)

    def add(self, numbers: list[int], guid=lambda n: None) -> None:
        for n in numbers:
            self.items.append((n, guid(n)))
            self.add_page(n)

    def link(self, n: int) -> str:
        return self.server.url(f"/{self.slug}/story-{n}")

    def title(self, n: int) -> str:
        return f"{self.slug.title()} story {n}"

    def published(self, n: int) -> datetime:
        return T_NEWEST - timedelta(hours=n)  # story 1 is the newest

    def _feed(self, h: Handler) -> Reply:
        self.fetches += 1
        if self.status != 200:
            return Reply(self.status, b"gone")
        query = f"?{self.query(self.fetches)}" if self.query else ""
        entries = []
        for n, guid in self.items:
            guid_el = f'<guid isPermaLink="false">{escape(guid)}</guid>' if guid else ""
            entries.append(
                f"<item>{guid_el}<title>{self.title(n)}</title><link>{escape(self.link(n) + query)}</link>"
                f"<description>{escape(story_text(self.slug, n)[0])}</description>"
                f"<pubDate>{format_datetime(self.published(n))}</pubDate></item>"
            )
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{self.slug}</title>'
            f"<link>{self.server.url('/' + self.slug)}</link>{''.join(entries)}</channel></rss>"
        ).encode()
        return Reply(200, body, {"Content-Type": "application/rss+xml; charset=utf-8"})

    def _page(self, h: Handler, n: int) -> Reply:
        paragraphs = "".join(f"<p>{p}</p>" for p in story_text(self.slug, n))
        html = (
            f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{self.title(n)}</title></head>"
            f"<body><article><h1>{self.title(n)}</h1>{paragraphs}</article></body></html>"
        )
        return Reply(200, html.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def config(self, source: str | None = None) -> dict:
        return {
            "name": self.slug,
            "url": self.server.url(f"/{self.slug}/rss.xml"),
            "source": source or self.slug,
        }


@pytest.fixture
def newsroom(data_dir, tmp_path, monkeypatch):
    """A loopback server for outlets, and a feeds file the pipeline reads (one shard, in this process)."""
    feeds_file = tmp_path / "feeds.yaml"
    monkeypatch.setenv("NEWSMON_FEEDS", str(feeds_file))
    monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", "127.0.0.0/8")
    monkeypatch.setenv("NEWSMON_SHARDS", "1")
    monkeypatch.setenv("NEWSMON_READ_TIMEOUT", "5")
    with LoopbackServer() as server:

        def write(*outlets: Outlet, sources: dict | None = None) -> None:
            entries = [o.config((sources or {}).get(o.slug)) for o in outlets]
            feeds_file.write_text(json.dumps({"feeds": entries}), encoding="utf-8")  # JSON is YAML

        server.write_feeds = write
        yield server


def analyst_rows(sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(get_paths().analyst_db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def stored_links() -> list[str]:
    return sorted(r[0].split("?")[0] for r in analyst_rows("SELECT url FROM articles"))


def assert_each_once(outlets: list[Outlet]) -> None:
    """The property: every article the outlets list is in the analyst database, and exactly once."""
    expected = sorted(o.link(n) for o in outlets for n, _ in o.items)
    assert stored_links() == expected


def state_of(outlet: Outlet):
    return FeedStateStore(get_paths().state / "feeds").load(FeedConfig(**outlet.config()))


# ---------------------------------------------------------------------------------------------------- finding 1


class PageGate:
    """Lets `allowed` article pages through, then holds every further page request until released."""

    def __init__(self, allowed: int):
        self.allowed, self.served = allowed, 0
        self.reached, self.released = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    def wrap(self, server: LoopbackServer) -> None:
        for path, route in list(server.routes.items()):
            if "/story-" in path:
                server.routes[path] = lambda h, route=route: self._through(h, route)

    def _through(self, h: Handler, route) -> Reply:
        with self._lock:
            self.served += 1
            hold = self.served > self.allowed
        if hold:
            self.reached.set()
            self.released.wait(60)
        return route(h)


def _pipeline_process(extra_env: dict | None = None, prefix: list[str] | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "newsmon.cli", "run", "--once", "--no-progress"]
    # Output to files, not pipes: waiting for the process, not for the end of a pipe that some other
    # process of the test session may have inherited, is what tells the run is over.
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        (prefix or []) + command,
        env={**os.environ, **(extra_env or {})},
        stdout=subprocess.DEVNULL,
        stderr=err,
        start_new_session=True,  # its own process group: the kill reaches everything it started
    )
    proc.err_file = err
    return proc


def _finished(proc: subprocess.Popen, timeout: float) -> str:
    """Wait for the run to end; its standard error as text."""
    proc.wait(timeout)
    return _stderr(proc)


def _stderr(proc: subprocess.Popen) -> str:
    proc.err_file.seek(0)
    return proc.err_file.read().decode("utf-8", "replace")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killed_mid_fetch_then_one_rerun_holds_every_article_exactly_once(newsroom, sig):
    outlets = [Outlet(newsroom, "alpha", ["a1", "a2", "a3", "a4"]), Outlet(newsroom, "beta", [None] * 4)]
    newsroom.write_feeds(*outlets)
    gate = PageGate(allowed=3)
    gate.wrap(newsroom)
    proc = _pipeline_process()
    try:
        assert gate.reached.wait(120), f"the pipeline never reached page 4: {_stderr(proc)}"
        os.killpg(proc.pid, sig)
        proc.wait(60)
    finally:
        gate.released.set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert proc.returncode == -sig
    # The killed run committed no feed state: its items were fetched but never staged.
    assert not list((get_paths().state / "feeds").glob("*.json"))
    summary = run_once()
    assert summary["load"]["articles_new"] == 8, format_summary(summary)
    assert_each_once(outlets)
    again = run_once()  # and the state the rerun committed holds: nothing is fetched twice
    assert again["fetch"]["items"] == 0 and again["load"]["articles_new"] == 0
    assert_each_once(outlets)


def test_disk_full_while_staging_then_one_rerun_holds_every_article_exactly_once(newsroom):
    outlets = [Outlet(newsroom, "alpha", ["a1", "a2", "a3"]), Outlet(newsroom, "beta", ["b1", "b2", "b3"])]
    newsroom.write_feeds(*outlets)
    staging = get_paths().ensure().staging
    # The staging folder on a 16 KiB tmpfs in a private mount namespace: the batch cannot fit.
    mount = f'mount -t tmpfs -o size=16k newsmon-full {staging} && exec "$@"'
    proc = _pipeline_process(prefix=["unshare", "--mount", "sh", "-c", mount, "sh"])
    err = _finished(proc, 180)
    assert proc.returncode != 0 and "No space left on device" in err, err
    assert not list((get_paths().state / "feeds").glob("*.json")), "no feed state before the batch is staged"
    summary = run_once()
    assert summary["load"]["articles_new"] == 6, format_summary(summary)
    assert_each_once(outlets)


def test_an_error_while_staging_leaves_the_old_state(newsroom, monkeypatch):
    import errno

    import newsmon.warehouse

    alpha = Outlet(newsroom, "alpha", ["a1", "a2"])
    newsroom.write_feeds(alpha)
    run_once()
    before = state_of(alpha)
    alpha.add([3, 4], guid=lambda n: f"a{n}")
    real = newsmon.warehouse._write_part

    def full_disk(directory, name, rows):
        if name == "mentions":
            raise OSError(errno.ENOSPC, "No space left on device")
        real(directory, name, rows)

    monkeypatch.setattr(newsmon.warehouse, "_write_part", full_disk)
    with pytest.raises(OSError, match="No space left"):
        fetch_shard(["alpha"], "full-disk-run")
    assert state_of(alpha) == before
    assert not [p for p in get_paths().staging.iterdir() if p.name != "loaded"], "no partial batch left"
    monkeypatch.setattr(newsmon.warehouse, "_write_part", real)
    report = fetch_shard(["alpha"], "rerun")
    assert report["items"] == 2
    load_and_publish([report["batch"]])
    assert_each_once([alpha])


def test_killed_after_staging_before_the_state_is_saved_the_rerun_keeps_each_article_once(
    newsroom, monkeypatch
):
    import newsmon.feeds

    outlets = [Outlet(newsroom, "alpha", ["a1", "a2"]), Outlet(newsroom, "beta", [None, None])]
    newsroom.write_feeds(*outlets)

    def killed(*args):
        raise SystemExit("killed between staging and the state save")

    real = newsmon.feeds.commit_states
    monkeypatch.setattr(newsmon.feeds, "commit_states", killed)
    with pytest.raises(SystemExit):
        fetch_shard(["alpha", "beta"], "killed-run")
    staged = [p for p in get_paths().staging.iterdir() if p.name != "loaded"]
    assert len(staged) == 1 and (staged[0] / "_COMPLETE").exists()
    monkeypatch.setattr(newsmon.feeds, "commit_states", real)
    summary = run_once()  # fetches the four items again and loads both batches
    assert summary["load"]["articles_new"] == 4, format_summary(summary)
    assert summary["load"]["rejected"] == {"duplicate_url": 4}
    assert_each_once(outlets)


def test_a_bad_value_in_one_state_file_does_not_stop_the_other_feeds(newsroom):
    alpha, beta = Outlet(newsroom, "alpha", ["a1", "a2"]), Outlet(newsroom, "beta", ["b1", "b2"])
    newsroom.write_feeds(alpha, beta)
    run_once()
    store = FeedStateStore(get_paths().state / "feeds")
    path = store.path_for("alpha")
    raw = json.loads(path.read_text())
    raw.update(items_seen="lots", last_http_status="200", consecutive_failures=-3, seen_ids="a1")
    raw.update(next_due_at="9999-01-01T00:00:00+00:00")  # parked for ever by a hand edit
    path.write_text(json.dumps(raw))
    alpha.add([3], guid=lambda n: f"a{n}")
    beta.add([3, 4], guid=lambda n: f"b{n}")
    summary = run_once()
    assert summary["fetch"]["feeds"] == {"ok": 2}, format_summary(summary)
    assert_each_once([alpha, beta])
    repaired = state_of(alpha)
    assert isinstance(repaired.items_seen, int) and repaired.consecutive_failures == 0
    assert "a3" in repaired.seen_ids and isinstance(repaired.last_http_status, int)


# ---------------------------------------------------------------------------------------------------- finding 2


def test_guids_are_unique_per_feed_not_across_outlets(newsroom):
    alpha = Outlet(newsroom, "alpha", ["1", "2", "3"])
    beta = Outlet(newsroom, "beta", ["1", "2", "3"])  # the same GUIDs, other articles
    newsroom.write_feeds(alpha, beta, sources={"alpha": "Alpha Post", "beta": "Beta Times"})
    summary = run_once()
    assert summary["load"]["rejected"].get("duplicate_guid", 0) == 0, format_summary(summary)
    assert_each_once([alpha, beta])
    # Within one feed a GUID still names one article: its state lost, the feed moves item 1 to a new address.
    for path in (get_paths().state / "feeds").glob("*.json"):
        path.unlink()
    newsroom.routes["/alpha/story-1-moved"] = newsroom.routes["/alpha/story-1"]
    alpha.link = lambda n, link=alpha.link: link(n) + ("-moved" if n == 1 else "")
    again = run_once()
    assert again["load"]["rejected"].get("duplicate_guid") == 1, format_summary(again)
    assert analyst_rows("SELECT count(*) FROM articles")[0][0] == 6


# ---------------------------------------------------------------------------------------------------- finding 4


def test_items_over_the_cap_are_taken_newest_first_and_the_rest_on_later_runs(newsroom, monkeypatch):
    monkeypatch.setenv("NEWSMON_MAX_ITEMS_PER_FEED", "4")
    busy = Outlet(newsroom, "busy")
    busy.add([7, 2, 9, 4, 1, 10, 3, 8, 5, 6], guid=lambda n: f"busy-{n}")  # not in date order
    newsroom.write_feeds(busy)
    first = run_once()
    assert first["fetch"]["items"] == 4 and first["fetch"]["items_deferred"] == 6
    assert "deferred   6 new items" in format_summary(first)
    assert stored_links() == sorted(busy.link(n) for n in (1, 2, 3, 4))  # story 1 is the newest
    assert analyst_rows("SELECT items_deferred FROM feed_health WHERE feed = 'busy'") == [(6,)]
    assert state_of(busy).items_deferred == 6
    second = run_once()
    assert second["fetch"]["items_deferred"] == 2
    assert stored_links() == sorted(busy.link(n) for n in range(1, 9))
    third = run_once()
    assert third["fetch"]["items"] == 2 and third["fetch"]["items_deferred"] == 0
    assert_each_once([busy])
    assert analyst_rows("SELECT items_deferred FROM feed_health WHERE feed = 'busy'") == [(0,)]
    assert run_once()["fetch"]["feeds"] == {"not_modified": 1}  # caught up: the body hash is remembered again


# ---------------------------------------------------------------------------------------------------- finding 12


def _make_due(outlet: Outlet) -> None:
    """As if the backoff had passed: the feed is due now."""
    store = FeedStateStore(get_paths().state / "feeds")
    state = state_of(outlet)
    state.next_due_at = None
    store.save(state, FeedConfig(**outlet.config()))


def test_a_single_410_does_not_retire_a_feed_and_a_persistent_one_is_revived_by_success(newsroom):
    alpha = Outlet(newsroom, "alpha", ["a1", "a2"])
    newsroom.write_feeds(alpha)
    alpha.status = 410
    assert run_once()["fetch"]["feeds"] == {"failed": 1}
    assert not state_of(alpha).retired
    _make_due(alpha)
    alpha.status = 200
    assert run_once()["load"]["articles_new"] == 2
    assert (state_of(alpha).retired, state_of(alpha).consecutive_gone) == (False, 0)
    alpha.status = 410
    outcomes = []
    for _ in range(3):
        _make_due(alpha)
        outcomes.append(next(iter(run_once()["fetch"]["feeds"])))
    assert outcomes == ["failed", "failed", "retired"] and state_of(alpha).retired
    fetches = alpha.fetches
    assert run_once()["fetch"]["feeds"] == {"retired": 1} and alpha.fetches == fetches  # not asked
    alpha.status = 200
    alpha.add([3], guid=lambda n: f"a{n}")
    _make_due(alpha)  # the weekly check of a retired feed
    assert run_once()["load"]["articles_new"] == 1
    assert not state_of(alpha).retired
    assert_each_once([alpha])


@pytest.mark.parametrize("guids", [["q1", "q2", "q3"], [None, None, None]], ids=["with_guid", "no_guid"])
def test_a_query_string_that_changes_every_request_stores_no_copies(newsroom, guids):
    alpha = Outlet(newsroom, "alpha", guids)
    alpha.query = lambda fetch: f"cb={fetch}{time.monotonic_ns()}"  # a cache-buster per request
    newsroom.write_feeds(alpha)
    for _ in range(3):
        run_once()
    assert_each_once([alpha])
    urls = [r[0] for r in analyst_rows("SELECT url FROM articles")]
    assert all("?cb=" in u for u in urls)


def test_an_unreadable_staged_batch_gives_its_items_back_so_the_next_run_holds_them(newsroom):
    """The state was committed once the batch was staged; if the batch then cannot be read at load, its
    manifest releases the items and the next ordinary run fetches them again: nothing is lost."""
    outlets = [Outlet(newsroom, "alpha", ["a1", "a2", "a3"]), Outlet(newsroom, "beta", [None] * 3)]
    newsroom.write_feeds(*outlets)
    report = fetch_shard(["alpha", "beta"], "poisoned")
    batch = Path(report["batch"])
    assert (get_paths().state / "batches" / f"{batch.name}.json").exists()
    (batch / "articles.parquet").write_bytes(b"not parquet at all")
    loaded = load_and_publish([str(batch)])
    assert list(loaded["batches_failed"]) == [batch.name]
    assert not list((get_paths().state / "batches").glob("*.json"))  # settled: released, then removed
    assert all(not state_of(o).seen_ids and state_of(o).etag is None for o in outlets)
    summary = run_once()
    assert summary["load"]["articles_new"] == 6, format_summary(summary)
    assert_each_once(outlets)
    again = run_once()  # a loaded batch's manifest is removed and its items stay seen
    assert again["fetch"]["items"] == 0 and not list((get_paths().state / "batches").glob("*.json"))
