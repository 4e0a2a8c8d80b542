"""The explorer's relations pages (newsmon.explorer_relations) on the demo corpus over real HTTP: per direction the
four classes a day and the cooperation share against its baseline, each point leading to that day's relations
with their sentences; read without a browser, and driven in headless Chromium with and without JavaScript.
Also the explorer's lead: spikes of stories about a country first, spikes of passing mentions labelled."""

from __future__ import annotations

from datetime import timedelta

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
from newsmon.demo.corpus import RELATION_DAYS

HACKING_TITLE = "Washington and Beijing trade accusations over hacking of port systems"
SANCTIONS_TITLE = "US imposes sanctions on Russian banks and a payments network"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    p, spike = demo_corpus(tmp_path_factory.mktemp("demo"))
    with explorer_server(p) as base:
        yield base, spike


def test_relations_page_without_script_has_a_chart_per_direction_and_the_share(site):
    base, spike = site
    status, headers, page = get(f"{base}/relations?pair=US-CN&range=30")
    assert status == 200 and "script-src 'self'" in headers["content-security-policy"]
    assert "<script>" not in page and '<script src="static/relations.js">' in page  # nothing inline
    assert page.count('class="svg-chart rel-chart"') == 2 and 'class="svg-chart share-chart"' in page
    assert 'data-direction="CN-US"' in page and 'data-direction="US-CN"' in page  # the pair normalised
    day = spike + timedelta(days=RELATION_DAYS["port-hacking"])
    # every point with relations links to its day's sentences, at its direction and class
    us_cn = page.split('id="chart-US-CN"')[1].split("</svg>")[0]
    assert f'href="relations-day?day={day}&amp;pair=CN-US#rel-US-CN-verbal_conflict"' in us_cn
    summit = spike + timedelta(days=RELATION_DAYS["singapore-summit"])
    assert f'data-day="{summit}" data-class="material_cooperation"' in us_cn
    share = page.split('id="chart-share"')[1].split("</svg>")[0]
    assert f'href="relations-day?day={day}&amp;pair=CN-US"' in share and 'class="mean"' in share
    assert f"{day}: 0% cooperation, 33% over the 28 days before" in share
    assert f"{summit}: 100% cooperation" in share


def test_a_days_relations_with_sentence_cue_reported_flag_and_story_links(site):
    base, spike = site
    day = spike + timedelta(days=RELATION_DAYS["bank-sanctions"])
    status, _, page = get(f"{base}/relations-day?day={day}&pair=RU-US")
    assert status == 200 and "0.0% cooperation (0 cooperation, 1 conflict stories)" in page
    sanctions = page.split('id="rel-US-RU-material_conflict"')[1].split("</section>")[0]
    assert 'data-source="US" data-target="RU" data-class="material_conflict"' in page
    assert "<mark>imposed sanctions</mark> on three Russian banks" in sanctions
    assert (
        '<td class="cue">imposed sanctions</td>' in sanctions
        and '<td class="reported">reported</td>' in sanctions
    )
    assert f'>{SANCTIONS_TITLE}</a> <span class="meta">Meridian Wire</span>' in sanctions
    assert 'class="story-link" href="story?id=' in sanctions
    reply = page.split('id="rel-RU-US-verbal_conflict"')[1].split("</section>")[0]
    assert "foreign ministry <mark>accused</mark> Washington of waging economic war" in reply
    assert "material_conflict" not in reply and "cooperation</span>" not in page.split('id="relations"')[1]
    story_id = sanctions.split('href="story?id=')[1].split('"')[0]
    status, _, story = get(f"{base}/story?id={story_id}")
    assert status == 200 and SANCTIONS_TITLE in story
    # two actors with the same verb: each direction marks its own actor's cue
    hacking = get(f"{base}/relations-day?day={day}&pair=CN-US")[2]
    cn_us = hacking.split('id="rel-CN-US-verbal_conflict"')[1].split("</section>")[0]
    us_cn = hacking.split('id="rel-US-CN-verbal_conflict"')[1].split("</section>")[0]
    assert "and Beijing <mark>accused</mark> Washington of slander" in cn_us
    assert "The United States <mark>accused</mark> China" in us_cn
    # a day without relations between the two says so
    status, _, quiet = get(f"{base}/relations-day?day={spike - timedelta(days=12)}&pair=RU-US")
    assert status == 200 and 'id="no-relations"' in quiet


def test_the_cue_is_marked_after_its_actor_or_else_where_it_first_occurs():
    from newsmon.explorer_relations import mark_cue

    both = "The US accused China of hacking, and Beijing accused Washington of slander."
    assert mark_cue(both, "accused", ["Beijing"]).count("<mark>") == 1
    assert "and Beijing <mark>accused</mark>" in mark_cue(both, "accused", ["Beijing"])
    assert mark_cue(both, "accused", ["US"]).startswith("The US <mark>accused</mark>")
    passive = "Russian banks were sanctioned by Washington."
    assert (
        mark_cue(passive, "sanctioned", ["Washington"])
        == "Russian banks were <mark>sanctioned</mark> by Washington."
    )
    assert mark_cue("A <b> & c", None) == "A &lt;b&gt; &amp; c"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("relations?pair=CN-RU-US", "relations are between two countries"),
        ("relations?pair=CN-XX", "known: CN-RU"),
        ("relations?pair=CN-US&range=12", "range must be one of"),
        ("relations-day?day=yesterday&pair=CN-US", "day must be a date"),
        ("relations-day?day=&pair=CN-US", "day must be a date"),
    ],
)
def test_bad_choices_are_refused_in_words(site, query, message):
    base, _ = site
    status, _, page = get(f"{base}/{query}")
    assert status == 400 and message in page


def test_explore_leads_with_spikes_about_a_country_and_labels_mention_only_ones(site):
    """On the summit day China and Russia are written about; the United States only named in passing (1 of its 5
    stories is about it): the lead lists the about-spikes first and the US spike as mentions only."""
    base, spike = site
    status, _, page = get(f"{base}/explore?key=US&range=30")
    assert status == 200
    lead = page.split('id="lead-spikes"')[1].split("</ul>")[0]
    items = lead.split("<li ")[1:]
    kinds = [item.split('"')[1] for item in items]
    assert kinds[:2] == ["about", "about"] and kinds[-1] == "mentions" and "pair" in kinds
    assert kinds == sorted(kinds, key=["about", "pair", "mentions"].index)
    assert f"{spike}</a> ·\n<b>CN</b>: 12 stories about it" in lead
    assert '<span class="tag">mentions only</span> <b>US</b>: 5 stories name it, 1 about it' in items[-1]
    # the US chart rings that day with the dashed mentions-only ring, and its spike list says so
    assert 'class="pt spike mentions-only"' in page and "a spike of mentions only: 1 of them about it" in page
    assert "mentions only</span> 1 of them about it" in page.split('id="spikes"')[1]
    # a pair of two countries shows how its ties moved and leads to its relations; the three-country key does not
    status, _, pair_page = get(f"{base}/explore?key=CN-US&range=30")
    assert 'id="relations-link"' in pair_page and 'href="relations?pair=CN-US&range=30"' in pair_page
    ties = pair_page.split('id="relations-chart"')[1].split("</svg>")[0]
    day = spike + timedelta(days=RELATION_DAYS["port-hacking"])
    assert (
        'class="svg-chart share-chart"' in ties and f'href="relations-day?day={day}&amp;pair=CN-US"' in ties
    )
    three = get(f"{base}/explore?key=CN-RU-US")[2]
    assert 'id="relations-link"' not in three and 'id="relations-chart"' not in three


@pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT)
def test_in_chromium_click_a_relation_point_and_land_on_its_sentences(site):
    base, spike = site
    day = spike + timedelta(days=RELATION_DAYS["port-hacking"])
    with chromium() as browser:
        browser.goto(f"{base}/relations?pair=CN-US&range=7")
        browser.wait_for("document.querySelectorAll('.rel-box[data-ready=\"1\"]').length === 3")
        assert browser.evaluate("getComputedStyle(document.querySelector('.rel-chart')).display") == "none"
        browser.evaluate("document.getElementById('chart-US-CN').scrollIntoView()")
        # the US -> China verbal conflict point of the hacking day, on the canvas
        legend, landed = hover_and_click(
            browser,
            f"""(function () {{ var d = newsmonRelations, u = newsmonRelationPlots['US-CN'];
                var i = d.links.findIndex(function (l) {{ return l.indexOf('day={day}&') >= 0; }});
                var dir = d.directions.find(function (r) {{ return r.id === 'US-CN'; }});
                var s = dir.series.find(function (r) {{ return r['class'] === 'verbal_conflict'; }});
                var r = u.over.getBoundingClientRect();
                return [r.left + u.valToPos(d.x[i], 'x'), r.top + u.valToPos(s.values[i], 'y')]; }})()""",
            "#chart-US-CN .u-legend",
            "explorer_relations.png",
            "/relations-day",
        )
        assert "verbal conflict" in legend
        assert landed == str(day)
        assert browser.evaluate("location.hash") == "#rel-US-CN-verbal_conflict"
        text = browser.wait_for(
            "document.getElementById('rel-US-CN-verbal_conflict') && "
            "document.getElementById('rel-US-CN-verbal_conflict').innerText"
        )
        assert "The United States accused China" in text and HACKING_TITLE in text
        assert (
            browser.evaluate("document.querySelectorAll('#rel-US-CN-verbal_conflict blockquote mark').length")
            >= 2
        )
        assert browser.evaluate(
            "document.querySelector('#rel-US-CN-verbal_conflict td.reported').innerText"
        ) in (
            "direct",
            "reported",
        )
        browser.screenshot(ARTIFACTS / "explorer_relations_day.png")
        assert HACKING_TITLE in open_story(browser, "#rel-US-CN-verbal_conflict a.story-link")


@pytest.mark.skipif(not chromium_available(), reason=INSTALL_HINT)
def test_in_chromium_without_javascript_the_svg_points_lead_to_the_sentences(site):
    base, spike = site
    day = spike + timedelta(days=RELATION_DAYS["bank-sanctions"])
    with chromium(javascript=False) as browser:
        follow_svg_link_without_script(
            browser,
            base,
            "relations?pair=RU-US&range=30",
            ".rel-chart",
            "newsmonRelationPlots",
            "explorer_relations_no_js.png",
            f'#chart-US-RU a[data-day="{day}"][data-class="material_conflict"]',
        )
        text = browser.evaluate("document.getElementById('rel-US-RU-material_conflict').innerText")
        assert "imposed sanctions" in text and SANCTIONS_TITLE in text and "Meridian Wire" in text
