"""Fault injection on the real pipeline: a short random draw of bench/faults.py's kills, full disks and corrupt files.

Each case runs `newsmon run --once` over the demo corpus on two loopback hosts in real processes, kills them
(SIGKILL or SIGTERM, the whole process group) at the Nth call of a named function, fills a real tmpfs under the
data folder, or damages a file between runs; then reruns and counts the articles of the analyst database.
The seed is printed; NEWSMON_FAULT_SEED=<seed> replays a draw. The full sweep is `bench/faults.py`.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import faults  # noqa: E402

SEED = int(os.environ.get("NEWSMON_FAULT_SEED") or random.randrange(1 << 30))

# Faults whose fix has not landed: bench/faults.py still sweeps them and reports what they lose; a draw here
# leaves them out so this test holds on main. Empty them as fixes land.
NOT_YET: dict[str, str] = {}
KILL_POINTS = [p for p in faults.KILL_POINTS if p not in NOT_YET]
FILL_POINTS = [p for p in faults.FILL_POINTS if p not in NOT_YET]
CORRUPTIONS = [
    (target, how)
    for target, kinds in faults.CORRUPTIONS.items()
    for how in kinds
    if f"{target}:{how}" not in NOT_YET
]
KILLS_PER_DRAW = 6
SHARDS = (2,)  # two spawn workers, as Airflow's mapped tasks; the sweep draws one shard too


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    with faults.FaultCorpus() as corpus:
        yield faults.Harness(corpus, tmp_path_factory.mktemp("faults"))


def _draw(harness: faults.Harness, rng: random.Random) -> list[faults.Case]:
    kills = rng.sample(KILL_POINTS, KILLS_PER_DRAW)
    cases = [harness.draw_kill(rng, point, seed=SEED, shards_from=SHARDS) for point in kills]
    cases.append(harness.draw_disk(rng, rng.choice(FILL_POINTS), seed=SEED, shards_from=SHARDS))
    target, how = rng.choice(CORRUPTIONS)
    cases.append(harness.draw_corrupt(rng, target, how, seed=SEED, shards_from=SHARDS))
    return cases


@pytest.mark.slow
def test_after_any_single_fault_and_at_most_two_reruns_every_article_is_stored_once_and_readable(harness):
    """The property: after any single fault (kill, full disk, corrupt file) and at most two ordinary reruns,
    every article of the corpus is in the analyst database exactly once, and it stays readable throughout."""
    print(f"\nfault seed {SEED} (replay: NEWSMON_FAULT_SEED={SEED})")
    outcomes = [harness.run_case(case) for case in _draw(harness, random.Random(SEED))]
    for outcome in outcomes:
        print(outcome.line())
    print(faults.summary([faults.record(o) for o in outcomes]))
    assert all(o.fired for o in outcomes), "a fault did not happen: see the lines above"
    broken = [o.line() for o in outcomes if not o.held]
    assert not broken, f"seed {SEED}: the property does not hold:\n" + "\n".join(broken)
    expected, _ = harness.census("first", 2)
    assert len(expected) >= 60  # the demo corpus really was ingested: the check compares something


@pytest.mark.slow
def test_every_fault_point_is_still_called_by_an_undisturbed_run(harness):
    """A renamed function would make its point silent and the sweep would prove nothing about it."""
    calls = {step: harness.census(step, 2)[1] for step in ("first", "later")}
    silent = [p for p in {**faults.KILL_POINTS, **faults.FILL_POINTS} if not any(calls[s][p] for s in calls)]
    assert not silent, f"fault points no undisturbed run reaches: {silent}"
    assert calls["later"]["c:sendfile<shutil:_fastcopy_sendfile"] >= 1  # a later run copies the last publish
    assert calls["first"]["newsmon.warehouse:stage_batch"] == 1  # one shard per host, one batch per shard


def test_the_check_sees_a_lost_a_duplicated_and_a_stray_article(tmp_path):
    """The counts the property rests on, over a real DuckDB file with a planted loss, copy and stray."""
    import duckdb

    data = tmp_path / "data"
    data.mkdir()
    con = duckdb.connect(str(data / "newsmon.duckdb"))
    con.execute("CREATE TABLE articles (canonical_url VARCHAR)")
    con.execute(
        "INSERT INTO articles VALUES ('http://127.0.0.1:1/a'), ('http://127.0.0.2:2/b?x=1'), "
        "('http://127.0.0.2:2/b'), ('http://127.0.0.1:1/stray')"
    )
    con.close()
    env = faults.Env(tmp_path, tmp_path / "feeds.yaml", [], 1)
    lost, duplicated, unexpected, lost_keys = faults._counts(["/a", "/b", "/c"], env)
    assert (lost, duplicated, unexpected, lost_keys) == (1, 1, 1, ["/c"])


def test_the_reader_sees_the_analyst_database_shrink(tmp_path):
    """'Readable throughout' is watched by a reader thread; a publish that drops articles must show up."""
    import time

    import duckdb

    db = tmp_path / "newsmon.duckdb"

    def publish(rows: int) -> None:
        tmp = tmp_path / "next.duckdb"
        con = duckdb.connect(str(tmp))
        con.execute("CREATE TABLE articles AS SELECT range AS n FROM range(?)", [rows])
        con.close()
        os.replace(tmp, db)

    publish(3)
    reader = faults.Reader(db, every=0.02)
    reader.start()
    deadline = time.monotonic() + 30
    while reader.reads == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    publish(2)
    while reader.last_count != 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reader.finish() == ["articles went down from 3 to 2"]


def test_python_dash_m_newsmon_cli_gives_one_line_errors_too(tmp_path):
    """Found by the suite: under `python -m newsmon.cli` a WarehouseError (a UserError of newsmon.cli) was not
    caught by the __main__ copy of the module and ended in a traceback with exit status 1."""
    import subprocess

    env = {**os.environ, "NEWSMON_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "rebuild"], capture_output=True, text=True, env=env, timeout=120
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("newsmon rebuild: nothing to rebuild from")
    assert len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------------------------------- the
# "publish in full" mark: set before the old rows it covers change, consumed only once the full publish is in place


def _stored_article(n: int, text: str):
    from datetime import UTC, datetime

    from newsmon.dedupe import content_hash, simhash
    from newsmon.models import Article, Mention

    url = f"https://courier.example/news/{n}"
    when = datetime(2026, 11, 20, 8, tzinfo=UTC)
    return Article(
        article_id=f"{n:016x}", url=url, canonical_url=url, guid=None, feed="courier", source="courier",
        title=f"Story {n}", text=text, text_source="page", published_at=when, published_from="page",
        fetched_at=when, content_hash=content_hash(text), simhash=simhash(text),
        mentions=[Mention("CN", 0, 5, "China", "name", "lead", 0, 0, "China", text.split("\n")[0])],
        countries={"CN": {"mentions": 1, "salience": 0.5, "about": True}},
        pairs={"sentence": [], "paragraph": [], "article": []},
    )  # fmt: skip


APPEAL = "Support independent journalism: donate today so China, Russia and the United States stay covered."
STORY = "China opened a new rail freight terminal in Chongqing on Tuesday.\nOfficials expect more trains."


def _published(paths, sql: str) -> list:
    import duckdb

    con = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _loaded_and_published(tmp_path):
    from newsmon.config import Paths
    from newsmon.warehouse import load_pending, publish, stage_batch

    paths = Paths(tmp_path / "data").ensure()
    stage_batch(paths.staging, "b0", [_stored_article(1, STORY + "\n" + APPEAL)])
    load_pending(paths)
    publish(paths)
    return paths


def test_a_publish_killed_after_old_rows_changed_leaves_the_next_one_full(tmp_path, monkeypatch):
    """Found by reading the publish for this sweep: the 'publish in full' flag (set by a retag or a boilerplate
    revision, which rewrite rows older than the last publish) was deleted when the publish began, so a publish
    killed before its version was in place (SIGTERM here, as Airflow stops a task) left the next one
    incremental, and the analyst database kept the old rows for good."""
    from newsmon import warehouse
    from newsmon.warehouse import mark_full_publish, open_warehouse, publish

    paths = _loaded_and_published(tmp_path)
    with open_warehouse(paths) as con:  # an old row rewritten, as a retag or a revision does
        con.execute("UPDATE articles SET text = ?", [STORY])
    mark_full_publish(paths)

    def killed(*_args, **_kwargs):
        raise SystemExit(143)

    monkeypatch.setattr(warehouse, "_point_analyst_db_at", killed)
    with pytest.raises(SystemExit):
        publish(paths)
    monkeypatch.undo()
    assert (paths.state / "publish-full").exists(), "the killed publish consumed the flag"
    publish(paths)
    assert _published(paths, "SELECT mode FROM publish_info") == [("full",)]
    assert _published(paths, "SELECT text FROM articles") == [(STORY,)]
    assert not (paths.state / "publish-full").exists()  # consumed by the publish that did it
    publish(paths)
    assert _published(paths, "SELECT mode FROM publish_info") == [("incremental",)]


def test_a_run_killed_right_after_a_boilerplate_revision_still_publishes_it(tmp_path, monkeypatch):
    """The revision of stored articles (boilerplate learned later) commits new text and tags, and the flag
    that makes the next publish a full one was set only after that commit: a kill in between (SIGTERM here)
    left the flag unset, the rerun found nothing left to revise and appended, so the analyst database kept
    the appeal's text and mentions while the warehouse had dropped them."""
    from newsmon import clean, pipeline, warehouse
    from newsmon.warehouse import publish

    paths = _loaded_and_published(tmp_path)
    real_revise = warehouse.revise_articles

    def revise_then_killed(con, revised, reason):
        real_revise(con, revised, reason)
        raise SystemExit(143)

    monkeypatch.setattr(clean.BoilerplateMemory, "furniture", lambda self, source: {APPEAL})
    monkeypatch.setattr(pipeline, "_tagger", lambda: object())
    monkeypatch.setattr(pipeline, "_revise_site", lambda *a: [_stored_article(1, STORY)])
    monkeypatch.setattr(warehouse, "revise_articles", revise_then_killed)
    with pytest.raises(SystemExit):
        pipeline.revise_learned_boilerplate(paths)
    monkeypatch.undo()
    assert (paths.state / "publish-full").exists(), "the revision was committed without the flag"
    publish(paths)
    assert _published(paths, "SELECT text FROM articles") == [(STORY,)]
