"""Canonical URLs, fingerprints and story grouping. Story texts are written for these tests."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from newsmon.dedupe import (
    StoryIndex,
    article_id,
    canonical_url,
    content_hash,
    hamming,
    simhash,
)

# ------------------------------------------------------------------------------------------------ canonical URL


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.example-news.com/world/2024/03/ferry-reopens",
        "http://www.example-news.com/world/2024/03/ferry-reopens",
        "https://example-news.com/world/2024/03/ferry-reopens/",
        "https://EXAMPLE-NEWS.com:443/world/2024/03/ferry-reopens#comments",
        "https://www.example-news.com/world/2024/03/ferry-reopens?utm_source=rss&utm_medium=feed",
        "https://www.example-news.com/world/2024/03/ferry-reopens?fbclid=IwAR0abc&gclid=xyz",
        "https://m.example-news.com/world/2024/03/ferry-reopens",
        "https://mobile.example-news.com/world/2024/03/ferry-reopens",
        "https://amp.example-news.com/world/2024/03/ferry-reopens",
        "https://www.example-news.com/world/2024/03/ferry-reopens/amp/",
        "https://www.example-news.com/amp/world/2024/03/ferry-reopens",
        "https://www.example-news.com/world/2024/03/ferry-reopens?amp=1",
        "https://www.example-news.com/world/2024/03/ferry-reopens?outputType=amp",
        "http://example-news.com:80//world//2024/03/ferry-reopens",
    ],
)
def test_url_variants_of_one_article_are_one_url(variant):
    assert canonical_url(variant) == "https://example-news.com/world/2024/03/ferry-reopens"
    assert article_id(canonical_url(variant)) == article_id(
        "https://example-news.com/world/2024/03/ferry-reopens"
    )


def test_amp_html_suffix_and_query_order():
    assert (
        canonical_url("https://news.example.org/a/story.amp.html") == "https://news.example.org/a/story.html"
    )
    assert canonical_url("https://news.example.org/item?b=2&a=1&utm_campaign=x") == (
        "https://news.example.org/item?a=1&b=2"
    )
    # parameters that pick the article stay
    assert canonical_url("https://news.example.org/item?id=1") != canonical_url(
        "https://news.example.org/item?id=2"
    )
    assert canonical_url("https://news.example.org:8080/a") == "https://news.example.org:8080/a"


@pytest.mark.parametrize(
    "bad", ["", "ftp://example.org/a", "mailto:x@example.org", "https:///nohost", "not a url"]
)
def test_canonical_url_rejects_what_is_not_a_web_url(bad):
    with pytest.raises(ValueError):
        canonical_url(bad)


def test_article_id_is_16_hex():
    aid = article_id("https://example.org/a")
    assert len(aid) == 16 and int(aid, 16) >= 0


_segment = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x24F, exclude_characters="/?#%"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.lower() not in ("amp", ".", "..") and not s.lower().endswith((".amp", ".amp.html")))
_host = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|ru|cn)", fullmatch=True)
_query = st.lists(
    st.tuples(st.sampled_from(["id", "page", "utm_source", "fbclid", "q", "ref"]), st.text(max_size=6)),
    max_size=4,
)


@st.composite
def _urls(draw):
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    host = draw(_host)
    prefix = draw(st.sampled_from(["", "www.", "m.", "amp.", "WWW."]))
    path = "/".join(draw(st.lists(_segment, max_size=4)))
    query = "&".join(f"{k}={v}" for k, v in draw(_query))
    slash = draw(st.sampled_from(["", "/"]))
    frag = draw(st.sampled_from(["", "#top", "#comments"]))
    return f"{scheme}://{prefix}{host}/{path}{slash}" + (f"?{query}" if query else "") + frag


@settings(max_examples=300, deadline=None)
@given(_urls())
def test_canonical_url_is_idempotent(url):
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert once.startswith("https://") and "#" not in once and "utm_" not in once


@settings(max_examples=300, deadline=None)
@given(_host, st.lists(_segment, min_size=1, max_size=4), st.lists(_segment, min_size=1, max_size=4))
def test_different_article_paths_never_share_a_canonical_url(host, a, b):
    if [s.lower() for s in a] == [s.lower() for s in b] and a == b:
        return
    url_a = f"https://{host}/" + "/".join(a)
    url_b = f"https://{host}/" + "/".join(b)
    assert canonical_url(url_a) != canonical_url(url_b)


# --------------------------------------------------------------------------------------------- fingerprints

FERRY = [
    "Officials in two border cities signed an agreement on Tuesday to reopen a passenger ferry across the river, "
    "ending a pause that lasted more than four years and cut off hundreds of small traders from the market.",
    "The ferry will sail three times a week from May until the river freezes, carrying up to 180 passengers and a "
    "small number of cargo containers on each crossing, the regional transport office said in a statement.",
    "Trade officials on both banks said the service would save traders a drive of several hundred kilometres to "
    "the nearest road bridge, a journey that can take most of a day when snow closes the highway.",
    "Analysts cautioned that customs checks remain slow and that the new terminal still lacks the scanners needed "
    "to clear refrigerated goods, which could limit the cargo the ferry carries in its first season.",
    "A spokesman for the provincial government said the first sailing was planned for the second week of May, "
    "weather permitting, and that tickets would be sold online as well as at a kiosk beside the pier.",
    "Residents interviewed at the pier were mostly pleased, although several said they worried that prices at "
    "the market on the far bank would rise once the crowds of visitors returned for the summer.",
]
# Same topic, different story: the bridge, not the ferry.
BRIDGE = [
    "Engineers began load tests on Wednesday on the new road bridge across the border river, the last step before "
    "the crossing opens to heavy trucks that now wait for days at the only other checkpoint in the region.",
    "The bridge, which took six years to build and cost far more than first planned, will carry up to 600 trucks "
    "a day once customs staff are in place, according to the company that operates it.",
    "Freight firms welcomed the tests but said they had heard promises of an opening date several times before, "
    "and that their drivers would believe it only when the barriers were lifted.",
    "Customs officers on both banks are being trained to use shared inspection lanes, a first for the border, "
    "which officials said would cut the time a truck spends at the crossing to under an hour.",
    "The regional governor said the bridge and the reopened ferry together would double the trade that passes "
    "through the area within three years, a forecast some economists called optimistic.",
]


def _text(paragraphs: list[str]) -> str:
    return "\n".join(paragraphs)


def test_content_hash_ignores_case_and_spacing():
    assert content_hash("The Ferry  reopens.\n") == content_hash("the ferry reopens.")
    assert content_hash("the ferry reopens") != content_hash("the bridge opens")


def test_simhash_is_stable_64_bit_and_close_for_light_edits():
    original = _text(FERRY)
    edited = _text(FERRY[:-1]).replace("Tuesday", "Monday")  # trimmed last paragraph, one word changed
    assert simhash(original) == simhash(original) and 0 < simhash(original) < 2**64
    assert hamming(simhash(original), simhash(edited)) <= 14
    assert hamming(simhash(original), simhash(_text(BRIDGE))) > 16
    assert simhash("") == 0


def test_simhash_handles_chinese_text():
    zh = (
        "两座城市之间的渡轮将于五月恢复运营，交通部门表示这有利于边境贸易，商户们已经等待了整整一个冬天。" * 3
    )
    assert simhash(zh) != 0 and hamming(simhash(zh), simhash(zh.replace("五月", "六月"))) <= 10


# ------------------------------------------------------------------------------------------------ story index

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)


def test_same_story_through_url_variants_is_one_article():
    urls = [
        "https://www.example-wire.com/world/ferry-reopens?utm_source=twitter",
        "http://example-wire.com/world/ferry-reopens/#top",
        "https://m.example-wire.com/world/ferry-reopens?fbclid=abc",
    ]
    assert len({article_id(canonical_url(u)) for u in urls}) == 1


def test_syndicated_copies_join_the_story_and_are_marked_wire():
    index = StoryIndex(window_days=7)
    first = index.add("wire-1", _text(FERRY), T0, "Example Wire")
    assert first == first.__class__("wire-1", None, None, False)
    # An exact copy at another outlet (headline changed: the headline is not part of the text).
    exact = index.add("paper-1", _text(FERRY), T0 + timedelta(hours=1), "Daily Paper")
    assert (exact.story_id, exact.duplicate_of, exact.reason, exact.is_wire) == (
        "wire-1",
        "wire-1",
        "content_hash",
        True,
    )
    # A lightly edited copy: last paragraph trimmed, a credit line added, one word changed.
    edited = _text(["By staff and wire reports", *FERRY[:-1]]).replace("mostly pleased", "largely pleased")
    near = index.add("paper-2", edited, T0 + timedelta(hours=3), "Evening Post")
    assert near.story_id == "wire-1" and near.reason == "simhash" and near.is_wire
    # The same outlet updating its own story is not a wire copy.
    update = index.add("wire-2", _text(FERRY[:-1]), T0 + timedelta(hours=5), "Example Wire")
    assert update.story_id == "wire-1" and not update.is_wire


def test_different_stories_on_the_same_topic_stay_apart():
    index = StoryIndex()
    ferry = index.add("ferry", _text(FERRY), T0, "Example Wire")
    bridge = index.add("bridge", _text(BRIDGE), T0 + timedelta(hours=2), "Example Wire")
    mixed = index.add("mixed", _text(BRIDGE[:2] + FERRY[:2]), T0 + timedelta(hours=3), "Daily Paper")
    assert bridge.story_id == "bridge" and bridge.duplicate_of is None
    assert ferry.story_id == "ferry"
    assert mixed.story_id == "mixed"


def test_copies_outside_the_window_start_a_new_story():
    index = StoryIndex(window_days=7)
    index.add("old", _text(FERRY), T0, "Example Wire")
    later = index.add("later", _text(FERRY), T0 + timedelta(days=30), "Daily Paper")
    assert later.story_id == "later" and later.duplicate_of is None


def test_short_texts_match_only_exactly():
    index = StoryIndex()
    index.add("a", "Ferry reopens in May, officials say.", T0, "A")
    assert index.add("b", "Ferry reopens in June, officials say.", T0, "B").story_id == "b"
    assert index.add("c", "ferry reopens in may, officials say.", T0, "C").story_id == "a"


def test_adding_twice_gives_the_same_answer():
    index = StoryIndex()
    index.add("a", _text(FERRY), T0, "A")
    first = index.add("b", _text(FERRY[:-1]), T0, "B")
    assert index.add("b", _text(FERRY[:-1]), T0, "B") == first and len(index) == 2


def test_index_rebuilt_from_stored_rows_keeps_grouping():
    index = StoryIndex()
    rows = []
    for aid, paras, source, hours in [
        ("w1", FERRY, "Wire", 0),
        ("b1", BRIDGE, "Wire", 1),
        ("p1", FERRY[:-1], "P", 2),
    ]:
        text = _text(paras)
        m = index.add(aid, text, T0 + timedelta(hours=hours), source)
        rows.append((aid, m.story_id, simhash(text), content_hash(text), T0 + timedelta(hours=hours), source))
    restored = StoryIndex().from_rows(rows)
    copy = restored.add("p2", _text(FERRY[:-1]).replace("Tuesday", "Monday"), T0 + timedelta(hours=4), "Q")
    assert copy.story_id == "w1" and copy.is_wire
    assert restored.add("b2", _text(BRIDGE), T0 + timedelta(hours=4), "Z").reason == "content_hash"
    # rows as DuckDB returns them: naive timestamps, simhash as a plain int, None where unknown
    naive = StoryIndex().from_rows([("x", "x", None, None, datetime(2024, 3, 5), None)])
    assert len(naive) == 1


def test_many_articles_stay_fast_and_apart():
    rng = random.Random(7)
    words = [f"w{i}" for i in range(3000)]
    index = StoryIndex()
    import time

    start = time.perf_counter()
    stories = 0
    for n in range(1500):
        text = " ".join(rng.choice(words) for _ in range(120))
        stories += index.add(f"a{n}", text, T0 + timedelta(minutes=n), "S").story_id == f"a{n}"
    assert stories == 1500  # unrelated texts never merge
    assert time.perf_counter() - start < 20


def test_rows_with_text_let_grey_zone_copies_join_across_batches():
    original = _text(FERRY)
    copy = _text(["By staff and wire reports", *FERRY[:-1]]).replace("mostly pleased", "largely pleased")
    d = hamming(simhash(original), simhash(copy))
    row = ("w1", "w1", simhash(original), content_hash(original), T0, "Wire")
    without_text = StoryIndex().from_rows([row]).add("p1", copy, T0 + timedelta(hours=1), "Paper")
    with_text = StoryIndex().from_rows([(*row, original)]).add("p1", copy, T0 + timedelta(hours=1), "Paper")
    assert with_text.story_id == "w1" and with_text.is_wire
    if d > StoryIndex().max_distance:  # in the grey zone only the text can confirm the match
        assert without_text.story_id == "p1"


# ------------------------------------------------------------------------------------- fingerprints: fast paths

# Fingerprints stored in warehouses stay valid only if the functions never change their values: these were
# computed by the regex-and-np.unique implementation the fast paths replaced.
PINNED_FINGERPRINTS = [
    ("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("one", 3640053896945323068, "fe05bcdcdc4928012781a5f1a2a77cbb5398e106"),
    ("two words", 12186163236572725411, "6bbd56a66ff1072a75f30df793911caccaef32c8"),
    ("The Ferry  reopens.\n", 15716602013209158144, "c79d831401aa421765068d415428fcc01862a757"),
    (
        "Officials in Beijing said the agreement on grain exports would be reviewed on Monday.\nThe White House declined to comment.",
        1865053198789906780,
        "2ac5ff81912762f5128a723104d7dfad53d4fe71",
    ),
    (
        "Ünïcödé café — naïve ﬁne  text\xa0with\u2003odd spaces",
        11696702384981752953,
        "43e368122ff8b08f07b547ef35ab15c23c70a43b",
    ),
    (
        "中国的经济政策 日本語のテキスト 한국어 문장",
        2388985972305451026,
        "3800ee898d3377c455b00ec350d360727d34c465",
    ),
    (
        "snake_case and-dashes, 3.5% (numbers) [brackets]",
        2982795364930820199,
        "8f2a142a71d76758e113c2815e5925e9e79c2003",
    ),
]


@pytest.mark.parametrize(("text", "sim", "digest"), PINNED_FINGERPRINTS)
def test_fingerprints_keep_their_values(text, sim, digest):
    assert simhash(text) == sim
    assert content_hash(text) == digest


def test_split_is_regex_whitespace_on_every_code_point():
    """normalise_text relies on str.split() and regex \\s agreeing on what whitespace is."""
    import sys

    space = re.compile(r"\s")
    differ = [c for c in map(chr, range(sys.maxunicode + 1)) if bool(space.fullmatch(c)) != c.isspace()]
    assert differ == []


def _reference_normalise(text):
    import unicodedata

    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "").lower()).strip()


_ODD = (
    "aZ09 _-\t\n\r\x0b\x0c\x1c\x85\u00a0\u2003\u3000\u200béÉßİıﬁ①Ⅻ中文日本語カタカナ한국어\u0301ǅ.,;!?'\"%$"
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(list(_ODD)), max_size=80).map("".join))
def test_fast_paths_match_the_regex_definitions(text):
    from newsmon.dedupe import _TOKEN, normalise_text, tokens

    assert normalise_text(text) == _reference_normalise(text)
    assert tokens(text) == _TOKEN.findall(_reference_normalise(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([chr(c) for c in range(128)]), max_size=80).map("".join))
def test_the_ascii_fast_path_of_tokens_matches_the_regex_definition(text):
    from newsmon.dedupe import _TOKEN, tokens

    assert tokens(text) == _TOKEN.findall(_reference_normalise(text))


@settings(max_examples=300, deadline=None)
@given(
    st.sets(st.integers(0, 2**64 - 1), max_size=60),
    st.sets(st.integers(0, 2**64 - 1), max_size=60),
    st.sets(st.integers(0, 2**64 - 1), max_size=40),
)
def test_containment_is_the_share_of_the_smaller_set_in_the_larger(a, b, shared):
    import numpy as np
    from newsmon.dedupe import containment

    left, right = (np.array(sorted(x | shared), dtype=np.uint64) for x in (a, b))
    want = len((a | shared) & (b | shared)) / min(left.size, right.size) if left.size and right.size else 0.0
    assert containment(left, right) == want == containment(right, left)


def test_token_hashes_are_the_cached_ones_and_the_table_stays_bounded(monkeypatch):
    import numpy as np
    from newsmon import dedupe

    table = dedupe._TokenHashes()
    monkeypatch.setattr(table, "limit", 3)
    words = [f"w{n}" for n in range(10)]
    assert [table[w] for w in words] == [dedupe._token_hash(w) for w in words]
    assert len(table) <= 3
    text = "Officials met on Tuesday to sign a grain corridor agreement with five-year tariffs"
    tokens = dedupe.tokens(text)
    hashes = np.array([dedupe._token_hash(t) for t in tokens], dtype=np.uint64)
    n = len(hashes) - 2
    combined = hashes[:n] * dedupe._SHINGLE_MULT + hashes[1 : n + 1]
    combined = combined * dedupe._SHINGLE_MULT + hashes[2 : n + 2]
    assert (dedupe.shingle_hashes(text) == np.unique(dedupe._mix(combined))).all()
