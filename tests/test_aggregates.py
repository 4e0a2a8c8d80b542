"""Daily aggregates against numbers worked out by hand, baselines and spikes, reruns, backfills, late articles."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers_aggregates import Doc, daily_snapshot, insert_docs, table_rows, warehouse_connection
from newsmon import aggregates
from newsmon.config import Paths

D0 = date(2026, 1, 1)


def day(i: int) -> date:
    return D0 + timedelta(days=i)


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths(tmp_path / "data")


@pytest.fixture
def con(paths):
    c = warehouse_connection(paths)
    yield c
    c.close()


# ------------------------------------------------------------------------------------------ counts by hand


def small_corpus() -> list[Doc]:
    """Two days. Day 0: a wire story carried by two outlets (one a syndicated copy), a state outlet piece,
    an article with no watched country. Day 1: one article."""
    return [
        Doc(
            "w1",
            day(0),
            source="Wire A",
            countries={"CN": 2, "RU": 1},
            about=("CN",),
            sentence=("CN-RU",),
            paragraph=("CN-RU",),
            article=("CN-RU",),
        ),
        Doc(
            "w1copy",
            day(0),
            source="Paper B",
            story_id="w1",
            countries={"CN": 2, "RU": 1},
            about=("CN",),
            sentence=("CN-RU",),
            paragraph=("CN-RU",),
            article=("CN-RU",),
        ),
        Doc(
            "s1",
            day(0),
            source="State C",
            state_affiliated=True,
            outlet_country="RU",
            countries={"RU": 3, "US": 1},
            about=("RU",),
            paragraph=("RU-US",),
            article=("RU-US",),
        ),
        Doc("plain", day(0), source="Paper B"),
        Doc(
            "tri",
            day(1),
            source="Paper B",
            countries={"CN": 1, "RU": 1, "US": 1},
            sentence=("CN-RU", "CN-RU-US", "CN-US", "RU-US"),
            paragraph=("CN-RU", "CN-RU-US", "CN-US", "RU-US"),
            article=("CN-RU", "CN-RU-US", "CN-US", "RU-US"),
        ),
    ]


def test_counts_match_the_hand_computed_figures(con):
    insert_docs(con, small_corpus())
    con.execute(
        """INSERT INTO fetch_log VALUES
           ('r1', 'feed-a', 'ok', 200, NULL, 3, 3, 0, 10, '2026-01-01 08:00:00+00'),
           ('r2', 'feed-a', 'failed', 500, 'boom', 0, 0, 0, 0, '2026-01-01 09:00:00+00'),
           ('r1', 'feed-b', 'failed', 500, 'boom', 0, 0, 0, 0, '2026-01-01 08:00:00+00'),
           ('r1', 'feed-c', 'not_modified', 304, NULL, 0, 0, 0, 0, '2026-01-01 23:59:00+00')"""
    )
    result = aggregates.recompute_days(con, [day(0), day(1)])
    assert result["days"] == ["2026-01-01", "2026-01-02"]

    # day, articles, stories, sources, mentions, feeds_ok, feeds_failed
    assert table_rows(con, "daily_total", "day") == [(day(0), 4, 3, 3, 10, 2, 1), (day(1), 1, 1, 1, 3, 0, 0)]

    country = {(r[0], r[1]): r[2:8] for r in table_rows(con, "daily_country", "day, country")}
    # articles, stories, sources, mentions, articles_about, share
    assert country[(day(0), "CN")] == (2, 1, 2, 4, 2, 0.5)
    assert country[(day(0), "RU")] == (3, 2, 3, 5, 1, 0.75)
    assert country[(day(0), "US")] == (1, 1, 1, 1, 0, 0.25)
    assert country[(day(1), "CN")] == (1, 1, 1, 1, 0, 1.0)
    assert len(country) == 6  # a row for every watched country every day, zeros included

    pair = {(r[0], r[1], r[2]): r[3:7] for r in table_rows(con, "daily_pair", "day, pair, level")}
    assert len(pair) == 2 * 4 * 3
    # articles, stories, sources, share
    assert pair[(day(0), "CN-RU", "sentence")] == (2, 1, 2, 0.5)
    assert pair[(day(0), "RU-US", "sentence")] == (0, 0, 0, 0.0)
    assert pair[(day(0), "RU-US", "paragraph")] == (1, 1, 1, 0.25)
    assert pair[(day(0), "CN-RU-US", "article")] == (0, 0, 0, 0.0)
    assert pair[(day(1), "CN-RU-US", "sentence")] == (1, 1, 1, 1.0)

    source = {(r[0], r[1], r[2]): r[3:] for r in table_rows(con, "daily_source", "day, source, country")}
    # articles, stories, mentions, state_affiliated, outlet_country
    assert source[(day(0), "Paper B", "ALL")] == (2, 2, 3, False, None)
    assert source[(day(0), "Paper B", "CN")] == (1, 1, 2, False, None)
    assert source[(day(0), "State C", "ALL")] == (1, 1, 4, True, "RU")
    assert source[(day(0), "State C", "RU")] == (1, 1, 3, True, "RU")
    assert (day(0), "State C", "CN") not in source
    assert (
        sum(1 for k in source if k[0] == day(0)) == 3 + 2 + 2 + 2
    )  # ALL rows + one per outlet and mentioned country


def test_a_day_without_articles_gets_zero_rows(con):
    aggregates.recompute_days(con, [day(5)])
    assert table_rows(con, "daily_total", "day") == [(day(5), 0, 0, 0, 0, 0, 0)]
    rows = table_rows(con, "daily_country", "country")
    assert [(r[1], r[2], r[3], r[7]) for r in rows] == [
        ("CN", 0, 0, None),
        ("RU", 0, 0, None),
        ("US", 0, 0, None),
    ]


def test_countries_beyond_the_default_three_get_rows_when_mentioned(con):
    insert_docs(con, [Doc("ua", day(0), countries={"UA": 2, "RU": 1}, sentence=("RU-UA",))])
    aggregates.recompute_days(con, [day(0)])
    countries = [r[1] for r in table_rows(con, "daily_country", "country")]
    assert countries == ["CN", "RU", "UA", "US"]
    pairs = {(r[1], r[2]): r[3] for r in table_rows(con, "daily_pair", "pair, level")}
    assert pairs[("RU-UA", "sentence")] == 1
    assert ("RU-UA", "article") not in pairs  # only levels that have it


# ------------------------------------------------------------------------------------------ baselines


def stories_corpus(counts: dict[int, int], key: str = "CN") -> list[Doc]:
    """`counts[i]` distinct stories mentioning `key` on day i, plus one unrelated US story every day."""
    docs = []
    last = max(counts)
    for i in range(last + 1):
        for j in range(counts.get(i, 0)):
            docs.append(Doc(f"{key}{i}-{j}", day(i), source=f"S{j % 3}", countries={key: 1}))
        docs.append(Doc(f"US{i}", day(i), source="Other", countries={"US": 1}))
    return docs


def reference(stories: list[int]) -> list[dict]:
    """The documented baseline rules, independently in plain Python (day 0 starts the history)."""
    out = []
    for d, s in enumerate(stories):
        n28, n7 = min(28, d), min(7, d)
        w28, w7 = stories[d - n28 : d], stories[d - n7 : d]
        mean28 = sum(w28) / n28 if n28 else None
        mean7 = sum(w7) / n7 if n7 else None
        std = (
            math.sqrt(max((n28 * sum(x * x for x in w28) - sum(w28) ** 2) / (n28 * n28), 0)) if n28 else None
        )
        z = (s - mean28) / max(std, math.sqrt(mean28), 1.0) if n28 >= 7 else None
        ratio = s / mean28 if mean28 else None
        spike = bool(n28 >= 7 and s >= 3 and z >= 3 and (mean28 == 0 or ratio >= 2))
        out.append(
            dict(
                history_days=n28,
                mean_7d=mean7,
                mean_28d=mean28,
                std_28d=std,
                z_28d=z,
                ratio_28d=ratio,
                spike=spike,
            )
        )
    return out


BASELINE_COLUMNS = ("history_days", "mean_7d", "mean_28d", "std_28d", "z_28d", "ratio_28d", "spike")


def baseline_rows(con, country: str) -> list[dict]:
    rows = con.execute(
        f"SELECT stories, {', '.join(BASELINE_COLUMNS)} FROM daily_country WHERE country = ? ORDER BY day",
        [country],
    ).fetchall()
    return [dict(zip(("stories", *BASELINE_COLUMNS), r, strict=True)) for r in rows]


def test_baselines_z_scores_and_spikes_by_hand(con):
    # ten quiet days of 2 stories, a jump to 9, then 40 days of a noisy pattern with one burst
    pattern = [2] * 10 + [9] + [1, 3, 2, 4, 0, 2, 3] * 5 + [20] + [2] * 4
    counts = dict(enumerate(pattern))
    insert_docs(con, stories_corpus(counts))
    aggregates.recompute_days(con, list(map(day, counts)))
    rows = baseline_rows(con, "CN")
    assert [r["stories"] for r in rows] == pattern

    # Day 10 worked out by hand: ten days of exactly 2 before it.
    r10 = rows[10]
    assert (
        r10["history_days"] == 10
        and r10["mean_7d"] == 2.0
        and r10["mean_28d"] == 2.0
        and r10["std_28d"] == 0.0
    )
    # std floor: max(0, sqrt(2), 1) = 1.414..., so z = (9 - 2) / sqrt(2)
    assert r10["z_28d"] == pytest.approx(7 / math.sqrt(2))
    assert r10["ratio_28d"] == 4.5 and r10["spike"] is True

    # Day 11 (1 story): mean over 11 days = (20 + 9) / 11; a drop is no spike.
    assert rows[11]["mean_28d"] == pytest.approx(29 / 11)
    assert rows[11]["spike"] is False

    # Every row equals the independent reference, to the last bit where arithmetic allows.
    expected = reference(pattern)
    for d, (got, want) in enumerate(zip(rows, expected, strict=True)):
        for col in BASELINE_COLUMNS:
            if isinstance(want[col], float):
                assert got[col] == pytest.approx(want[col], rel=1e-12), (d, col)
            else:
                assert got[col] == want[col], (d, col)
    assert [d for d, r in enumerate(rows) if r["spike"]] == [10, 46]


def test_first_days_of_history_never_spike(con):
    pattern = [0, 1, 12, 0, 0, 0, 0, 15, 0]  # day 2 is huge but has 2 days of history; day 7 has 7
    insert_docs(con, stories_corpus(dict(enumerate(pattern))))
    aggregates.recompute_days(con, list(map(day, range(len(pattern)))))
    rows = baseline_rows(con, "CN")
    assert rows[0]["mean_28d"] is None and rows[0]["history_days"] == 0
    assert rows[2]["z_28d"] is None and rows[2]["spike"] is False
    assert rows[7]["history_days"] == 7
    assert rows[7]["mean_28d"] == pytest.approx(13 / 7)
    assert rows[7]["spike"] is True


def test_a_flat_empty_history_needs_three_stories(con):
    pattern = [0] * 10 + [2, 3]
    docs = stories_corpus(dict(enumerate(pattern)))
    docs += [Doc(f"ru{j}", day(10), countries={"RU": 1}) for j in range(3)]
    insert_docs(con, docs)
    aggregates.recompute_days(con, list(map(day, range(len(pattern)))))
    cn = baseline_rows(con, "CN")
    assert cn[10]["z_28d"] == 2.0 and cn[10]["ratio_28d"] is None and cn[10]["spike"] is False
    # 3 stories right after a 2: mean 2/11, std 0.41 floored to 1, z = 2.82: not yet a spike
    assert cn[11]["z_28d"] == pytest.approx(3 - 2 / 11) and cn[11]["spike"] is False
    ru = baseline_rows(con, "RU")
    assert ru[10]["stories"] == 3 and ru[10]["mean_28d"] == 0.0 and ru[10]["z_28d"] == 3.0
    assert ru[10]["spike"] is True  # from nothing to three stories


def test_pair_baselines_follow_the_same_rule(con):
    docs = []
    for i in range(12):
        n = 6 if i == 11 else 1
        docs += [
            Doc(f"p{i}-{j}", day(i), countries={"CN": 1, "RU": 1}, sentence=("CN-RU",), article=("CN-RU",))
            for j in range(n)
        ]
    insert_docs(con, docs)
    aggregates.recompute_days(con, list(map(day, range(12))))
    spikes = con.execute("SELECT day, pair, level FROM daily_pair WHERE spike ORDER BY ALL").fetchall()
    assert spikes == [(day(11), "CN-RU", "article"), (day(11), "CN-RU", "sentence")]
    z = con.execute(
        "SELECT z_28d FROM daily_pair WHERE day = ? AND pair = 'CN-RU' AND level = 'sentence'", [day(11)]
    ).fetchone()[0]
    assert z == 5.0  # (6 - 1) / max(0, 1, 1)


def test_syndicated_copies_alone_never_make_a_spike(con):
    docs = [Doc(f"q{i}", day(i), countries={"CN": 1}) for i in range(10)]
    docs += [
        Doc(f"copy{j}", day(10), source=f"Outlet {j}", story_id="q9", countries={"CN": 1}) for j in range(12)
    ]
    insert_docs(con, docs)
    aggregates.recompute_days(con, list(map(day, range(11))))
    row = con.execute(
        "SELECT articles, stories, spike FROM daily_country WHERE day = ? AND country = 'CN'", [day(10)]
    )
    assert row.fetchone() == (12, 1, False)


# ------------------------------------------------------------------------------------------ idempotence


def test_rerun_and_backfill_in_any_order_give_identical_tables(con, tmp_path):
    pattern = [1, 3, 2, 4, 0, 2, 3, 9, 1, 2] * 4
    insert_docs(con, stories_corpus(dict(enumerate(pattern))))
    all_days = list(map(day, range(len(pattern))))
    aggregates.recompute_days(con, all_days)
    first = daily_snapshot(con)
    aggregates.recompute_days(con, all_days)
    assert daily_snapshot(con) == first
    # backfill in pieces, newest first, with overlaps
    for lo, hi in ((30, 39), (12, 31), (0, 15), (20, 22)):
        aggregates.recompute_days(con, list(map(day, range(lo, hi + 1))))
    assert daily_snapshot(con) == first
    # and the exported files are byte-identical too
    out_a, out_b = tmp_path / "a.csv", tmp_path / "b.csv"
    con.execute(f"COPY (SELECT * FROM daily_country ORDER BY day, country) TO '{out_a}' (HEADER)")
    aggregates.recompute_days(con, [day(7)])
    con.execute(f"COPY (SELECT * FROM daily_country ORDER BY day, country) TO '{out_b}' (HEADER)")
    assert out_a.read_bytes() == out_b.read_bytes()


def test_a_fresh_warehouse_computed_day_by_day_matches_one_batch(con, tmp_path):
    docs = stories_corpus(dict(enumerate([1, 3, 2, 4, 0, 2, 3, 9, 1, 2, 5, 1])))
    insert_docs(con, docs)
    aggregates.recompute_days(con, list(map(day, range(12))))
    other = warehouse_connection(Paths(tmp_path / "other"))
    try:
        insert_docs(other, docs)
        for i in reversed(range(12)):
            aggregates.recompute_days(other, [day(i)])
        assert daily_snapshot(other) == daily_snapshot(con)
    finally:
        other.close()


def test_late_article_updates_its_day_and_the_baselines_after_it(paths):
    counts = dict(enumerate([2] * 20))
    con = warehouse_connection(paths)
    insert_docs(con, stories_corpus(counts))
    con.close()
    today = day(20)
    first = aggregates.run_daily(paths, today=today, publish=False)
    assert first["days"][0] == "2026-01-01" and first["days"][-1] == "2026-01-20"

    # nothing new: only yesterday is recomputed
    again = aggregates.run_daily(paths, today=today, publish=False)
    assert again["days"] == ["2026-01-20"]

    late = [
        Doc(
            f"late{j}",
            day(10),
            source="Late",
            countries={"CN": 1},
            loaded_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        for j in range(8)
    ]
    con = warehouse_connection(paths)
    insert_docs(con, late)
    con.close()
    third = aggregates.run_daily(paths, today=today, publish=False)
    assert third["days"] == ["2026-01-11", "2026-01-20"]

    con = warehouse_connection(paths)
    try:
        rows = baseline_rows(con, "CN")
        assert rows[10]["stories"] == 10 and rows[10]["spike"] is True
        assert rows[11]["mean_28d"] == pytest.approx(
            (10 * 2 + 10) / 11
        )  # the day after sees the late stories
        assert rows[19]["mean_28d"] == pytest.approx((18 * 2 + 10) / 19)  # ... and so does the last day
        updated = daily_snapshot(con)
    finally:
        con.close()

    # the same rows as computing everything from scratch with the late articles already there
    fresh = Paths(paths.data_dir.parent / "fresh")
    con = warehouse_connection(fresh)
    insert_docs(con, stories_corpus(counts) + late)
    aggregates.recompute_days(con, list(map(day, range(20))))
    assert daily_snapshot(con) == updated
    con.close()


def test_touched_days_respects_the_watermark_and_the_lookback(con):
    insert_docs(
        con,
        [
            Doc("old", day(0), loaded_at=datetime(2026, 2, 1, tzinfo=UTC)),
            Doc("new", day(40), loaded_at=datetime(2026, 3, 1, tzinfo=UTC)),
            Doc("late", day(2), loaded_at=datetime(2026, 3, 1, tzinfo=UTC)),
            Doc("late2", day(35), loaded_at=datetime(2026, 3, 1, tzinfo=UTC)),
            Doc("ahead", day(42), loaded_at=datetime(2026, 3, 1, tzinfo=UTC)),
        ],
    )
    since = datetime(2026, 2, 15, tzinfo=UTC)
    assert aggregates.touched_days(con, since, lookback_days=10, today=day(41)) == [day(35), day(40), day(42)]
    assert aggregates.touched_days(con, since, lookback_days=60, today=day(41)) == [
        day(2),
        day(35),
        day(40),
        day(42),
    ]
    assert aggregates.touched_days(con, None, lookback_days=60, today=day(41)) == [
        day(0),
        day(2),
        day(35),
        day(40),
        day(42),
    ]


def test_recompute_without_days_changes_nothing(con):
    assert aggregates.recompute_days(con, [])["days"] == []
    assert table_rows(con, "daily_total", "day") == []


def test_a_failed_day_leaves_the_old_rows(con, monkeypatch):
    insert_docs(con, small_corpus())
    aggregates.recompute_days(con, [day(0), day(1)])
    before = daily_snapshot(con)
    real = aggregates._replace_day

    def broken(c, d):
        if d == day(1):
            c.execute("BEGIN TRANSACTION")
            c.execute("DELETE FROM daily_total WHERE day = ?", [d])
            c.execute("ROLLBACK")
            raise duckdb.IOException("disk full")
        return real(c, d)

    monkeypatch.setattr(aggregates, "_replace_day", broken)
    with pytest.raises(duckdb.IOException):
        aggregates.recompute_days(con, [day(0), day(1)])
    assert daily_snapshot(con) == before
    assert (
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_agg\\_%' ESCAPE '\\'"
        ).fetchone()[0]
        == 0
    )


def test_publish_puts_the_daily_tables_and_views_in_the_analyst_db(paths):
    con = warehouse_connection(paths)
    insert_docs(con, small_corpus())
    con.close()
    result = aggregates.run_daily(paths, today=day(2))
    assert Path(result["published"]) == paths.analyst_db
    analyst = duckdb.connect(str(paths.analyst_db), read_only=True)
    try:
        assert analyst.execute("SELECT count(*) FROM daily_country").fetchone()[0] == 6
        assert analyst.execute("SELECT count(*) FROM daily_series").fetchone()[0] == 6 + 24
        tables = {r[0] for r in analyst.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "aggregates_state" not in tables  # private bookkeeping stays in the warehouse
        top = analyst.execute(
            "SELECT story_id, copies, sources, evidence FROM top_stories('CN-RU', ?)", [day(0)]
        )
        assert top.fetchall() == [("w1", 2, 2, ["w1: CN and RU met.", "w1: sentence 1 about CN."])]
    finally:
        analyst.close()
