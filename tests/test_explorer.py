"""The explorer pages (newsmon.explorer) served over real HTTP from the demo corpus, read without a browser,
and driven in headless Chromium: pick a range, click the spike, land on its day view with the summit stories."""

from __future__ import annotations

import urllib.request

import pytest
from helpers_browser import INSTALL_HINT, chromium_available
from helpers_explorer import (
    ARTIFACTS,
    chromium,
    demo_corpus,
    explorer_server,
    follow_svg_link_without_script,
    get,
    hover_and_click,
    open_story,
)

SUMMIT_TITLE = "China and Russia sign energy and trade deals at Beijing summit"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The explorer router on a loopback uvicorn server (no Airflow login here; the plugin adds it)."""
    p, spike = demo_corpus(tmp_path_factory.mktemp("demo"))
    runs = [{"dag_id": "news_ingest", "run_id": "manual__1", "state": "success", "end_date": None,
             "gates": "success", "grid_url": "/dags/news_ingest/runs/manual__1"}]  # fmt: skip
    with explorer_server(p, runs) as base:
        yield base, p, spike


def test_explore_page_without_script_has_the_chart_with_links_and_the_spike(site):
    base, _, spike = site
    status, headers, page = get(f"{base}/explore?range=30&key=RU-CN&level=sentence")
    assert status == 200
    csp = headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "default-src 'none'" in csp
        and "unsafe" not in csp
        and "http" not in csp
    )
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart"' in page and 'class="band"' in page
    assert f'href="day?day={spike}&amp;key=CN-RU&amp;level=sentence"' in page  # the reversed pair, normalised
    assert 'id="spikes"' in page and str(spike) in page.split('id="spikes"')[1]
    assert (
        '<script src="static/uplot/uPlot.iife.min.js">' in page and "<script>" not in page
    )  # nothing inline
    assert (
        'id="pipeline"' in page
        and "gates: success" in page
        and 'href="/dags/news_ingest/runs/manual__1"' in page
    )


def test_static_files_are_the_vendored_library_and_nothing_else(site):
    base, _, _ = site
    status, headers, body = get(f"{base}/static/uplot/uPlot.iife.min.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript") and "uPlot" in body
    assert get(f"{base}/static/uplot/LICENSE")[2].startswith("The MIT License")
    assert get(f"{base}/static/../explorer.py")[0] == 404 and get(f"{base}/static/nothing.js")[0] == 404


def test_day_view_lists_the_spike_stories_with_evidence_and_copies(site):
    base, _, spike = site
    status, _, page = get(f"{base}/day?day={spike}&key=CN-RU&level=sentence")
    assert status == 200 and SUMMIT_TITLE in page
    assert "<mark>" in page and 'class="evidence"' in page and "copies</summary>" in page


def test_story_and_feed_views(site):
    import duckdb

    base, p, spike = site
    con = duckdb.connect(str(p.analyst_db), read_only=True)
    try:
        story_id, feed = con.execute(
            "SELECT story_id, feed FROM articles WHERE title = ? ORDER BY fetched_at LIMIT 1", [SUMMIT_TITLE]
        ).fetchone()
        copies = con.execute("SELECT count(*) FROM articles WHERE story_id = ?", [story_id]).fetchone()[0]
    finally:
        con.close()
    status, _, page = get(f"{base}/story?id={story_id}")
    assert (
        status == 200 and SUMMIT_TITLE in page and 'id="provenance"' in page and "paragraphs removed" in page
    )
    assert page.split('id="copies"')[1].split("</table>")[0].count("<tr>") == copies + 1
    status, _, page = get(f"{base}/feed?name={urllib.request.quote(feed)}")
    assert status == 200 and f"Feed: {feed}" in page and 'id="runs"' in page and "Items per day" in page
    items = page.split("Items per day")[1].split("</table>")[0]
    assert "built-in method" not in items and '<td class="num">' in items


def test_topic_search_on_the_page(site):
    base, _, spike = site
    status, _, page = get(f"{base}/explore?range=30&key=CN-RU&q=pipeline+framework")
    assert status == 200 and "“pipeline framework” in CN-RU (sentence)" in page
    assert 'id="search-spark"' in page and "gas pipeline framework" in page.lower()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("key=CN-XX", "known: CN-RU"),
        ("level=chapter", "level must be one of"),
        ("range=12", "range must be one of"),
        ("range=custom&start=2026-01-05&end=2026-01-01", "is before start"),
    ],
)
def test_bad_choices_are_refused_in_words(site, query, message):
    base, _, _ = site
    status, _, page = get(f"{base}/explore?{query}")
    assert status == 400 and message in page


@pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT)
def test_in_chromium_pick_a_range_click_the_spike_and_land_on_its_day(site):
    base, _, spike = site
    with chromium() as browser:
        browser.goto(f"{base}/explore?key=CN-RU")
        browser.wait_for("document.getElementById('chart').dataset.ready === '1'")
        # pick the 7-day range in the form, as a person would, and submit it
        browser.evaluate(
            "document.getElementById('range').value = '7'; document.querySelector('form.pick').submit()"
        )
        browser.wait_for(
            "location.search.includes('range=7') && document.getElementById('chart').dataset.ready"
        )
        assert browser.evaluate("newsmonSeries.x.length") == 7
        assert browser.evaluate("getComputedStyle(document.querySelector('.svg-chart')).display") == "none"
        browser.screenshot(ARTIFACTS / "explorer_range7.png")
        # the spike's point on the canvas, hovered (the legend shows its value), then clicked
        i = browser.evaluate("newsmonSeries.spike.indexOf(true)")
        assert i >= 0, "the planted spike is within the last 7 days"
        stories = browser.evaluate(f"newsmonSeries.stories[{i}]")
        legend, day = hover_and_click(
            browser,
            f"""(function () {{ var u = newsmonPlot, r = u.over.getBoundingClientRect();
                return [r.left + u.valToPos(newsmonSeries.x[{i}], 'x'),
                        r.top + u.valToPos(newsmonSeries.stories[{i}], 'y')]; }})()""",
            ".u-legend",
            "explorer_hover.png",
            "/day",
        )
        assert str(stories) in legend
        assert day == str(spike)
        text = browser.wait_for(
            "document.getElementById('stories') && document.getElementById('stories').innerText"
        )
        assert SUMMIT_TITLE in text
        assert browser.evaluate("document.querySelectorAll('blockquote.evidence mark').length") > 0
        browser.screenshot(ARTIFACTS / "explorer_day.png")
        # on to the story (its headline link), then to its feed (from the provenance table)
        assert SUMMIT_TITLE in open_story(browser, "#stories .headline a")
        browser.screenshot(ARTIFACTS / "explorer_story.png")
        browser.evaluate("document.querySelector('#provenance a').click()")
        browser.wait_for("location.pathname.endsWith('/feed') && !!document.getElementById('runs')")
        assert browser.evaluate("document.querySelectorAll('#runs tr').length") >= 2
        assert "built-in" not in browser.evaluate("document.body.innerText")
        browser.screenshot(ARTIFACTS / "explorer_feed.png")


@pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT)
def test_in_chromium_without_javascript_the_svg_chart_links_to_the_day(site):
    base, _, spike = site
    with chromium(javascript=False) as browser:
        follow_svg_link_without_script(
            browser,
            base,
            "explore?key=CN-RU&range=30",
            ".svg-chart",
            "newsmonPlot",
            "explorer_no_js.png",
            f'a[data-day="{spike}"]',
        )
        assert SUMMIT_TITLE in browser.evaluate("document.body.innerText")
