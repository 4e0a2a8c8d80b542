"""The tagger against ../shared/docs/MENTION_POLICY.md: every counted and every excluded example, case rules,
office-holder dates, segmentation, positions, pairs, scores, the watchlist file, robustness and the CLI."""

from __future__ import annotations

import io
import json
import re
import sys
import time
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsmon.config import DEFAULT_WATCHLIST_FILE, ConfigError
from newsmon.tagging import (
    Segments,
    Tagger,
    geo_recall,
    load_watchlist,
    parse_watchlist,
    score_labelled,
    score_real_news,
    tag_text,
)

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def found(tagger: Tagger, text: str, day: date | str | None = TODAY) -> list[tuple[str, str]]:
    """(surface, country) of every mention, in order."""
    return [(m.surface, m.country) for m in tagger.tag_article(None, text, day).mentions]


# ---------------------------------------------------------------------------------------------------- counted

COUNTED = [
    # names
    ("China opened the border crossing.", [("China", "CN")]),
    ("The People's Republic of China marked its anniversary.", [("People's Republic of China", "CN")]),
    ("The PRC embassy issued a statement.", [("PRC", "CN")]),
    ("Factories in mainland China slowed.", [("China", "CN")]),
    ("Mainland China reported more cases.", [("Mainland China", "CN")]),
    ("Russia closed its airspace.", [("Russia", "RU")]),
    ("The Russian Federation objected.", [("Russian Federation", "RU")]),
    ("The United States voted against.", [("United States", "US")]),
    ("The United States of America signed.", [("United States of America", "US")]),
    ("The U.S. envoy left early.", [("U.S.", "US")]),
    ("The US envoy left early.", [("US", "US")]),
    ("The USA won the final.", [("USA", "US")]),
    ("The U.S.A. team arrived.", [("U.S.A.", "US")]),
    ("America is divided on the issue.", [("America", "US")]),
    # demonyms, also in compounds
    ("Chinese exporters are worried.", [("Chinese", "CN")]),
    ("A Russian tanker sank.", [("Russian", "RU")]),
    ("Russians voted over three days.", [("Russians", "RU")]),
    ("An American reporter was freed.", [("American", "US")]),
    ("Americans are travelling less.", [("Americans", "US")]),
    ("The Russian-born pianist played.", [("Russian", "RU")]),
    ("A pro-Kremlin channel aired it.", [("Kremlin", "RU")]),
    ("Crowds chanted anti-American slogans.", [("American", "US")]),
    # capitals and seats of power
    ("Beijing rejected the claim.", [("Beijing", "CN")]),
    ("Leaders gathered in Zhongnanhai.", [("Zhongnanhai", "CN")]),
    ("Moscow denied it.", [("Moscow", "RU")]),
    ("The Kremlin said talks would go on.", [("Kremlin", "RU")]),
    ("Washington imposed sanctions.", [("Washington", "US")]),
    ("The White House welcomed the vote.", [("White House", "US")]),
    ("The Pentagon confirmed the strike.", [("Pentagon", "US")]),
    ("Capitol Hill is split on aid.", [("Capitol Hill", "US")]),
    ("The State Department issued a warning.", [("State Department", "US")]),
    # office holders inside their terms
    ("Xi Jinping spoke first.", [("Xi Jinping", "CN")]),
    ("Li Qiang opened the forum.", [("Li Qiang", "CN")]),
    ("Wang Yi met the envoy.", [("Wang Yi", "CN")]),
    ("Vladimir Putin signed the law.", [("Vladimir Putin", "RU")]),
    ("Mikhail Mishustin presented the budget.", [("Mikhail Mishustin", "RU")]),
    ("Sergei Lavrov arrived in Ankara.", [("Sergei Lavrov", "RU")]),
    ("Donald Trump signed the order.", [("Donald Trump", "US")]),
    ("Marco Rubio flew to Manila.", [("Marco Rubio", "US")]),
    # combined forms
    ("Sino-Russian trade grew.", [("Sino", "CN"), ("Russian", "RU")]),
    ("Sino-American ties are strained.", [("Sino", "CN"), ("American", "US")]),
    ("The Russo-American treaty lapsed.", [("Russo", "RU"), ("American", "US")]),
    ("US-China talks resumed.", [("US", "US"), ("China", "CN")]),
    ("The US-Russia summit was delayed.", [("US", "US"), ("Russia", "RU")]),
    # the names in other languages
    ("中国经济增长放缓。", [("中国", "CN")]),
    ("美国宣布新的关税。", [("美国", "US")]),
    ("俄罗斯外交部发表声明。", [("俄罗斯", "RU")]),
    ("Китай повысил пошлины.", [("Китай", "CN")]),
    ("Россия ответила отказом.", [("Россия", "RU")]),
    ("США ввели санкции.", [("США", "US")]),
    ("Отношения России и Китая укрепились.", [("России", "RU"), ("Китая", "CN")]),
    ("Делегация прибыла в Москву, затем в Пекин.", [("Москву", "RU"), ("Пекин", "CN")]),
    ("Российская делегация прибыла.", [("Российская", "RU")]),
    ("Российско-китайские отношения крепнут.", [("Российско", "RU"), ("китайские", "CN")]),
    ("中俄关系良好。", [("中俄", "CN"), ("中俄", "RU")]),
    ("中美俄三国会晤。", [("中美俄", "CN"), ("中美俄", "RU"), ("中美俄", "US")]),
    ("中方表示反对，美方回应。", [("中方", "CN"), ("美方", "US")]),
    # a language verb before a noun is the country again
    ("He studies Chinese politics.", [("Chinese", "CN")]),
    ("Troops moved into Russian territory.", [("Russian", "RU")]),
]


@pytest.mark.parametrize("text,expected", COUNTED, ids=[c[0][:40] for c in COUNTED])
def test_policy_counts(tagger, text, expected):
    assert found(tagger, text) == expected


def test_combined_forms_have_kind_combined(tagger):
    result = tagger.tag_article(None, "Sino-Russian and US-China ties; Russian-born envoys.", TODAY)
    kinds = [(m.surface, m.kind) for m in result.mentions]
    assert kinds == [
        ("Sino", "combined"),
        ("Russian", "combined"),
        ("US", "combined"),
        ("China", "combined"),
        ("Russian", "demonym"),
    ]


def test_alias_kinds(tagger):
    result = tagger.tag_article(None, "China, Chinese, Beijing, Zhongnanhai and Xi Jinping.", TODAY)
    assert [m.kind for m in result.mentions] == ["name", "demonym", "capital", "institution", "person"]
    assert [m.alias for m in result.mentions] == ["China", "Chinese", "Beijing", "Zhongnanhai", "Xi Jinping"]


# ---------------------------------------------------------------------------------------------------- not counted

NOT_COUNTED = [
    # the pronoun, also in capitals, and titles
    "Let us know what you think.",
    "JOIN US",
    "JOIN US FOR A LIVE CHAT ON FRIDAY",
    "TELL US WHAT YOU THINK",
    "HELP US REACH OUR GOAL",
    "She read Us Weekly on the train.",
    "The cover of US Weekly showed a wedding.",
    # porcelain and idioms
    "She keeps the good china in a cabinet.",
    "The message got garbled like Chinese whispers.",
    "Borrowing that much is Russian roulette.",
    "The buffet had Russian salad.",
    "He ordered a Moscow mule.",
    # other Americas
    "Coffee prices rose in Latin America.",
    "The tour covers South America.",
    "Migrants left Central America.",
    "Storms swept North America.",
    "Leaders from across the Americas met.",
    "Latin Americans sent record remittances home.",
    # Washington that is not the capital
    "Apples grow well in Washington state.",
    "OLYMPIA, Washington — Salmon returned to the river.",
    "George Washington crossed the river.",
    "The film stars Denzel Washington.",
    "She teaches at the University of Washington.",
    "The Washington Post broke the story.",
    "The South China Morning Post reported it.",
    "He works at Bank of America.",
    "Tech jobs left states such as California or Washington.",
    "Washington, Oregon and Idaho share the river.",
    "He lives on Washington Drive.",
    # Taiwan, Hong Kong, Macau
    "Taiwan held elections.",
    "The Republic of China is Taiwan's official name.",
    "Hong Kong shares fell.",
    "Macau casinos reopened.",
    # Soviet, places named like the countries
    "The Soviet Union collapsed in 1991.",
    "The USSR launched a satellite.",
    "They renovated Soviet-era flats.",
    "The town of Moscow, Idaho, is small.",
    "MOSCOW, Idaho — Growers here are worried.",
    "Moscow (Idaho) has a university.",
    "They paddled down the Russian River.",
    "Boats crowded the South China Sea.",
    # languages and currency
    "She speaks fluent Russian.",
    "The interview was conducted in Mandarin.",
    "The book was translated from Chinese.",
    "The answer came in Russian.",
    "He is learning Chinese at night school.",
    "She speaks Russian fluently.",
    "The price was US$25.",
    "Read more at https://example.com/news/Beijing-bans-China-Russia-Sales.html today.",
    "See www.example.org/Moscow_trip for the pictures.",
]


@pytest.mark.parametrize("text", NOT_COUNTED)
def test_policy_exclusions(tagger, text):
    assert found(tagger, text) == []


def test_exclusion_leaves_real_mentions_in_the_same_sentence(tagger):
    text = "Beijing claims most of the South China Sea, and China's navy patrols it."
    assert found(tagger, text) == [("Beijing", "CN"), ("China", "CN")]


# ---------------------------------------------------------------------------------------------------- case rules

CAPS = [
    ("PUTIN TELLS US ENVOY TO EXPECT NOTHING", [("PUTIN", "RU"), ("US", "US")]),
    ("US TO IMPOSE TARIFFS ON CHINESE STEEL", [("US", "US"), ("CHINESE", "CN")]),
    ("WHAT THE US ELECTION MEANS", [("US", "US")]),
    ("US-CHINA TALKS END", [("US", "US"), ("CHINA", "CN")]),
    ("KREMLIN WARNS WASHINGTON", [("KREMLIN", "RU"), ("WASHINGTON", "US")]),
    ("TELL US WHAT YOU THINK", []),
    ("FOLLOW US ON SOCIAL MEDIA", []),
    ("CONTACT US", []),
    ("Please JOIN US today", []),
    ("Tell us about the US visa process.", [("US", "US")]),
    ("Oil traded at 80 US dollars.", []),  # a currency marker (issue 13; was counted before)
    ("The US-24 highway was closed.", []),
    ("POPE PIUS XI SIGNED THE TREATY", []),
]


@pytest.mark.parametrize("text,expected", CAPS)
def test_case_rules(tagger, text, expected):
    assert found(tagger, text) == expected


def test_lowercase_forms_are_not_aliases(tagger):
    assert found(tagger, "china russia america us kremlin beijing") == []


def test_word_boundaries(tagger):
    text = "Indochina, Chinatown, Americana, Prussian, USB, USAID, Russianness."
    assert found(tagger, text) == []


# ---------------------------------------------------------------------------------------------------- office holders


@pytest.mark.parametrize(
    "text,day,expected",
    [
        ("Joe Biden spoke.", date(2022, 6, 1), [("Joe Biden", "US")]),
        ("Joe Biden spoke.", TODAY, []),
        ("Donald Trump spoke.", date(2023, 6, 1), []),
        ("Donald Trump spoke.", date(2019, 6, 1), [("Donald Trump", "US")]),
        ("President Trump spoke.", date(2023, 6, 1), [("President Trump", "US")]),
        ("Former President Obama spoke.", date(2024, 6, 1), []),
        ("Former President Obama spoke.", date(2015, 6, 1), [("President Obama", "US")]),
        ("Wang Yi met them.", date(2023, 3, 1), []),  # Qin Gang was foreign minister then
        ("Qin Gang met them.", date(2023, 3, 1), [("Qin Gang", "CN")]),
        ("Wang Yi met them.", date(2023, 8, 1), [("Wang Yi", "CN")]),
        ("Medvedev spoke.", date(2019, 1, 1), [("Medvedev", "RU")]),
        ("Medvedev spoke.", date(2021, 1, 1), []),
        ("Secretary of State Blinken met them.", date(2026, 1, 1), [("Secretary of State Blinken", "US")]),
        ("Antony Blinken met them.", date(2026, 1, 1), []),
        ("Donald Trump Jr. spoke.", date(2019, 6, 1), []),
        ("Vice President Biden spoke.", date(2012, 6, 1), []),
        ("Premier Li met them.", date(2020, 6, 1), [("Premier Li", "CN")]),  # Li Keqiang; Li Qiang shares it
        ("Li met them.", date(2020, 6, 1), []),
        ("Secretary of State Rice met them.", date(2020, 6, 1), [("Secretary of State Rice", "US")]),
        ("Rice prices rose.", date(2007, 6, 1), []),
        ("Vice-President Biden spoke.", date(2022, 6, 1), [("President Biden", "US")]),
    ],
)
def test_office_holders_count_inside_their_terms_or_with_a_title(tagger, text, day, expected):
    assert found(tagger, text, day) == expected


def test_article_date_accepts_datetime_and_string(tagger):
    aware = datetime(2022, 6, 1, 23, 30, tzinfo=UTC)
    assert found(tagger, "Joe Biden spoke.", aware) == [("Joe Biden", "US")]
    assert found(tagger, "Joe Biden spoke.", "2022-06-01") == [("Joe Biden", "US")]
    with pytest.raises(ValueError, match="not a date"):
        tagger.tag_article(None, "Joe Biden spoke.", "yesterday")


def test_terms_from_the_watchlist_are_real_dates():
    wl = load_watchlist()
    people = {a.text: a.person for a in wl.aliases if a.person and not a.titled}
    assert people["Vladimir Putin"].in_office(date(2000, 1, 1))
    assert people["Joe Biden"].in_office(date(2025, 1, 19)) and not people["Joe Biden"].in_office(
        date(2025, 1, 21)
    )
    assert people["Donald Trump"].in_office(date(2026, 11, 28))
    assert not people["Donald Trump"].in_office(date(2022, 1, 1))


# ---------------------------------------------------------------------------------------------------- segmentation


def test_sentences_cope_with_abbreviations_initials_and_decimals():
    text = (
        "Mr. Li met Dr. Petrova on Jan. 5 and John F. Kennedy's heirs. The U.S. economy grew 3.5 percent. "
        "It rose approx. two points. Talks with the U.S. The end came soon."
    )
    seg = Segments.of(text)
    assert [text[s:e] for s, e in seg.sentences] == [
        "Mr. Li met Dr. Petrova on Jan. 5 and John F. Kennedy's heirs.",
        "The U.S. economy grew 3.5 percent.",
        "It rose approx. two points.",
        "Talks with the U.S.",
        "The end came soon.",
    ]


def test_paragraphs_are_lines_and_blank_lines_do_not_count():
    text = "  First para. Still first.\n\n\n   Second para.  \n  \nThird!\n"
    seg = Segments.of(text)
    assert [text[s:e] for s, e in seg.paragraphs] == ["First para. Still first.", "Second para.", "Third!"]
    assert seg.sentence_paragraph == [0, 0, 1, 2]


def test_positions_indices_and_evidence(tagger):
    title = "China and Russia hold talks"
    text = "Officials from Beijing arrived. The US watched.\n\nLater, Moscow said little. Russia agreed."
    result = tagger.tag_article(title, text, TODAY)
    rows = [(m.surface, m.position, m.sentence, m.paragraph) for m in result.mentions]
    assert rows == [
        ("China", "title", -1, -1),
        ("Russia", "title", -1, -1),
        ("Beijing", "lead", 0, 0),
        ("US", "lead", 1, 0),
        ("Moscow", "body", 2, 1),
        ("Russia", "body", 3, 1),
    ]
    for m in result.mentions:
        source = title if m.position == "title" else text
        assert source[m.start : m.end] == m.surface
        assert m.surface in m.evidence
    assert result.mentions[3].evidence == "The US watched."
    assert result.mentions[0].evidence == title


# ---------------------------------------------------------------------------------------------------- pairs, scores


def test_pairs_at_three_levels(tagger):
    text = (
        "China and Russia signed a deal.\n"
        "The United States objected. Beijing shrugged.\n"
        "Moscow, Beijing and Washington all commented."
    )
    pairs = tagger.tag_article(None, text, TODAY).pairs
    assert pairs["sentence"] == ["CN-RU", "CN-US", "RU-US", "CN-RU-US"]
    assert pairs["paragraph"] == ["CN-RU", "CN-US", "RU-US", "CN-RU-US"]
    assert pairs["article"] == ["CN-RU", "CN-US", "RU-US", "CN-RU-US"]

    text = "China and Russia signed a deal.\nThe United States objected. Beijing shrugged."
    pairs = tagger.tag_article(None, text, TODAY).pairs
    assert pairs["sentence"] == ["CN-RU"]
    assert pairs["paragraph"] == ["CN-RU", "CN-US"]
    assert pairs["article"] == ["CN-RU", "CN-US", "RU-US", "CN-RU-US"]


def test_title_counts_as_a_sentence_for_pairs(tagger):
    pairs = tagger.tag_article("Russia courts China", "Nothing else here.", TODAY).pairs
    assert pairs == {"sentence": ["CN-RU"], "paragraph": ["CN-RU"], "article": ["CN-RU"]}


def test_salience_and_about(tagger):
    text = "Talks opened in Geneva.\n" + "Russia said no. " * 4 + "\nA US diplomat attended."
    result = tagger.tag_article("Russia rejects offer", text, TODAY)
    ru, us = result.countries["RU"], result.countries["US"]
    assert ru["mentions"] == 5 and us["mentions"] == 1
    assert ru["about"] is True and us["about"] is False
    assert 0 < us["salience"] < ru["salience"] <= 1
    lead_only = tagger.tag_article(None, "China cut rates.\nMarkets rose.", TODAY)
    assert lead_only.countries["CN"]["about"] is True


def test_empty_result_shape(tagger):
    result = tagger.tag_article(None, "", TODAY)
    assert result.mentions == [] and result.countries == {}
    assert result.pairs == {"sentence": [], "paragraph": [], "article": []}
    assert result.watchlist_version == tagger.version


# ---------------------------------------------------------------------------------------------------- watchlist


def test_watchlist_version_has_declared_version_and_hash(tmp_path):
    wl = load_watchlist()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d\.\d+\+[0-9a-f]{8}", wl.version)
    edited = tmp_path / "w.yaml"
    edited.write_text(DEFAULT_WATCHLIST_FILE.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    other = load_watchlist(edited)
    assert other.declared_version == wl.declared_version and other.version != wl.version


def test_adding_a_country_is_an_edit_of_the_yaml(tmp_path):
    text = DEFAULT_WATCHLIST_FILE.read_text(encoding="utf-8").replace(
        "countries:\n",
        "countries:\n  UA:\n    label: Ukraine\n    aliases:\n      name: [Ukraine]\n"
        "      demonym: [Ukrainian, Ukrainians]\n      capital: [Kyiv, Kiev]\n",
        1,
    )
    path = tmp_path / "watchlist.yaml"
    path.write_text(text, encoding="utf-8")
    tagger = Tagger(load_watchlist(path))
    result = tagger.tag_article(None, "Kyiv and Moscow traded blame. Ukrainian troops advanced.", TODAY)
    assert [(m.surface, m.country) for m in result.mentions] == [
        ("Kyiv", "UA"),
        ("Moscow", "RU"),
        ("Ukrainian", "UA"),
    ]
    assert result.pairs["sentence"] == ["RU-UA"]


BAD_WATCHLISTS = [
    ("countries: {CN: {aliases: {name: [China]}}}", "needs a 'version'"),
    ("version: '1'\ncountries: {China: {aliases: {name: [China]}}}", "not two capital letters"),
    ("version: '1'\ncountries: {CN: {aliases: {nickname: [Cathay]}}}", "unknown kind"),
    (
        "version: '1'\ncountries: {CN: {aliases: {name: [China]}}}\nrules: [{id: x, before: '(', aliases: [China]}]",
        "not a valid regular expression",
    ),
    (
        "version: '1'\ncountries: {CN: {aliases: {name: [China]}}}\nrules: [{id: x, before: 'a$', aliases: [Cathay]}]",
        "no country has: Cathay",
    ),
    (
        "version: '1'\ncountries: {CN: {people: [{aliases: [Xi], terms: [[2020-01-01, 2019-01-01]]}]}}",
        "ends before it starts",
    ),
    ("version: '1'\ncountries: {CN: {people: [{aliases: [Xi], terms: [[soon, null]]}]}}", "is not a date"),
    (
        "version: '1'\ncountries: {CN: {aliases: {name: [China]}}}\npronoun_rules: {China: {function_words: [ON]}}",
        "put the word in quotes",
    ),
    ("version: '1'\ncountries: [CN]", "needs a 'countries:' mapping"),
    ("version: [unclosed", "not valid YAML"),
]


@pytest.mark.parametrize("text,message", BAD_WATCHLISTS, ids=[m for _, m in BAD_WATCHLISTS])
def test_bad_watchlists_get_specific_errors(text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_watchlist(text, source="test.yaml")


def test_missing_watchlist_file(tmp_path):
    with pytest.raises(ConfigError, match="watchlist not found"):
        load_watchlist(tmp_path / "nope.yaml")


def test_compiled_once_into_one_pattern(tagger):
    # One alternation for every alias and exclusion (not one regex per alias).
    assert isinstance(tagger._pattern, re.Pattern)
    surfaces = {a.text for a in tagger.watchlist.aliases}
    assert len(surfaces) > 300
    assert all(tagger._pattern.match(s) for s in surfaces)


# ---------------------------------------------------------------------------------------------------- robustness

ALIASES = sorted({a.text for a in load_watchlist().aliases if not a.excluded})
FILLER = st.lists(
    st.sampled_from(
        list("abcXYZ .,;:-'\"\n\t()!?0123456789éДж中文。") + ["U.S.", "us", "US", " Mr. ", "JOIN "]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(FILLER, st.sampled_from(ALIASES)), max_size=8), FILLER, st.one_of(FILLER, st.none())
)
def test_offsets_always_slice_the_surface(parts, tail, title):
    tagger = _shared_tagger()
    text = "".join(f + a for f, a in parts) + tail
    result = tagger.tag_article(title, text, TODAY)
    seg = Segments.of(text)
    last_end, last_span = -1, (-1, -1)
    for m in result.mentions:
        source = title if m.position == "title" else text
        assert source[m.start : m.end] == m.surface
        assert m.surface and m.country in ("CN", "RU", "US")
        if m.position != "title":
            # in order and never overlapping, except one combined surface naming several countries ("中俄")
            assert m.start >= last_end or (m.start, m.end) == last_span
            last_end, last_span = m.end, (m.start, m.end)
            assert 0 <= m.sentence < len(seg.sentences) and 0 <= m.paragraph < len(seg.paragraphs)
            assert (m.position == "lead") == (m.paragraph == 0)
            assert m.surface in m.evidence
    assert set(result.countries) == {m.country for m in result.mentions}


@lru_cache(maxsize=1)
def _shared_tagger() -> Tagger:
    return Tagger()  # hypothesis runs many examples; compile once


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n\t ",
        "\x00\x01\x02\ufffd\ufffe" * 1000,
        bytes(range(256)).decode("latin-1") * 200,
        "中国和美国。Россия и США. China and Russia.\u200b\u202eAmerica\U0001f600 Москва",
        "U.S." * 5000,
        "." * 10000 + "China" + "!" * 10000,
        "\n" * 10000 + "Russia",
        "US-" * 3000,
    ],
    ids=["empty", "blank", "control", "latin1-bytes", "mixed-script", "dots", "punct", "newlines", "hyphens"],
)
def test_never_fails_on_odd_text(tagger, text):
    result = tagger.tag_article(text[:200], text, None)
    for m in result.mentions:
        source = text[:200] if m.position == "title" else text
        assert source[m.start : m.end] == m.surface


def test_huge_text_is_tagged_quickly(tagger):
    paragraph = (
        "Officials in Beijing and Moscow met on Tuesday, while the U.S. delegation waited in Geneva. "
        "Mr. Li said talks went well; prices rose 3.5 percent in Jan. and markets were calm.\n"
    )
    text = paragraph * (4_000_000 // len(paragraph))  # about 4 MB
    started = time.process_time()
    result = tagger.tag_article(None, text, TODAY)
    elapsed = time.process_time() - started
    assert len(result.mentions) == 3 * (4_000_000 // len(paragraph))
    assert result.mentions[-1].paragraph == 4_000_000 // len(paragraph) - 1
    assert elapsed < 20  # about 1 s on one core; generous for a noisy shared machine


# ---------------------------------------------------------------------------------------------------- seed article

SEED_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "seed"
SEED_DAY = date(2022, 12, 25)


def _seed_parts() -> tuple[str, str]:
    """(donation appeal, story) paragraphs of the seed page, found by the appeal's opening and closing words."""
    files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
    if not files:
        pytest.skip(f"seed article not found in {SEED_DIR}")
    paragraphs = [p for p in files[0].read_text(encoding="utf-8").split("\n") if p.strip()]
    appeal_at = [i for i, p in enumerate(paragraphs) if p.startswith("Your support")]
    assert len(appeal_at) >= 2, "the seed page should open and close its appeal with 'Your support'"
    first, last = appeal_at[0], appeal_at[-1]
    return "\n".join(paragraphs[first : last + 1]), "\n".join(paragraphs[last + 1 :])


def test_seed_story_mentions_china_russia_and_the_united_states(tagger):
    _, story = _seed_parts()
    result = tagger.tag_article(None, story, SEED_DAY)
    assert {"CN", "RU", "US"} <= set(result.countries)
    assert "CN-RU" in result.pairs["sentence"]
    assert result.countries["CN"]["mentions"] >= 5 and result.countries["RU"]["mentions"] >= 5


def test_seed_donation_appeal_alone_produces_us_mentions(tagger):
    # Why cleaning must remove it: tagging is blind to boilerplate, so the appeal would count as US news.
    appeal, _ = _seed_parts()
    result = tagger.tag_article(None, appeal, SEED_DAY)
    assert result.countries.get("US", {}).get("mentions", 0) >= 3
    assert {m.country for m in result.mentions} == {"US"}


# ---------------------------------------------------------------------------------------------------- quality gates

LABELLED = Path(__file__).resolve().parents[1] / "bench" / "data" / "tagging_labelled.jsonl"
GEO = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "benchmarks"
    / "geo"
    / "cru_country_mentions_gold.jsonl"
)


def test_labelled_set_precision_and_recall(tagger):
    records = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").split("\n") if line.strip()]
    assert len(records) >= 300
    scores = score_labelled(tagger, records)
    for code in ("CN", "RU", "US"):
        assert scores[code]["precision"] >= 0.97, (code, scores[code])
        assert scores[code]["recall"] >= 0.97, (code, scores[code])


POLICY_PHRASES = [
    # every exclusion of the policy ...
    "us",
    "JOIN US",
    "Us Weekly",
    "china",
    "Chinese whispers",
    "Russian roulette",
    "Russian salad",
    "Moscow mule",
    "Latin America",
    "South America",
    "Central America",
    "North America",
    "the Americas",
    "Latin Americans",
    "Washington state",
    "George Washington",
    "University of Washington",
    "Washington Post",
    "South China Morning Post",
    "Bank of America",
    "Taiwan",
    "Republic of China",
    "Hong Kong",
    "Macau",
    "Soviet Union",
    "USSR",
    "Soviet-era",
    "Moscow, Idaho",
    "Russian River",
    "South China Sea",
    "speaks fluent Russian",
    "in Mandarin",
    "US$",
    # ... and the hard counted cases
    "Sino-Russian",
    "Sino-American",
    "Russo-American",
    "US-China",
    "US-Russia",
    "Russian-born",
    "pro-Kremlin",
    "anti-American",
    "中国",
    "美国",
    "俄罗斯",
    "Китай",
    "Россия",
    "США",
    "PUTIN TELLS US ENVOY",
    "President Trump",
    "U.S.",
    "Mr.",
    "Dr.",
    "Jan.",
]


def test_labelled_set_holds_every_policy_example():
    texts = [
        json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").split("\n") if line.strip()
    ]
    for phrase in POLICY_PHRASES:
        word = re.escape(phrase)
        if phrase[-1].isascii() and phrase[-1].isalnum():
            word = rf"(?<![\w$]){word}(?!\w)"
        assert any(re.search(word, t) for t in texts), f"labelled set lacks {phrase!r}"


REAL_NEWS = Path(__file__).resolve().parents[1] / "bench" / "data" / "tagging_real_news.jsonl"


def _real_news_labels() -> list[dict]:
    return [json.loads(line) for line in REAL_NEWS.read_text(encoding="utf-8").split("\n") if line.strip()]


def test_geowebnews_span_recall(tagger):
    """Every GeoWebNews gold span the policy counts is found (the gold also marks the country inside
    organisation names, road numbers and currency, which the real-news labels judge not counted)."""
    if not GEO.exists():
        pytest.skip(f"geo gold spans not found at {GEO}")
    skip: dict[str, list[tuple[int, int]]] = {}
    for row in _real_news_labels():
        if row["type"] == "span" and row["country"] is None:
            skip.setdefault(row["doc"], []).append((row["start"], row["end"]))
    docs = []
    for line in GEO.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            doc = json.loads(line)
            out = skip.get(f"geo/{doc['dataset']}/{doc['doc_id']}", [])
            doc["country_spans"] = [
                g for g in doc["country_spans"] if not any(a < g["end"] and g["start"] < b for a, b in out)
            ]
            docs.append(doc)
    recall = geo_recall(tagger, docs)
    assert recall["GeoWebNews"]["recall"] >= 0.97, recall["GeoWebNews"]


def test_real_news_labels_hold_on_tune_and_held_out(tagger):
    """The geo part of the real-news labelled set (no HTML to parse, so it is quick): precision >= 0.98 and
    recall >= 0.99 on the tune and the held-out documents alike."""
    if not GEO.exists():
        pytest.skip(f"geo gold spans not found at {GEO}")
    labels = _real_news_labels()
    dates = {r["doc"]: r["date"] for r in labels if r["type"] == "doc"}
    docs = []
    for line in GEO.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            doc = json.loads(line)
            doc_id = f"geo/{doc['dataset']}/{doc['doc_id']}"
            if doc_id in dates:
                docs.append({"doc": doc_id, "title": "", "text": doc["text"], "date": dates[doc_id]})
    assert len(docs) == 906
    scores = score_real_news(tagger, docs, labels)
    for split in ("tune", "heldout"):
        assert scores[split]["precision"] >= 0.98, (split, scores[split]["wrong"][:5])
        assert scores[split]["recall"] >= 0.99, (split, scores[split]["missed"][:5])


@pytest.mark.parametrize("lang", ["zh", "ru"])
def test_chinese_and_russian_sentence_sets(tagger, lang):
    """At least 200 sentences each, written the way news is written, with a held-out third: precision and
    recall >= 0.97 on both parts."""
    path = Path(__file__).resolve().parents[1] / "bench" / "data" / f"tagging_{lang}.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    assert len(records) >= 200
    for split in ("tune", "heldout"):
        part = [r for r in records if r["split"] == split]
        assert len(part) >= 50
        scores = score_labelled(tagger, part)
        tp, fp, fn = (sum(c[k] for c in scores.values()) for k in ("tp", "fp", "fn"))
        assert tp / (tp + fp) >= 0.97 and tp / (tp + fn) >= 0.97, (lang, split, scores)


def test_real_news_split_is_a_fixed_hash_of_the_document_id():
    import hashlib

    docs = [r for r in _real_news_labels() if r["type"] == "doc"]
    assert len(docs) == 1043
    for r in docs:
        held_out = int(hashlib.sha256(r["doc"].encode()).hexdigest(), 16) % 3 == 0
        assert r["split"] == ("heldout" if held_out else "tune")
    assert 0.3 < sum(r["split"] == "heldout" for r in docs) / len(docs) < 0.37


# ---------------------------------------------------------------------------------------------------- issue 13

ORGANISATIONS = [
    "The American Heart Association issued new guidance.",
    "American Airlines cancelled 200 flights.",
    "She sang at the American Music Awards.",
    "He trained at the Culinary Institute of America.",
    "The United Way of America raised funds.",
    "She was crowned Miss America in 1998.",
    "A United Russia member of the Duma resigned.",
    "He led the Democratic Party of Russia for years.",
    "He told The Moscow Times on Wednesday.",
    "The editor of Russia in Global Affairs spoke.",
    "She won the US Open in straight sets.",
    "A bottle of Russian Standard vodka was opened.",
    "He teaches at the American University of Kabul.",
    "The 2008 Beijing Olympics were costly.",
    "The Russian Higher School of Economics hosted the talk.",
    "The American Chamber of Commerce in Shanghai surveyed members.",
    "MOSCOW, Idaho — The town council met.",
]


@pytest.mark.parametrize("text", ORGANISATIONS)
def test_country_words_inside_organisation_names_do_not_count(tagger, text):
    assert found(tagger, text) == []


STATE_BODIES = [
    ("The U.S. Senate passed the bill.", [("U.S.", "US")]),
    ("The Chinese CDC reported new cases.", [("Chinese", "CN")]),
    ("The Russian Security Council met on Friday.", [("Russian", "RU")]),
    ("The U.S. Department of Justice filed suit.", [("U.S.", "US")]),
    ("The U.S. Attorney's Office for the Western District charged him.", [("U.S.", "US")]),
    (
        "The Chinese Communist Party marked its anniversary.",
        [("Chinese", "CN")],
    ),  # the ruling party: a state body
    ("The Russian Foreign Ministry summoned the envoy.", [("Russian", "RU")]),
    ("Russia's Foreign Ministry protested.", [("Russia", "RU")]),
    ("China Southern Airlines and the Chinese army", [("Chinese", "CN")]),
]


@pytest.mark.parametrize("text,expected", STATE_BODIES)
def test_the_states_own_bodies_still_count(tagger, text, expected):
    assert found(tagger, text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("He was arrested near U.S. 321 on Friday.", []),
        ("Traffic on U.S. Highway 82 was slow.", []),
        ("Projects worth 59.2 billion US dollars were listed.", []),
        ("The machines cost $45,000 US each.", []),
        ("U.S. 10-year yields rose.", [("U.S.", "US")]),
        ("The U.S. 101st Airborne deployed.", [("U.S.", "US")]),
    ],
)
def test_road_numbers_and_currency(tagger, text, expected):
    assert found(tagger, text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "By Jill Colvin, Associated Press\nWASHINGTON (AP) — China vowed to fight.",
            [("WASHINGTON", "US"), ("China", "CN")],
        ),
        ("Associated Press WASHINGTON (AP) — Talks resumed.", [("WASHINGTON", "US")]),
        (
            "Clinton had talks with Syria and Iran. Washington seems prepared to engage.",
            [("Washington", "US")],
        ),
        ("One Washington-based expert disagreed.", [("Washington", "US")]),
        ("After stops in Washington, New York and Boston, he flew home.", [("Washington", "US")]),
        ("Dakota, Otoe and Washington counties grew.", []),
        ("The Washington Healthcare Authority ran the campaign.", []),
        ("KERRY WASHINGTON TO HOST AWARDS", []),
        ("KREMLIN WARNS WASHINGTON OVER MISSILES", [("KREMLIN", "RU"), ("WASHINGTON", "US")]),
        ("George Washington crossed the river.", []),
    ],
)
def test_washington_as_place_person_state_and_dateline(tagger, text, expected):
    assert found(tagger, text) == expected


@pytest.mark.parametrize(
    "text,day,expected",
    [
        (
            "Secretary of State Hillary Clinton arrived in Cairo. Clinton met Mubarak.",
            "2009-06-15",
            [("Secretary of State Hillary Clinton", "US"), ("Clinton", "US")],
        ),
        # a namesake (her husband) in the article: the bare surname is ambiguous
        (
            "Hillary Clinton and Bill Clinton arrived. Clinton spoke first.",
            "2009-06-15",
            [("Hillary Clinton", "US")],
        ),
        # out of office on the article's date
        ("Hillary Clinton campaigned in Iowa. Clinton spoke first.", "2016-06-15", []),
        # the bare surname before any full name does not count
        ("Clinton spoke first. Later Hillary Clinton left.", "2009-06-15", [("Hillary Clinton", "US")]),
        (
            "Foreign Minister Wang Yi met Lavrov. Wang said talks went well.",
            "2018-04-05",
            [("Foreign Minister Wang Yi", "CN"), ("Lavrov", "RU"), ("Wang", "CN")],
        ),
        (
            "Wang Yi met lawyers. Wang Quanzhang is still held. Wang said nothing.",
            "2018-04-05",
            [("Wang Yi", "CN")],
        ),
        ("Wang Yi spoke. As The Post's Amy B Wang reported, Wang left.", "2018-04-05", [("Wang Yi", "CN")]),
        (
            "Wang Yi spoke. Wang Yi-chen, a Taipei reporter, asked; Wang smiled.",
            "2018-04-05",
            [("Wang Yi", "CN")],
        ),
    ],
)
def test_bare_surnames_of_office_holders_by_coreference(tagger, text, day, expected):
    assert found(tagger, text, day) == expected


@pytest.mark.parametrize(
    "text,day,expected",
    [
        ("He was appointed by then-President Putin in 2007.", "2009-06-15", [("President Putin", "RU")]),
        ("Vice President Biden spoke in Kyiv.", "2010-06-01", []),
        ("Former President Obama spoke in Berlin.", "2019-11-19", []),
    ],
)
def test_then_former_and_vice_count_only_inside_the_term(tagger, text, day, expected):
    assert found(tagger, text, day) == expected


def test_title_case_headline_can_look_like_a_name(tagger):
    # a known limit (docs/tagging.md): "Cup" is an organisation head, so the headline loses "Russia"
    assert found(tagger, "Russia Wins World Cup") == []


def test_coreference_reaches_from_the_title_into_the_text(tagger):
    result = tagger.tag_article("Wang Yi visits Moscow", "Wang said the talks were useful.", "2018-04-05")
    assert [(m.surface, m.position) for m in result.mentions if m.country == "CN"] == [
        ("Wang Yi", "title"),
        ("Wang", "lead"),
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Russian is widely spoken in the region.", []),
        ("He answered in halting Russian.", []),
        ("Her Russian is better than my Chinese.", []),
        ("Китайский язык сложен, а русский язык богат.", []),
        ("Американский английский отличается произношением.", []),
        ("Her Russian husband stayed home.", [("Russian", "RU")]),
        ("Chinese is spoken by a billion people.", []),
    ],
)
def test_languages_are_not_mentions(tagger, text, expected):
    assert found(tagger, text) == expected


RUSSIAN_FORMS = [
    ("Россия", "RU"),
    ("России", "RU"),
    ("Россию", "RU"),
    ("Россией", "RU"),
    ("Китай", "CN"),
    ("Китая", "CN"),
    ("Китаю", "CN"),
    ("Китаем", "CN"),
    ("Китае", "CN"),
    ("Соединённые Штаты", "US"),
    ("Соединённых Штатов", "US"),
    ("Соединённым Штатам", "US"),
    ("Соединёнными Штатами", "US"),
    ("Соединённых Штатах", "US"),
    ("Москва", "RU"),
    ("Москвы", "RU"),
    ("Москве", "RU"),
    ("Москву", "RU"),
    ("Москвой", "RU"),
    ("Пекин", "CN"),
    ("Пекина", "CN"),
    ("Пекину", "CN"),
    ("Пекином", "CN"),
    ("Пекине", "CN"),
    ("Вашингтон", "US"),
    ("Вашингтона", "US"),
    ("Вашингтону", "US"),
    ("Вашингтоном", "US"),
    ("Вашингтоне", "US"),
    ("Путин", "RU"),
    ("Путина", "RU"),
    ("Путину", "RU"),
    ("Путиным", "RU"),
    ("Путине", "RU"),
    ("Си Цзиньпин", "CN"),
    ("Си Цзиньпина", "CN"),
    ("Си Цзиньпину", "CN"),
    ("Си Цзиньпином", "CN"),
    ("Лавров", "RU"),
    ("Лаврова", "RU"),
    ("Лаврову", "RU"),
    ("Лавровым", "RU"),
    ("Лаврове", "RU"),
    ("Трамп", "US"),
    ("Трампа", "US"),
    ("Трампу", "US"),
    ("Трампом", "US"),
    ("Трампе", "US"),
    ("китайцы", "CN"),
    ("китайцев", "CN"),
    ("китаец", "CN"),
    ("китаянка", "CN"),
    ("россиянка", "RU"),
    ("россиянина", "RU"),
    ("россиянами", "RU"),
    ("американцы", "US"),
    ("американка", "US"),
    ("американцам", "US"),
    ("Кремль", "RU"),
    ("Кремля", "RU"),
    ("Кремлём", "RU"),
    ("Белым домом", "US"),
    ("Пентагона", "US"),
]


@pytest.mark.parametrize("form,country", RUSSIAN_FORMS)
def test_russian_names_in_every_case(tagger, form, country):
    text = f"Об этом сообщил {form} в понедельник."
    assert found(tagger, text, "2025-06-01") == [(form, country)]


def test_russian_inflections_of_biden_inside_his_term(tagger):
    assert found(tagger, "Встреча Байдена и Си Цзиньпином прошла.", "2022-06-01") == [
        ("Байдена", "US"),
        ("Си Цзиньпином", "CN"),
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("习主席会见了外宾。", [("习主席", "CN")]),
        ("俄乌冲突持续。", [("俄乌", "RU")]),
        ("中俄美三国外长会晤。", [("中俄美", "CN"), ("中俄美", "RU"), ("中俄美", "US")]),
        ("中美关系和中俄关系", [("中美", "CN"), ("中美", "US"), ("中俄", "CN"), ("中俄", "RU")]),
        ("俄外长拉夫罗夫访华。", [("俄", "RU"), ("拉夫罗夫", "RU")]),
        ("华盛顿州发生山火。", []),
        ("爱达荷州莫斯科市举行集会。", []),
        ("南中国海的天气。", []),
        ("中美洲移民北上。", []),
        ("俄亥俄州和白俄罗斯", []),
        ("他在华盛顿邮报工作。", []),
        ("北京冬奥会的场馆得到再利用。", []),  # an event named after the capital
        ("莫斯科国际电影节开幕。", []),
        ("这个方案虽然美中不足，但总体可行。", []),  # an idiom, not "US-China"
        ("他能说一口流利的俄语。", []),
        ("中国人民解放军举行演习。", [("中国人", "CN")]),
    ],
)
def test_chinese_short_forms_compounds_and_place_exclusions(tagger, text, expected):
    assert found(tagger, text, "2025-06-01") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("В штате Вашингтон прошли выборы.", []),
        ("Москва в штате Айдахо невелика.", []),
        ("Учения прошли в Южно-Китайском море.", []),
        ("Москва и Вашингтон договорились.", [("Москва", "RU"), ("Вашингтон", "US")]),
    ],
)
def test_russian_place_exclusions(tagger, text, expected):
    assert found(tagger, text, "2025-06-01") == expected


def test_sentences_end_after_abbreviations_before_a_name(tagger):
    text = "Prices rose in the U.S. Beijing sent a delegation. The talks ended at 5 p.m. Putin left at 6 p.m. Moscow time."
    seg = Segments.of(text, tagger._break)
    sentences = [text[a:b] for a, b in seg.sentences]
    assert sentences == [
        "Prices rose in the U.S.",
        "Beijing sent a delegation.",
        "The talks ended at 5 p.m.",
        "Putin left at 6 p.m. Moscow time.",
    ]
    result = tagger.tag_article(None, text, "2025-06-01")
    assert "CN-US" not in result.pairs["sentence"]
    assert "CN-US" in result.pairs["paragraph"]


def test_dateline_is_its_own_unit(tagger):
    text = "WASHINGTON (AP) — Russia expelled diplomats on Friday."
    seg = Segments.of(text, tagger._break)
    assert [text[a:b] for a, b in seg.sentences] == [
        "WASHINGTON (AP) —",
        "Russia expelled diplomats on Friday.",
    ]
    result = tagger.tag_article(None, text, "2025-06-01")
    assert result.pairs["sentence"] == [] and result.pairs["paragraph"] == ["RU-US"]


@pytest.mark.parametrize(
    "text,first",
    [
        (
            "By Jill Colvin and Gillian Wong, Associated Press WASHINGTON (AP) — China vowed to fight.",
            "By Jill Colvin and Gillian Wong, Associated Press WASHINGTON (AP) —",
        ),
        (
            "By Carey L. Biron. WASHINGTON, April 5 (Thomson Reuters Foundation) - A landmark law passed.",
            "By Carey L. Biron.",
        ),
    ],
)
def test_byline_and_dateline_are_units_before_the_lead(tagger, text, first):
    seg = Segments.of(text, tagger._break)
    sentences = [text[a:b] for a, b in seg.sentences]
    assert sentences[0] == first
    assert sentences[-1].startswith(("China", "A landmark"))
    assert not any("WASHINGTON" in s and ("China" in s or "landmark" in s) for s in sentences)


def test_issue_13_offsets_slice_the_surface(tagger):
    texts = (
        [t for t in ORGANISATIONS]
        + [t for t, _ in STATE_BODIES]
        + [f"Об этом сообщил {f}." for f, _ in RUSSIAN_FORMS]
    )
    for text in texts:
        for m in tagger.tag_article(None, text, "2025-06-01").mentions:
            assert text[m.start : m.end] == m.surface


# ---------------------------------------------------------------------------------------------------- CLI


def run_cli(monkeypatch, capsys, argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    from newsmon.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(["tag", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_lines(monkeypatch, capsys):
    lines = [
        {"id": "a1", "text": "China and Russia met.\nThe US objected."},
        {"id": 7, "text": "Nothing to see."},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines).encode()
    code, out, err = run_cli(monkeypatch, capsys, [], stdin)
    assert code == 0 and err == ""
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["id"] == "a1" and first["countries"] == ["CN", "RU", "US"]
    assert first["pairs"] == {
        "sentence": [["CN", "RU"]],
        "paragraph": [["CN", "RU"]],
        "article": [["CN", "RU"], ["CN", "US"], ["RU", "US"]],
    }
    assert first["mentions"][0] == {
        "country": "CN",
        "start": 0,
        "end": 5,
        "surface": "China",
        "kind": "name",
        "sentence": 0,
        "paragraph": 0,
    }
    assert first["mentions"][2]["sentence"] == 1 and first["mentions"][2]["paragraph"] == 1
    assert second == {
        "id": 7,
        "countries": [],
        "mentions": [],
        "pairs": {"sentence": [], "paragraph": [], "article": []},
        "relations": [],  # issue 17: `newsmon tag` adds relations (tests/test_relations.py)
    }


def test_cli_plain_text_file_and_date(monkeypatch, capsys, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Joe Biden met Xi Jinping.", encoding="utf-8")
    code, out, _ = run_cli(monkeypatch, capsys, [str(path), "--text", "--date", "2022-11-14"])
    assert code == 0
    assert json.loads(out)["countries"] == ["CN", "US"]
    code, out, _ = run_cli(monkeypatch, capsys, [str(path), "--text", "--date", "2026-11-28"])
    assert json.loads(out)["countries"] == ["CN"]  # Biden was out of office by then


def test_cli_bad_lines_are_reported_and_good_ones_kept(monkeypatch, capsys):
    stdin = (
        b'{"id": 1, "text": "Russia"}\nnot json\n{"id": 3}\n\xff\xfe\n{"id": 5, "text": "China"}\n'
        b'{"id": 6, "text": "China", "title": 7}\n{"id": 7, "text": "China", "date": "soon"}\n'
    )
    code, out, err = run_cli(monkeypatch, capsys, [], stdin)
    assert code == 2
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 5]
    assert "line 2: not valid JSON" in err and 'line 3: expected an object with a "text"' in err
    assert "line 4: not UTF-8" in err and 'line 6: "title" must be a string' in err
    assert "line 7: not a date" in err and "5 input line(s) could not be tagged" in err


def test_cli_bad_date_and_missing_file(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(monkeypatch, capsys, ["--date", "28/11/2026"])
    assert code == 2 and "is not a date" in err
    code, _, err = run_cli(monkeypatch, capsys, [str(tmp_path / "missing.jsonl")])
    assert code == 2 and "no such file" in err


def test_one_tagger_serves_many_threads(tagger):
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        f"Story {i}: China and Russia met; the US watched.\nPUTIN TELLS US ENVOY {i}" for i in range(200)
    ]
    expected = [tagger.tag_article(None, t, TODAY) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda t: tagger.tag_article(None, t, TODAY), texts))
    assert got == expected


def test_tag_text_convenience():
    result = tag_text("Moscow and Washington spoke.")
    assert [m.country for m in result.mentions] == ["RU", "US"]


def test_no_break_spaces_and_hyphens_inside_names(tagger):
    text = "The United\u00a0States and the People\u2019s Republic\u2009of China held Sino\u2011Russian talks."
    result = tagger.tag_article(None, text, TODAY)
    assert [(m.surface, m.alias, m.kind) for m in result.mentions] == [
        ("United\u00a0States", "United States", "name"),
        ("People\u2019s Republic\u2009of China", "People\u2019s Republic of China", "name"),
        ("Sino", "Sino", "combined"),
        ("Russian", "Russian", "combined"),
    ]


def test_evidence_of_an_endless_sentence_is_a_window_around_the_mention(tagger):
    text = "word " * 2000 + "China" + " word" * 2000
    (m,) = tagger.tag_article(None, text, TODAY).mentions
    assert len(m.evidence) == 1000 and "China" in m.evidence and m.evidence in text
