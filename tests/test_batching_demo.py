"""The demo corpus arriving as production sees it (issue 12): run after run, each run's feeds listing only the
items published so far, served by real loopback HTTP servers, against the same corpus fetched in one run.

Two arrival schemes: one run per 30-minute slot of the publication times (one server, one shard), and one run
per day with each outlet on a loopback host of its own (127.0.0.2, 127.0.0.3, ...), each host fetched in its
own shard and staged as its own batch, as `plan_shards` does. Both must give the stories of the generator's
truth (pair precision and recall 1.000), no article keeping an outlet's donation appeal, and the daily tables
(spike flags included) of the single run. The truth is the corpus's own (`is_wire_copy_of`), so stories added
to the demo corpus are covered without counts written here.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from urllib.parse import urlsplit

import duckdb
import pytest
import yaml
from newsmon.aggregates import run_daily
from newsmon.config import paths as get_paths
from newsmon.demo.corpus import build_corpus
from newsmon.demo.server import DemoServer
from newsmon.pipeline import fetch_shard, load_and_publish

SLOT = timedelta(minutes=30)
DAILY_TABLES = ("daily_total", "daily_country", "daily_pair", "daily_source", "daily_relation")


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module")
def single_run(corpus, tmp_path_factory):
    """The whole corpus in one run: the reference the batched runs must give."""
    with DemoServer("127.0.0.1", 0, slow_seconds=3, corpus=corpus) as server, _env([server]):
        replay = _Replay(corpus, tmp_path_factory.mktemp("single"), {f.outlet: server for f in corpus.feeds})
        replay.run(None, [server.list_until(None)])
        return replay.finish()


class _env:
    """The settings of a test run against these servers (exactly their origins exempted from the guard)."""

    def __init__(self, servers):
        self.values = {
            "NEWSMON_ALLOW_HOSTS": ",".join(s.url for s in servers),
            "NEWSMON_READ_TIMEOUT": "1.5",  # the demo's slow page sleeps longer than this
            "NEWSMON_HOST_SPACING": "0",
        }

    def __enter__(self):
        self.patch = pytest.MonkeyPatch()
        for key, value in self.values.items():
            self.patch.setenv(key, value)

    def __exit__(self, *exc):
        self.patch.undo()


class _Replay:
    """One data folder fed run by run: `run(moment, shards)` fetches each shard's feeds (one batch each), then
    loads and publishes; `finish()` computes every day of the corpus and reads what analysts would."""

    def __init__(self, corpus, folder, server_of_outlet):
        self.corpus, self.data_dir = corpus, folder / "data"
        self.feeds_file = folder / "feeds.yaml"
        rows = []
        for feed in corpus.feeds:
            rows += [r for r in server_of_outlet[feed.outlet].feeds() if r["name"] == feed.name]
        self.feeds_file.write_text(yaml.safe_dump({"feeds": rows}), encoding="utf-8")
        self.runs = 0

    def run(self, moment, shards: list[list[str]]) -> None:
        run_id = f"replay__{self.runs:04d}"
        self.runs += 1
        batches = [
            fetch_shard(names, run_id, i, self.feeds_file, self.data_dir)["batch"]
            for i, names in enumerate(shards)
            if names
        ]
        load_and_publish(batches, self.data_dir)

    def finish(self) -> dict:
        paths = get_paths(self.data_dir)
        run_daily(paths, days=self.corpus.days)
        con = duckdb.connect(str(paths.analyst_db), read_only=True)
        try:
            rows = con.execute("SELECT url, story_id, text FROM articles").fetchall()
            tables = {
                t: con.execute(f"SELECT * EXCLUDE (feeds_ok, feeds_failed) FROM {t} ORDER BY ALL").fetchall()
                if t == "daily_total"
                else con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in DAILY_TABLES
            }
            spikes = con.execute(
                "SELECT day, country, 'mentions' FROM daily_country WHERE spike "
                "UNION ALL SELECT day, country, 'about' FROM daily_country WHERE spike_about "
                "UNION ALL SELECT day, pair || ' ' || level, 'pair' FROM daily_pair WHERE spike ORDER BY ALL"
            ).fetchall()
            countries = con.execute(
                "SELECT a.url, c.country, c.mentions, c.about FROM article_countries c "
                "JOIN articles a USING (article_id) ORDER BY ALL"
            ).fetchall()
        finally:
            con.close()
        return {
            "stories": {urlsplit(url).path: story for url, story, _ in rows},
            "texts": {urlsplit(url).path: text for url, _, text in rows},
            "hosts": {urlsplit(url).path: urlsplit(url).hostname for url, _, _ in rows},
            "daily": tables,
            "spikes": spikes,
            "countries": [(urlsplit(u).path, *rest) for u, *rest in countries],
        }


def _pair_quality(stories: dict[str, str], corpus) -> tuple[float, float]:
    """Pair precision and recall of the stored stories against the generator's (a copy's story is its original's)."""
    truth = {a.path: a.is_wire_copy_of or a.path for a in corpus.articles if a.path in stories}

    def pairs(assignment):
        groups = defaultdict(list)
        for path, story in assignment.items():
            groups[story].append(path)
        return {p for g in groups.values() for p in combinations(sorted(g), 2)}

    want, got = pairs(truth), pairs(stories)
    return len(want & got) / max(len(got), 1), len(want & got) / max(len(want), 1)


def _check(result: dict, single: dict, corpus) -> None:
    assert set(result["stories"]) == set(single["stories"])  # every article stored, once
    assert _pair_quality(result["stories"], corpus) == (1.0, 1.0)
    appeals = [p for outlet in corpus.outlets.values() for p in outlet.appeal]
    kept = [(path, p) for path, text in result["texts"].items() for p in appeals if p in (text or "")]
    assert kept == []
    assert result["texts"] == single["texts"]
    assert result["countries"] == single["countries"]  # mentions and "about" per article
    assert result["spikes"] == single["spikes"]
    for table in DAILY_TABLES:
        assert result["daily"][table] == single["daily"][table], table


def test_the_single_run_finds_the_generators_stories_and_the_spike(single_run, corpus):
    assert set(single_run["stories"]) == {a.path for a in corpus.articles}
    assert _pair_quality(single_run["stories"], corpus) == (1.0, 1.0)
    assert (corpus.spike_day, "CN-RU sentence", "pair") in single_run["spikes"]


def _midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def busy_days(corpus) -> set[date]:
    """The days the suite's short versions replay run by run: the corpus's first 5 days (the first wire copies,
    and the outlet whose unmarked appeal is learned from its 5th article) and the spike day."""
    return {*corpus.days[:5], corpus.spike_day}


def quiet_stretch_ends(corpus, busy: set[date]) -> set[datetime]:
    """The midnight after each stretch of consecutive days outside `busy`: one run takes the stretch's items."""
    return {
        _midnight_after(d)
        for d in corpus.days
        if d not in busy and (d + timedelta(days=1) in busy or d == corpus.days[-1])
    }


def replay_moments(corpus, full: bool) -> list[datetime]:
    """When the runs happen: at the end of every 30-minute slot with a new item; in the suite's short version only
    on the busy days, with one run at the end of each stretch of other days (`bench/batching.py` replays every
    slot: NEWSMON_DEMO_REPLAY=full, `make test-demo-replay`)."""
    start = datetime.combine(corpus.start_day, time(0), tzinfo=UTC)
    slots = {start + SLOT * ((a.published - start) // SLOT + 1) for a in corpus.articles}
    if full:
        return sorted(slots)
    busy = busy_days(corpus)
    kept = {s for s in slots if (s - SLOT).date() in busy}
    return sorted(kept | quiet_stretch_ends(corpus, busy))


def daily_moments(corpus, full: bool) -> list[datetime]:
    """At the end of every day; in the suite's short version at the end of each busy day and of each stretch of
    other days (NEWSMON_DEMO_REPLAY=full: every day)."""
    if full:
        return [_midnight_after(d) for d in corpus.days]
    busy = busy_days(corpus)
    return sorted({_midnight_after(d) for d in busy} | quiet_stretch_ends(corpus, busy))


def test_thirty_minute_runs_give_the_tables_of_one_run(single_run, corpus, tmp_path):
    """One run per 30-minute slot with new items; the feeds list what was published by the slot's end."""
    moments = replay_moments(corpus, full=os.environ.get("NEWSMON_DEMO_REPLAY") == "full")
    with DemoServer("127.0.0.1", 0, slow_seconds=3, corpus=corpus) as server, _env([server]):
        replay = _Replay(corpus, tmp_path, {f.outlet: server for f in corpus.feeds})
        for moment in moments:
            replay.run(moment, [server.list_until(moment)])
        result = replay.finish()
    assert replay.runs == len(moments) > 30
    _check(result, single_run, corpus)


def test_daily_runs_with_each_outlet_on_its_own_host_give_the_tables_of_one_run(single_run, corpus, tmp_path):
    """One run a day (in the suite: a run for each stretch of quiet days); each outlet on a loopback address of its
    own, fetched in its own shard and batch."""
    outlets = sorted({f.outlet for f in corpus.feeds})
    hosts = {key: f"127.0.0.{n}" for n, key in enumerate(outlets, start=2)}
    servers = {key: DemoServer(hosts[key], 0, slow_seconds=3, corpus=corpus) for key in outlets}
    try:
        for server in servers.values():
            server.start()
        with _env(servers.values()):
            replay = _Replay(corpus, tmp_path, servers)
            for moment in daily_moments(corpus, full=os.environ.get("NEWSMON_DEMO_REPLAY") == "full"):
                listed = {key: set(server.list_until(moment)) for key, server in servers.items()}
                shards = [
                    [f.name for f in corpus.feeds if f.outlet == key and f.name in listed[key]]
                    for key in outlets
                ]
                replay.run(moment, shards)
            result = replay.finish()
    finally:
        for server in servers.values():
            server.stop()
    assert all(result["hosts"][a.path] == hosts[a.outlet] for a in corpus.articles)
    _check(result, single_run, corpus)
