"""The News monitor page tells the truth about feeds and days (issue 15): failures at once, unlisted feeds
hidden, the figures of the last complete day, baselines named by the history they cover."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from helpers_ops import NOW, build_ops_corpus
from newsmon.config import Paths, load_feeds, paths
from newsmon.ui import load_page_data, render_page


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    p = paths(tmp_path_factory.mktemp("ops") / "data").ensure()
    build_ops_corpus(p)
    return p


@pytest.fixture
def ops_copy(tmp_path, ops):
    """A private copy of the ops warehouse, so a test may change feed health and publish again."""
    p = paths(tmp_path / "data").ensure()
    shutil.copy(ops.warehouse, p.warehouse)
    if ops.outbox.exists():
        shutil.copytree(ops.outbox, p.outbox, dirs_exist_ok=True)
    from newsmon.warehouse import publish

    publish(p)
    return p


def _set_failures(p, feed: str, n: int) -> None:
    from newsmon.warehouse import open_warehouse, publish

    with open_warehouse(p) as con:
        con.execute(
            "UPDATE feed_health SET consecutive_failures = ?, last_status = 'failed', last_error = 'HTTP 502' "
            "WHERE feed = ?",
            [n, feed],
        )
    publish(p)


def test_a_failure_shows_at_once_with_how_far_it_is_from_an_alert(ops_copy):
    _set_failures(ops_copy, "wire", 1)
    data = load_page_data(ops_copy, NOW)
    page = render_page(data)
    assert "failing: 1 of 3 before alert" in page
    assert "1 of 3 feeds failing now, not yet flagged" in page and "wire (1 of 3)" in page
    assert "failed 4 times in a row" in page  # herald, flagged, still listed
    assert "No feed is flagged" not in page and "none is flagged" not in page


def test_all_fine_is_said_only_when_no_feed_failed(ops_copy):
    _set_failures(ops_copy, "herald", 0)
    page = render_page(load_page_data(ops_copy, NOW))
    assert (
        "none is flagged" in page and "failing" not in page.split("Feed health")[1].split("Latest digest")[0]
    )


def test_feeds_missing_from_the_last_runs_list_are_hidden(ops_copy, tmp_path):
    from newsmon.feedlist import record_feed_list

    listing = tmp_path / "feeds.yaml"
    listing.write_text(
        "feeds:\n  - name: wire\n    url: http://127.0.0.1:9/w.xml\n  - name: daily\n    url: http://127.0.0.1:9/d.xml\n",
        encoding="utf-8",
    )
    record_feed_list(ops_copy, listing, load_feeds(listing))
    data = load_page_data(ops_copy, NOW)
    assert {f["feed"] for f in data.feeds} == {"wire", "daily"} and data.hidden_feeds == 1
    assert data.flags == []  # herald's flag went with it
    page = render_page(data)
    assert "herald" not in page.split("Feed health")[1].split("Latest digest")[0]
    assert "1 feed(s) not in the feed list of the last run are hidden" in page


def test_figures_are_of_the_last_complete_day_and_say_so(ops):
    data = load_page_data(ops, NOW)  # NOW is 12:00 on 10 March: the 10th is not over
    assert data.day == date(2026, 3, 10) and data.figures_day == date(2026, 3, 9)
    page = render_page(data)
    assert "Figures for Mon 09 Mar 2026 (the last complete day) against the 28 days before" in page
    assert "Today's figures" not in page
    later = load_page_data(ops, datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    assert later.figures_day == date(2026, 3, 10)


def test_a_short_history_is_named_by_its_length(tmp_path, monkeypatch):
    from newsmon.aggregates import run_daily

    p = Paths(tmp_path / "data")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(p.data_dir))
    con = warehouse_connection(p)
    d0 = date(2026, 1, 1)
    insert_docs(con, [Doc(f"cn{i}", d0 + timedelta(days=i), countries={"CN": 1}) for i in range(18)])
    con.close()
    run_daily(p, [d0 + timedelta(days=i) for i in range(18)])
    data = load_page_data(p, datetime(2026, 1, 19, 9, tzinfo=UTC))
    assert data.figures_day == date(2026, 1, 18) and data.history_days == 17
    page = render_page(data)
    assert "against the 17 days before" in page and "17-day mean" in page and "28-day" not in page


def test_spike_rings_on_the_overview_lead_to_their_day(tmp_path_factory):
    from helpers_explorer import demo_corpus

    p, spike = demo_corpus(tmp_path_factory.mktemp("demo"))
    page = render_page(load_page_data(p))
    # the planted China-Russia spike, ringed in the pairs chart, is a link to the explorer's day view
    assert f'<a href="day?day={spike}&amp;key=CN-RU&amp;level=sentence" target="_self"><circle' in page
    assert f"CN-RU spike on {spike}: open its stories" in page
