"""newsmon.trafilatura_scans against the XPath expressions of trafilatura 2.3.1 they replace: the same elements
in the same order, on hand-made trees that probe XPath's rules and (when ../shared/benchmarks is present) on
every benchmark page, raw and cleaned; and the mirrored extractor functions against trafilatura's own."""

from __future__ import annotations

import gzip
import json
from copy import deepcopy
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from newsmon import trafilatura_scans as scans
from newsmon.extract import _extractor, decode_html, parse_html
from trafilatura import xpaths as X
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning

# No skip for another trafilatura release: tests/test_extract.py asserts the installed one is the mirrored
# release (_FAST_SEQUENCE_OF), and these comparisons failing too is the signal to redo the mirror.

EXTRACTION_DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "extraction"

SECTION_XPATHS = (
    X.OVERALL_DISCARD_XPATH[0],
    X.OVERALL_DISCARD_XPATH[1],
    X.DISCARD_IMAGE_ELEMENTS[0],
    X.TEASER_DISCARD_XPATH[0],
    X.PRECISION_DISCARD_XPATH[0],
    X.PRECISION_DISCARD_XPATH[1],
)
RAW_XPATHS = (X.RAW_TREE_PRUNE_XPATH[0], X.RAW_TREE_PRUNE_XPATH[1], X.REMOVE_COMMENTS_AND_LISTS_XPATH[0])


def _options(focus: str = "balanced"):
    options = _extractor({"fast": True, "include_comments": False, "include_tables": True}, None)
    options.focus = focus
    return options


def _cleaned(tree):
    options = _options()
    return convert_tags(tree_cleaning(deepcopy(tree), options), options, None)


def assert_scans_select_what_the_xpaths_select(tree, label: str = "") -> None:
    assert list(scans.raw_tree_matches(tree)) == [x(tree) for x in RAW_XPATHS], label
    assert list(scans.section_matches(tree)) == [x(tree) for x in SECTION_XPATHS], label
    for k, expression in enumerate(X.BODY_XPATH):
        want = expression(tree)
        assert scans.body_matches(tree, k) == want, (label, k)
        assert scans.first_body(tree, k) is (want[0] if want else None), (label, k)


def assert_raw_prunes_leave_the_same_tree(tree, label: str = "") -> None:
    for comments_too in (True, False):
        mine, theirs = deepcopy(tree), deepcopy(tree)
        scans.prune_raw_tree(mine, comments_too)
        prune_unwanted_nodes(theirs, X.RAW_TREE_PRUNE_XPATH)
        if comments_too:
            prune_unwanted_nodes(theirs, X.REMOVE_COMMENTS_AND_LISTS_XPATH)
        assert etree.tostring(mine) == etree.tostring(theirs), (label, comments_too)


def assert_extract_content_is_trafilaturas(cleaned, label: str = "", focus: str = "balanced") -> None:
    from trafilatura.main_extractor import extract_content

    mine, theirs = deepcopy(cleaned), deepcopy(cleaned)
    body, text = scans.extract_content(mine, _options(focus))
    want_body, want_text = extract_content(theirs, _options(focus))
    assert text == want_text, (label, focus)
    assert etree.tostring(body) == etree.tostring(want_body), (label, focus)
    assert etree.tostring(mine) == etree.tostring(theirs), (label, focus)  # the tree is left as it is there


def _page(body: str, head: str = "") -> etree._Element:
    return parse_html(f"<html><head>{head}</head><body>{body}</body></html>")


STORY = (
    "<p>"
    + "The council approved the harbour plan after a long debate about the cost of the new pier. " * 4
    + "</p>"
)

# Each probes one rule of XPath 1.0 / EXSLT the scans must keep.
HAND_MADE = {
    # re:test(@id|@class, ...) reads the attribute that comes first on the element
    "class before id": f"<div class='cookie-notice' id='main'>{STORY}</div><div id='x' class='cookie'>{STORY}</div>",
    "id before class": f"<div id='cookie' class='story'>{STORY}</div><p class='bottom' id='top'>a</p>",
    "id|style order": "<span style='x' id='hidden'>a</span><span id='y' style='hidden'>b</span>",
    "reply- first attribute": "<div class='reply-box' id='a'>a</div><div id='b' class='reply-box'>b</div>",
    "link token": "<p id='link'>a</p><p class='permalink'>b</p><p class='x link'>c</p><p class='link y'>d</p>",
    "bottom token": "<div class='page-bottom'>a</div><div class='Padding-bottom-lg'>b</div><div id='bottom x'>c</div>",
    # missing and empty attributes read as the empty string
    "empty attributes": f"<div class='' id=''>{STORY}</div><section class=''><p id=''>x</p></section>",
    "bare presence": "<div data-lp-replacement-content=''>a</div><span data-lp-replacement-content>b</span>",
    "equalities": "<div class='post'>a</div><div class='post x'>b</div><p aria-hidden='true'>c</p><p aria-hidden='TRUE'>d</p>"
    "<div class='comments-title'>e</div><div class='Comments-title'>f</div>",
    # case, and translate() of one letter only
    "case": "<div id='Comments'>a</div><div id='COMMENTS'>b</div><div class='Commentary'>c</div>"
    "<div class='comment'>d</div><ul id='comment-list'><li>e</li></ul><ol class='xcomments'><li>f</li></ol>"
    "<ul id='disqus_thread'><li>g</li></ul><div id='disqus_thread'>h</div>",
    "translate": "<div role='Navigation'>a</div><div role='NAV'>b</div><div class='Teaser'>c</div>"
    "<div class='TEASER'>d</div><div id='Main-Content'>e</div><div id='MAIN-CONTENT'>f</div>"
    "<div class='Page-Content'>g</div><div class='PAGE-content'>h</div><div class='FullText'>i</div>",
    "styles": "<div style='display:none'>a</div><div style='display: none'>b</div><div style='border:0'>c</div>"
    "<div style='DISPLAY:NONE'>d</div>",
    # nested matches, and .//*[test][1] (first passing child of each parent) against (.//*[test])[1]
    "nested": f"<div class='sidebar'><div class='share-x'><p class='meta'>a</p></div></div>"
    f"<div class='entry-content'><div class='article-body'>{STORY}</div><div class='post-content'>{STORY}</div></div>"
    f"<section class='articleBody'><div class='entry-content'>{STORY}</div></section>",
    "first per parent": "<div><div class='x'>a</div><div class='post'>b</div><div class='entry'>c</div></div>"
    "<main><article class='article-body'>d</article></main>",
    "main before": f"<main><div class='main-wrap'>{STORY}</div></main><div id='main'>{STORY}</div>",
    "main after": f"<div role='main-region'>{STORY}</div><main>{STORY}</main>",
    "story": f"<div class='article x'>a</div><div class='article '>{STORY}</div><div id='primary-col'>{STORY}</div>"
    f"<div role='article'>b</div><div class='cell'>c</div>",
    # the raw-tree prunes: an infinite-scroll container holding the h1 stays unless it is an mvp-post-add one
    "infinite scroll": f"<div class='infinite-scroll'><h1>Title</h1>{STORY}</div><div id='infinitescroll'>{STORY}</div>"
    f"<aside class='mvp-post-add-box'><h1>More</h1></aside><section class='elementor-share-buttons'>x</section>"
    f"<div class='infinite-scroll'><div class='infinite-scroll'>{STORY}</div></div>",
    "custom tags": "<list class='comments'><item class='widget'>a</item></list><header class='x'>h</header>"
    "<details id='comment-3'>d</details><aside class='cookie'>e</aside>",
    "tails": f"<div>lead <span class='share-x'>share</span> tail one <div id='comments'>c</div> tail two</div>{STORY}",
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_the_scans_select_what_the_xpaths_select_on_hand_made_trees(name):
    tree = _page(HAND_MADE[name])
    cleaned = _cleaned(tree)
    for stage, t in (("raw", tree), ("cleaned", cleaned)):
        assert_scans_select_what_the_xpaths_select(t, f"{name} {stage}")
        for k in range(len(X.BODY_XPATH)):  # main_extractor runs the section expressions below a frame
            frame = scans.first_body(t, k)
            if frame is not None:
                assert_scans_select_what_the_xpaths_select(frame, f"{name} {stage} frame {k}")
    assert_raw_prunes_leave_the_same_tree(tree, name)
    for focus in ("balanced", "precision", "recall"):
        assert_extract_content_is_trafilaturas(cleaned, name, focus)


def test_the_attribute_order_decides_the_union_as_in_lxml():
    # the rule the scans rely on, stated on its own: class first -> the cookie test reads the class
    tree = _page("<div class='cookie' id='a'>x</div><div id='a' class='cookie'>y</div>")
    found = scans.section_matches(tree)[0]
    assert [el.text for el in found] == ["x"] == [el.text for el in X.OVERALL_DISCARD_XPATH[0](tree)]


def test_comments_and_processing_instructions_are_not_elements():
    tree = lxml.html.document_fromstring(
        "<html><body><div class='share-x'><!-- a comment --><?pi x?><p class='meta'>a</p></div>"
        "<div class='entry-content'><!-- c --><p>b</p></div></body></html>"
    )
    assert any(isinstance(el, etree._Comment) for el in tree.iter())
    assert_scans_select_what_the_xpaths_select(tree, "comments")
    assert_raw_prunes_leave_the_same_tree(tree, "comments")


def test_the_mirrored_section_prune_is_trafilaturas_for_each_focus_and_teaser_choice():
    from trafilatura.main_extractor import prune_unwanted_sections

    tree = _cleaned(_page("".join(HAND_MADE.values())))
    for focus in ("balanced", "precision", "recall"):
        for keep_teasers in (False, True):
            for tags in ({"p", "list", "head"}, {"p", "graphic", "table", "ref"}):
                mine, theirs = deepcopy(tree), deepcopy(tree)
                scans.prune_unwanted_sections(mine, set(tags), _options(focus), keep_teasers)
                prune_unwanted_sections(theirs, set(tags), _options(focus), keep_teasers)
                assert etree.tostring(mine) == etree.tostring(theirs), (focus, keep_teasers, tags)


def test_the_overall_discard_guard_keeps_a_tree_it_would_empty():
    # everything in a share box: pruning it would remove more than 6/7 of the text, so nothing goes
    tree = _cleaned(_page(f"<div class='share-box'>{STORY}</div>"))
    kept = deepcopy(tree)
    scans.prune_unwanted_sections(kept, {"p"}, _options())
    assert "harbour" in kept.text_content()


def _benchmark_pages():
    sets = {
        "zyte_news": EXTRACTION_DATA / "zyte_aeb",
        "wcxb_dev": EXTRACTION_DATA / "wcxb_articles",
        "wcxb_test": EXTRACTION_DATA / "wcxb_articles",
    }
    for name, folder in sets.items():
        if name == "zyte_news":
            ids = (folder / "news_en_ids.txt").read_text().split()
        else:
            truth = json.loads((folder / "ground_truth.json").read_text())
            ids = sorted(i for i, t in truth.items() if t.get("split") == name.removeprefix("wcxb_"))
        for i in ids:
            yield f"{name}/{i}", gzip.decompress((folder / "html" / f"{i}.html.gz").read_bytes())


@pytest.mark.skipif(not EXTRACTION_DATA.exists(), reason="shared benchmark folder absent")
def test_the_scans_select_what_the_xpaths_select_on_every_benchmark_page():
    count = 0
    for label, body in _benchmark_pages():
        tree = parse_html(decode_html(body))
        if tree is None:
            continue
        assert_scans_select_what_the_xpaths_select(tree, f"{label} raw")
        assert_raw_prunes_leave_the_same_tree(tree, label)
        scans.prune_raw_tree(tree, comments_too=True)
        cleaned = _cleaned(tree)
        assert_scans_select_what_the_xpaths_select(cleaned, f"{label} cleaned")
        frame = scans.first_body(cleaned, 0)
        if frame is not None:
            assert list(scans.section_matches(frame)) == [x(frame) for x in SECTION_XPATHS], label
        assert_extract_content_is_trafilaturas(cleaned, label)
        count += 1
    assert count > 1000


def test_the_patterns_copied_from_the_expressions_still_read_so():
    copied = {
        X.RAW_TREE_PRUNE_XPATH[0]: (scans._SCROLL, scans._ADDED_POST),
        X.OVERALL_DISCARD_XPATH[1]: (scans._HIDDEN, scans._HIDDEN_ID, scans._HIDDEN_CLASS),
        X.PRECISION_DISCARD_XPATH[1]: (scans._BOTTOM, scans._LINK),
        X.BODY_XPATH[2]: (scans._FULLTEXT,),
    }
    for expression, patterns in copied.items():
        for pattern in patterns:
            assert f"'{pattern.pattern}'" in expression.path, pattern.pattern
    assert "'elementor-share-buttons'" in X.RAW_TREE_PRUNE_XPATH[1].path
