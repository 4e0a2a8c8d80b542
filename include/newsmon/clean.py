"""Boilerplate removal: clean article text that counts only what the story says.

Three layers, each switchable (`CleanOptions`) and each counted per article (`removed`):

1. structure: before trafilatura runs, blocks whose markup says they are page furniture (class, id, role,
   aria-label and data-* attributes naming donation or subscription appeals, newsletter sign-ups, comment
   sections, registration notices, share bars, related or most-read lists, video-player captions, cookie
   notices, ads, author bios, rating widgets, calls to action, affiliate disclosures, pagers) and blocks hidden
   from readers are cut from the HTML tree, and so are link lists and, on pages that declare themselves news,
   short link paragraphs (pointers to the site's other stories). Story text is never cut:
   the block holding the story's paragraphs and its ancestors are never cut, whatever their classes say; an ad
   slot or a link list that holds story-length paragraphs stays; a roundup's linked item names and short links
   to other sites (shops, products, sources) stay; and when after the cuts trafilatura leaves out most of the
   story block's paragraphs, the uncut page is extracted too and the longer story text wins (the cut
   paragraphs still filtered out); cuts that would take most of the story from several marked blocks spare
   them; and when trafilatura's fast mode misses the story, its fallback extractors are asked. Each rule is
   named (STRUCTURE_RULES) so bench/extraction.py can measure what it earns; rules that hurt more held-out
   pages than they helped were dropped.
2. phrases: whole short paragraphs that match a pattern of `config/boilerplate_phrases.yaml` (English, Russian,
   Chinese, German, French, Spanish).
3. repetition: a paragraph whose fingerprint appeared in at least `min_articles` different articles of the same
   site within `window_days`, and in at least `min_share` of that site's articles in the window, is that site's
   furniture. `BoilerplateMemory` learns from every cleaned article and persists per site as JSON. Its template
   signal learns sooner (3 pages) a block at the same place of the site's page template: same DOM path and
   class, same position from the story's start or end (`template_keys`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from lxml import etree

try:  # the standard library's regex parser (re._parser since Python 3.11, sre_parse before)
    from re import _constants as _sre_c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre_c
    import sre_parse as _sre_parse

from newsmon.config import CONFIG_DIR
from newsmon.extract import Extracted, decode_html, extract_page, full_text_again, parse_html

log = logging.getLogger(__name__)

PHRASES_FILE = CONFIG_DIR / "boilerplate_phrases.yaml"
LAYERS = ("structure", "phrases", "repetition")


@dataclass
class CleanOptions:
    structure: bool = True
    phrases: bool = True
    repetition: bool = True
    learn: bool = True  # update the repetition memory with this article
    max_phrase_chars: int = 200  # longer paragraphs are story text, never tested against phrase patterns
    phrases_file: Path | None = None  # default: config/boilerplate_phrases.yaml
    favor_precision: bool = False  # passed to trafilatura
    disabled_rules: frozenset[str] = (
        frozenset()
    )  # structure rules switched off (STRUCTURE_RULES), for ablation

    @classmethod
    def raw(cls) -> CleanOptions:
        """trafilatura's text with none of newsmon's layers."""
        return cls(structure=False, phrases=False, repetition=False, learn=False)


@dataclass
class CleanedText:
    text: str
    removed: dict[str, int]
    removed_text: list[tuple[str, str]]  # (layer, paragraph)


@dataclass
class CleanedPage:
    title: str
    text: str  # paragraphs separated by "\n"
    published: datetime | None  # aware UTC, from the page's own markup; None when it declares none
    authors: list[str]
    language: str | None  # detected from the cleaned text
    language_claimed: str | None  # what the page says about itself
    sitename: str | None
    canonical_url: str | None
    removed: dict[str, int]  # paragraphs removed per layer
    removed_text: list[tuple[str, str]]  # (layer, paragraph), for `newsmon extract --explain`
    raw_html_hash: str
    description: str | None = None
    date_source: str | None = None
    rules_matched: set[str] | None = (
        None  # structure rules that matched anything (clean_page(record_rules=True))
    )


# ------------------------------------------------------------------------------------------ layer 1: structure

# Furniture rules: families of words that, as a whole word of a class/id/role/aria/data attribute, mark a block
# as furniture. Each family is a named rule that bench/extraction.py can switch off to measure what it earns.
FURNITURE_RULES = {
    "appeal": r"donat(e|es|ion|ions)|contribut(e|ion|ions)|support[- ]?us|supporter|membership|epic|appeal",
    "subscription": r"subscribe|subscription|subscriptions|subscriber|paywall[- ]?(prompt|promo|banner|offer)",
    "newsletter": r"newsletters?|sign[- ]?up|signup|optin|opt[- ]in|mailing[- ]?list|"
    r"email[- ]?(capture|form|signup|promo)",
    "comments": r"comments?|commenting|comment[- ]?(section|form|list|count|prompt|cta)|disqus|respond|"
    r"coral[- ]?talk|viafoura",
    "login-popup": r"regist(er|ration)|log[- ]?in|sign[- ]?in|signin|auth[- ]?(modal|wall|prompt)|toast|toaster|"
    r"modal|popup|pop[- ]up|overlay",
    "share": r"share|shares|sharing|sharebar|sharethis|addthis|social|socials|follow[- ]us|byline[- ]?social",
    "related": r"related|most[- ]?(read|popular|viewed|shared|commented|watched)|mostread|popular|trending|"
    r"recommend(ed|ations?)?|read[- ]?(more|next|also)|more[- ]?(stories|news|from|on|articles|like[- ]this)|"
    r"also[- ]?read|up[- ]?next|outbrain|taboola|teaser[- ]?list|"
    r"latest[- ]?(news|stories|articles|posts|videos|headlines)|top[- ]?stories|editors?[- ]?picks?",
    "video": r"video[- ]?(caption|description|player|title|meta|details)|jw[- ]?player|vjs|brightcove",
    "cookie": r"cookie|cookies|consent|gdpr|cmp|privacy[- ]?(banner|notice)",
    "ads": r"ad|ads|advert|adverts|advertisement|dfp|ad[- ]?(slot|unit|container|wrapper)",
    "sponsored": r"sponsor|sponsored|promo|promoted|promotion",
    # (no "tags" family: tag and topic lists hurt more held-out wcxb_test pages than they helped, bench/extraction.py)
    "print-skip": r"print[- ]?only|skip[- ]?link",
    # guides and listicles: the writer's bio box and star-rating widgets. (Pros/cons boxes are not here: on the
    # wcxb dev pages cutting them hurt 13 pages and helped none, their gold text keeps them.)
    "author-bio": r"author[- ]?(bio|box|info|card|details|description|profile|about)|about[- ]?(the[- ]?)?author|"
    r"authorbox|bio[- ]?box|author[- ]?bio[- ]?box",
    "rating": r"star[- ]?rating|rating[- ]?stars?|ratings?[- ]?(widget|box|summary|bar)|review[- ]?score|"
    r"rating|ratings",
    # calls to action (a product's "View on Amazon" button box, "Book a demo" panels), affiliate disclosures,
    # and previous/next pagers between posts
    "cta": r"cta|ctas",
    "disclosure": r"(affiliate|advertiser|advertising|ftc)?[- ]?disclosures?",
    "pager": r"prevnext|prev[- ]?next|pager|pagination|post[- ]?navigation|nav[- ]?links|next[- ]?prev",
}
# Rules that are not word families: hidden blocks, link paragraphs and link lists, the repeated headline.
OTHER_STRUCTURE_RULES = ("hidden", "link-paragraph", "link-list", "repeated-title", "own-url")
# Rules that spare what another rule would cut, or re-extract when the cuts lost the story (see _should_cut).
KEEPING_RULES = (
    "keep-story-in-ad",
    "keep-story-in-link-list",
    "keep-linked-subhead",
    "keep-link-elsewhere",
    "keep-link-outside-news",
    "keep-story-majority",
    "uncut-check",
    "fallback-check",
)
STRUCTURE_RULES = (*FURNITURE_RULES, *OTHER_STRUCTURE_RULES, *KEEPING_RULES)


@lru_cache(maxsize=64)
def _furniture_rx(disabled: frozenset[str] = frozenset()) -> re.Pattern:
    """One pattern for the enabled word families. A word must be a whole word of a token: bounded by the start
    or end of the token or by a dash."""
    words = "|".join(f"(?:{rx})" for name, rx in FURNITURE_RULES.items() if name not in disabled)
    return re.compile(rf"(?:^|[- ])(?:{words or '(?!x)x'})(?=[- ]|$)")


_FURNITURE_ONE = {name: re.compile(rf"(?:^|[- ])(?:{rx})(?=[- ]|$)") for name, rx in FURNITURE_RULES.items()}
_EMBED_WORDS = r"embed|embedded|tweet|twitter-tweet|instagram-media|blockquote"
_EMBED_RX = re.compile(rf"(?:^|[- ])(?:{_EMBED_WORDS})(?=[- ]|$)")
_NAMING_ATTRIBUTES = {"class", "id", "role", "aria-label", "itemprop"}
_HIDING_ATTRIBUTES = {"hidden", "style"}
_VERDICT_ATTRIBUTES = _NAMING_ATTRIBUTES | _HIDING_ATTRIBUTES
_NON_WORD = re.compile(r"[^a-z0-9 ]+")
_DATA_PAYLOAD = re.compile(r"[{}/=:]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_NEVER_CUT = {"html", "body", "head", "main", "title", "meta", "link", "script", "style"}
_TEXT_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "dd", "dt", "pre"}
_STORY_PARAGRAPH_CHARS = 80
_LINK_PARAGRAPHS = {"p", "dd"}  # not headings: a listicle's subheads are often links
_LINK_PARAGRAPH_MAX_CHARS = 300
_LINK_BLOCKS = _LINK_PARAGRAPHS | {"ul", "ol"}


def _attribute_words(items: tuple[tuple[str, str], ...]) -> str:
    """An element's descriptive attributes as lowercase dash-joined tokens separated by spaces."""
    values = []
    for name, value in items:
        if name in _NAMING_ATTRIBUTES:
            values.append(value)
        elif name.startswith("data-"):
            values.append(name[5:])
            # a short label names the block; JSON, URLs and tracking payloads only mention things
            if len(value) <= 60 and not _DATA_PAYLOAD.search(value):
                values.append(value)
    if not values:
        return ""
    # BEM modifiers ("header--social-icons-left") describe layout, not what the block is. Tokens are cut at 80
    # characters; most have no "--" and are shorter, and then joining them is all there is to do.
    joined = " ".join(values)
    tokens = joined.split()
    if "--" in joined or (len(joined) > 80 and max(map(len, tokens), default=0) > 80):
        tokens = [token[:80].split("--")[0] for token in tokens]
    joined = " ".join(tokens)
    lowered = joined.lower()
    if lowered != joined:  # only a text with capitals can have a camelCase word to split
        lowered = _CAMEL.sub("-", joined).lower()
    return _NON_WORD.sub("-", lowered)


@lru_cache(maxsize=65_536)
def _attribute_verdict(items: tuple[tuple[str, str], ...]) -> tuple[bool, frozenset[str]]:
    """(hidden from readers, furniture families named) for one set of attributes. Memoised: the same class
    and id values recur on every page of a site, and a page asks about most of its elements twice."""
    attrs = dict(items)
    hidden = "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style") or "") is not None
    words = _attribute_words(items)
    if not words:
        return hidden, frozenset()
    table = _word_table()
    if table is None:  # a family that is not a finite list of words: its regex
        if not _furniture_rx().search(words) or _EMBED_RX.search(words):
            return hidden, frozenset()
        return hidden, _families_in(words)
    families = _words_named(words, *table)
    if _EMBED in families:
        return hidden, frozenset()  # an embedded post or video is part of the story, whatever its wrapper is
    return hidden, families


def _families_rx() -> re.Pattern:
    """Every word family at once: at each token start where some family's word ends at a token end, one
    optional lookahead group per family records whether that family's word does (a family's own pattern,
    `_FURNITURE_ONE`, would find it there). One scan of the words instead of one search per family."""
    groups = "".join(f"(?:(?=(?P<f{i}>{rx})(?=[- ]|$))|)" for i, rx in enumerate(FURNITURE_RULES.values()))
    return re.compile(rf"(?:^|(?<=[- ]))(?=(?:{_furniture_rx().pattern[len('(?:^|[- ])') :]})){groups}")


_FAMILIES_RX = _families_rx()
_FAMILY_GROUPS = tuple((name, f"f{i}") for i, name in enumerate(FURNITURE_RULES))


def _families_in(words: str) -> frozenset[str]:
    """The families whose words `words` names: {name for name, rx in _FURNITURE_ONE.items() if rx.search(words)}."""
    found = set()
    for m in _FAMILIES_RX.finditer(words):
        found.update(name for name, group in _FAMILY_GROUPS if m.group(group) is not None)
    return frozenset(found)


# -- the families as lists of words: one dictionary look-up per token instead of the regexes
#
# Every family (and the embed words) is a finite set of strings ("read[- ]?(more|next|also)" is nine), and a
# family's regex finds its word where one of those strings runs from a token start (the start, or after a dash
# or a space) to a token end. So the words are split at dashes and spaces once, and from each piece that can
# begin a family word the strings up to the longest one are looked up. The same families as the regexes
# (tests/test_clean.py), two to ten times faster on the attribute sets of a page that are new to the cache.

_EMBED = "(embed)"  # the embed words' entry in the table, beside the families


@lru_cache(maxsize=1)
def _word_table() -> tuple[dict[str, frozenset[str]], frozenset[str], int] | None:
    """(string -> the families it is a word of, the pieces such strings begin with, the most pieces in one), or
    None when a family's regex is not a short finite list of strings."""
    table: dict[str, set[str]] = {}
    try:
        for name, rx in [*FURNITURE_RULES.items(), (_EMBED, _EMBED_WORDS)]:
            for word in _strings_of(_sre_parse.parse(rx)):
                table.setdefault(word, set()).add(name)
    except _UNREAD:
        return None
    if "" in table:
        return None  # a family that matches nothing at all: its regex would name it at every token end
    pieces = [word.replace(" ", "-").split("-") for word in table]
    return (
        {word: frozenset(names) for word, names in table.items()},
        frozenset(p[0] for p in pieces),
        max(map(len, pieces)),
    )


def _strings_of(items, limit: int = 20_000) -> set[str]:
    """Every string a parsed regex without loops matches; raises _NotAnalysed for anything else."""
    found = {""}
    for op, av in items:
        if op is _sre_c.LITERAL:
            options = {chr(av)}
        elif op is _sre_c.IN and all(kind is _sre_c.LITERAL for kind, _ in av):
            options = {chr(c) for _, c in av}
        elif op is _sre_c.BRANCH:
            options = set().union(*(_strings_of(branch, limit) for branch in av[1]))
        elif op is _sre_c.SUBPATTERN:
            options = _strings_of(_plain_subpattern(av), limit)
        elif op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT) and av[1] <= 4:
            body, options = _strings_of(av[2], limit), set()
            for count in range(av[0], av[1] + 1):
                options |= {"".join(parts) for parts in itertools.product(body, repeat=count)}
        else:
            raise _NotAnalysed
        found = {a + b for a in found for b in options}
        if len(found) > limit:
            raise _NotAnalysed
    return found


def _words_named(
    words: str, table: dict[str, frozenset[str]], starts: frozenset[str], most: int
) -> frozenset[str]:
    """The families (and _EMBED) whose words `words` holds from a token start to a token end: what
    `_FURNITURE_ONE[name].search(words)` finds for each name (and _EMBED_RX)."""
    pieces = words.replace(" ", "-").split("-")
    found: set[str] = set()
    start = 0  # where the current piece begins in `words`
    for first, piece in enumerate(pieces):
        if piece in starts:
            end = start + len(piece)
            for last in range(first, min(len(pieces), first + most)):
                if last > first:
                    end += 1 + len(pieces[last])
                names = table.get(words[start:end])
                if names:
                    found.update(names)
        start += len(piece) + 1
    return frozenset(found)


@dataclass
class StructureRules:
    """Which structure rules are on, and (for bench/extraction.py) which ones matched anything on a page.

    `matched`, when a set, collects every rule that matches an element the layer examines, whether or not that
    element is finally cut: a page where a rule matched nothing cleans the same with the rule switched off.
    """

    disabled: frozenset[str] = frozenset()
    matched: set[str] | None = None

    def on(self, rule: str) -> bool:
        return rule not in self.disabled

    def note(self, *rules: str) -> None:
        if self.matched is not None:
            self.matched.update(rules)

    def keeps(self, rule: str) -> bool:
        """A keeping rule (one that spares a block another rule would cut) applies: noted, and on."""
        self.note(rule)
        return self.on(rule)


def _is_furniture(el: etree._Element, rules: StructureRules) -> bool:
    return _furniture_rule(el, rules) is not None


def _furniture_rule(el: etree._Element, rules: StructureRules) -> str | None:
    """Why the element's markup says it is furniture: "hidden", "ads" when an ad word is all that marks it
    (broken markup wraps ad containers around story text, so the caller checks what it holds), "furniture" for
    any other family; None when nothing marks it."""
    # only the attributes that can name a block or hide it: an href or src would make every link a new key
    items = tuple([kv for kv in el.items() if kv[0] in _VERDICT_ATTRIBUTES or kv[0].startswith("data-")])
    if not items:
        return None
    hidden, families = _attribute_verdict(items)
    if hidden:
        rules.note("hidden")
        if rules.on("hidden"):
            return "hidden"
    if not families:
        return None
    if "appeal" in families and el.tag in _NOT_APPEAL_BLOCKS:
        families = families - {"appeal"}
        if not families:
            return None
    rules.note(*families)
    live = families - rules.disabled
    if live - {"ads"}:
        return "furniture"
    return "ads" if live else None


# A donation or membership appeal is a block of paragraphs (a div, aside or section). A heading's id is its anchor,
# a slug of its own words ("7-epic", "how-to-contribute", "3-upgrading-the-curb-appeal"), and a link's data-*
# attributes are analytics ("data-vars-membership-link"): on wcxb dev the appeal family cut such headings and
# links on 5 pages and no appeal on any page.
_NOT_APPEAL_BLOCKS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "button", "strong", "em", "b", "i", "small", "label"}
)


def _text_len(el: etree._Element) -> int:
    # non-whitespace characters; str.split() drops exactly what the regex \s does, at C speed
    return len("".join(el.text_content().split()))


def _link_ratio(el: etree._Element, total: int | None = None) -> float:
    """Share of the element's visible characters that sit inside links (`total`: its _text_len, if known)."""
    total = _text_len(el) if total is None else total
    if total == 0:
        return 0.0
    linked = sum(_text_len(a) for a in el.iter("a") if a.getparent() is not None)
    return min(linked / total, 1.0)


def _link_block_rule(el: etree._Element) -> str | None:
    """ "link-paragraph" for a short paragraph that is nothing but a link, "link-list" for a list of links
    (pointers to other stories); None for anything else."""
    if el.tag not in _LINK_BLOCKS or next(el.iter("a"), None) is None:
        return None  # without a link, its link ratio (and every item's) is 0
    if el.tag in _LINK_PARAGRAPHS:
        length = _text_len(el)
        if 0 < length <= _LINK_PARAGRAPH_MAX_CHARS and _link_ratio(el, length) >= 0.75:
            return "link-paragraph"
        return None
    if el.tag in ("ul", "ol"):
        items = [(li, n) for li in el if li.tag == "li" and (n := _text_len(li)) > 0]
        if len(items) < 3:
            return None
        linky = sum(1 for li, n in items if _link_ratio(li, n) >= 0.5)
        return "link-list" if linky >= 0.75 * len(items) else None
    return None


def _story_container(long_ps: list[etree._Element], rules: StructureRules) -> etree._Element | None:
    """The element that holds the most story-length paragraphs (`long_ps`) as children: the article body."""
    counts: dict[etree._Element, int] = {}
    for p in long_ps:
        parent = p.getparent()
        if parent is not None:
            counts[parent] = counts.get(parent, 0) + 1
    # A furniture-marked block (an appeal with long paragraphs beside a very short story) is not the story.
    candidates = [el for el in counts if not _is_furniture(el, rules)]
    return max(candidates, key=counts.get) if candidates else None


def _paragraphs_of(el: etree._Element) -> list[str]:
    """The readable paragraphs a block holds (leaf text blocks, or its whole text when it has none)."""
    found = []
    for child in el.iter(*_TEXT_BLOCKS):
        if next(child.iterdescendants(*_TEXT_BLOCKS), None) is not None:
            continue  # counted at the innermost block
        text = " ".join(child.text_content().split())  # str.split() drops what the regex \s does
        if text:
            found.append(text)
    if not found:
        text = " ".join(el.text_content().split())
        if text:
            found.append(text)
    return found


def prune_structure(
    tree: etree._Element, rules: StructureRules | None = None, url: str | None = None
) -> list[str]:
    """Cut furniture blocks from the tree in place; returns the paragraphs they held. `url`: the page's."""
    return _prune(tree, rules or StructureRules(), url)[0]


def _prune(tree: etree._Element, rules: StructureRules, url: str | None) -> tuple[list[str], list[str], int]:
    """prune_structure, also returning the story container's story-length paragraphs (before any cut) and the
    characters of the page's story-length paragraphs that the cuts left."""
    site = _page_site(tree, url)
    body = tree.find("body")
    root = body if body is not None else tree
    # story-length paragraphs and their lengths, measured once (in document order: the story container's ties
    # go to the first)
    lengths: dict[etree._Element, int] = {}
    for p in root.iter("p"):
        length = len(p.text_content().strip())
        if length >= _STORY_PARAGRAPH_CHARS:
            lengths[p] = length
    long_ps = list(lengths)
    long_set = set(long_ps)
    story = _story_container(long_ps, rules)
    story_texts = []
    protected: set[etree._Element] = set()
    if story is not None:
        story_texts = [" ".join(p.text_content().split()) for p in story if p in long_set]
        protected.add(story)
        protected.update(story.iterancestors())
    story_paras = len(long_ps)
    news = _declares_news(tree)
    doomed = _walk(root, rules, site, story_paras, long_set, protected, news=news)
    story_chars = sum(lengths.values())
    cut_chars = sum(lengths[p] for el in doomed for p in el.iter("p") if p in long_set)
    # Cuts that would take most of the page's story-length text, from several marked blocks that each hold story
    # paragraphs, are a story split into sections that share a class with a furniture word in it (component
    # prefixes such as Adobe's "cmp-text"). Walk again, sparing each such block (its own furniture is still cut
    # inside it). One appeal box with long paragraphs beside a short story is still cut.
    if (
        cut_chars > _MAJORITY_CUT * story_chars
        and sum(1 for el in doomed if _spared(el, rules)) >= 2
        and rules.keeps("keep-story-majority")
    ):
        doomed = _walk(root, rules, site, story_paras, long_set, protected, spare_story=True, news=news)
        cut_chars = sum(lengths[p] for el in doomed for p in el.iter("p") if p in long_set)
    removed: list[str] = []
    for el in doomed:
        removed.extend(_paragraphs_of(el))
        _drop(el)
    left = story_chars - cut_chars
    return removed, story_texts, left


_MAJORITY_CUT = 0.5  # share of the page's story-length text the cuts may take before they are doubted


def _walk(
    root: etree._Element,
    rules: StructureRules,
    site: str | None,
    story_paras: int,
    long_ps: set[etree._Element],
    protected: set[etree._Element],
    spare_story: bool = False,
    news: bool = True,
) -> list[etree._Element]:
    """The blocks to cut, depth-first in document order; a doomed block's descendants are not visited.

    lxml's iterwalk does the walking in C (a Python stack of children cost a quarter of the structure layer)."""
    doomed: list[etree._Element] = []

    def visit(top: etree._Element, in_chrome: bool) -> None:
        walk = etree.iterwalk(top, events=("start",))
        next(walk)  # `top` itself: the root, or a chrome element judged by the walk around this one
        for _, el in walk:
            tag = el.tag
            if not isinstance(tag, str):
                continue
            if (
                tag not in _NEVER_CUT
                and el not in protected
                # what _should_cut answers first, without a call: no link block and nothing marks it
                and ((not in_chrome and tag in _LINK_BLOCKS) or _furniture_rule(el, rules) is not None)
                and _should_cut(el, in_chrome, rules, site, story_paras, long_ps, news)
                and not (spare_story and _spared(el, rules, 1))
            ):
                doomed.append(el)
                walk.skip_subtree()
            elif tag in _CHROME and not in_chrome:
                # link lists inside <nav>, <header> and <footer> are menus that trafilatura drops anyway;
                # cutting them here would only inflate the structure count
                visit(el, True)
                walk.skip_subtree()

    visit(root, False)
    return doomed


_CHROME = frozenset({"nav", "header", "footer"})


def _spared(el: etree._Element, rules: StructureRules, least: int = 2) -> bool:
    """A block that its attributes mark as furniture but that holds at least `least` story paragraphs (a link
    list of teasers, each with its summary, is still cut)."""
    return _furniture_rule(el, rules) is not None and _story_paragraphs(el) >= least


def _should_cut(
    el: etree._Element,
    in_chrome: bool,
    rules: StructureRules,
    site: str | None,
    story_paras: int,
    long_ps: set[etree._Element],
    news: bool = True,
) -> bool:
    """Whether a block is furniture to cut. Never when it holds story text its markup cannot vouch for.
    `news`: the page declares itself a news article (JSON-LD). On news pages a short link line points to
    another story (Zyte's gold drops them); in guides, blogs and documentation such lines ("Learn more: ...",
    a venue's or product's name) are part of the text (WCXB's gold keeps them)."""
    link_rule = None if in_chrome else _link_block_rule(el)
    if link_rule == "link-paragraph" and not news and rules.keeps("keep-link-outside-news"):
        link_rule = None
    # a roundup's linked item name heads the paragraphs about it
    if link_rule == "link-paragraph" and _is_linked_subhead(el) and rules.keeps("keep-linked-subhead"):
        link_rule = None
    if link_rule == "link-paragraph" and _names_another_site(el, site) and rules.keeps("keep-link-elsewhere"):
        link_rule = None
    if link_rule:
        rules.note(link_rule)
        if not rules.on(link_rule):
            link_rule = None
    why = _furniture_rule(el, rules)
    if why is None and link_rule is None:
        return False
    # a block holding most of the story (and at least three story-length paragraphs) is a wrapper
    # with an unlucky class name ("subscriber-content"), not furniture
    if sum(1 for p in el.iter("p") if p in long_ps) >= max(3, 0.6 * story_paras):
        return False
    # An ad slot never holds two story-length paragraphs of unlinked text, nor does one item of a list of links
    # (a teaser has one summary): when they do, broken markup has wrapped the block around the story. The walk
    # goes on inside it, so the ad's own parts are still cut.
    if why == "ads" and _story_paragraphs(el) >= 2 and rules.keeps("keep-story-in-ad"):
        return False
    if (
        why is None
        and link_rule == "link-list"
        and any(_story_paragraphs(li) >= 2 for li in el)
        and rules.keeps("keep-story-in-link-list")
    ):
        return False
    return True


_NEWS_TYPES = re.compile(r'"@type"\s*:\s*\[?[^\]]{0,200}?"(?:News|Reportage|Analysis|Opinion)?NewsArticle"')


def _declares_news(tree: etree._Element) -> bool:
    """The page's JSON-LD calls it a NewsArticle (or one of its kinds)."""
    return any(
        _NEWS_TYPES.search(el.text or "")
        for el in tree.iter("script")
        if (el.get("type") or "").lower() == "application/ld+json"
    )


def _names_another_site(el: etree._Element, site: str | None) -> bool:
    """A short link line to other sites that does not read as a pointer: a guide's shop, product or source.
    Pointers to the site's other stories link to the site itself."""
    text = el.text_content()
    return (
        site is not None
        and len(text.split()) <= _NAME_MAX_WORDS
        and not _POINTER.match(text)
        and _links_elsewhere(el, site)
    )


def _site_of(host: str | None) -> str | None:
    """A host's site, as its last two labels ("www.example.com" -> "example.com"): crude for "co.uk", where it
    errs towards "the same site", i.e. towards cutting as before."""
    if not host:
        return None
    return ".".join(host.lower().rstrip(".").split(".")[-2:])


def _links_elsewhere(el: etree._Element, site: str) -> bool:
    """Every link of the block goes to another site (absolute http(s) links to a host that is not the page's)."""
    found = False
    for a in el.iter("a"):
        href = (a.get("href") or "").strip()
        if not href.lower().startswith(("http://", "https://", "//")):
            return False  # relative, fragment, mailto: the page's own site or nowhere
        try:
            host = urlsplit(href if not href.startswith("//") else "https:" + href).hostname
        except ValueError:
            return False
        if _site_of(host) in (None, site):
            return False
        found = True
    return found


def _page_site(tree: etree._Element, url: str | None) -> str | None:
    """The page's site from its URL, else from its canonical or og:url link."""
    links = (el.get("href") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower())
    metas = (el.get("content") for el in tree.iter("meta") if (el.get("property") or "") == "og:url")
    for candidate in itertools.chain(
        [url] if url else [], links, metas
    ):  # lazily: the URL usually settles it
        try:
            site = _site_of(urlsplit((candidate or "").strip()).hostname)
        except ValueError:
            continue
        if site:
            return site
    return None


def _story_paragraphs(el: etree._Element) -> int:
    return sum(1 for p in el.iter("p") if _is_story_paragraph(p))


def _holds_story_paragraph(el: etree._Element) -> bool:
    return any(_is_story_paragraph(p) for p in el.iter("p"))


_SUBHEAD_MAX_CHARS = 100
# How a line pointing readers to another story (on this site or another) begins.
_POINTER = re.compile(
    r"\W*(read|see|also|related|more|watch|listen|click|follow|subscribe|sign up|download|get|visit)\b|"
    r"\W*how to (listen|watch|subscribe|follow)\b",
    re.I,
)
_SUBHEAD_MAX_WORDS = 6
_NAME_MAX_WORDS = 8  # a shop's or product's name, not a headline
_ITEM_NUMBER = re.compile(r"^\s*(?:#\s*)?\d{1,3}\s*[.):]\s")


def _is_linked_subhead(el: etree._Element) -> bool:
    """A link paragraph that names the item the next paragraph is about: numbered ("3. Name"), or one of
    several link paragraphs of its parent that each head a story-length paragraph (a roundup's product names).
    An inline "Read more" pointer is alone of its kind."""
    if (
        _text_len(el) > _SUBHEAD_MAX_CHARS
        or _POINTER.match(el.text_content())
        or not _heads_story_paragraph(el)
    ):
        return False
    if _ITEM_NUMBER.match(el.text_content()):
        return True
    if len(el.text_content().split()) > _SUBHEAD_MAX_WORDS:
        return False  # a headline-length line between paragraphs is a pointer to another story
    parent = el.getparent()
    if parent is None:
        return False
    heads = 0
    for sibling in parent:
        if sibling.tag in _LINK_PARAGRAPHS and _link_block_rule(sibling) and _heads_story_paragraph(sibling):
            heads += 1
            if heads >= 2:
                return True
    return False


def _heads_story_paragraph(el: etree._Element) -> bool:
    following = el.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    if following is None or following.tag not in ("p", "div", "ul", "ol"):
        return False
    return _holds_story_paragraph(following) if following.tag != "p" else _is_story_paragraph(following)


def _is_story_paragraph(p: etree._Element) -> bool:
    length = _text_len(p)
    return length >= _STORY_PARAGRAPH_CHARS * 0.85 and _link_ratio(p, length) < 0.5


def _drop(el: etree._Element) -> None:
    """Remove an element but keep the text that follows it (its tail belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# -------------------------------------------------------------------------------------------- layer 2: phrases

_EDGE_PUNCT = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.U)


@lru_cache(maxsize=8)
def phrase_patterns(path: str | None = None) -> tuple[tuple[str, str], ...]:
    """Every pattern of the phrases file as (name, pattern); the name is "<language>:<number in its list>"."""
    file = Path(path) if path else PHRASES_FILE
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"boilerplate phrases file {file}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(
            f"boilerplate phrases file {file}: expected a mapping of language -> list of patterns"
        )
    patterns = []
    for lang, items in data.items():
        for number, item in enumerate(items or [], start=1):
            try:
                re.compile(str(item))
            except re.error as exc:
                raise ValueError(
                    f"boilerplate phrases file {file}: bad pattern for {lang}: {item!r}: {exc}"
                ) from exc
            patterns.append((f"{lang}:{number}", str(item)))
    return tuple(patterns)


@lru_cache(maxsize=8)
def load_phrases(path: str | None = None) -> re.Pattern:
    """One compiled alternation of every pattern in the phrases file (whole-paragraph, case-insensitive)."""
    patterns = [f"(?:{item})" for _, item in phrase_patterns(path)]
    return re.compile("|".join(patterns) or r"(?!x)x", re.I)


def phrase_key(paragraph: str) -> str:
    """A paragraph as the phrase patterns see it: collapsed whitespace, no surrounding punctuation or bullets.

    The same as `_EDGE_PUNCT.sub("", re.sub(r"\\s+", " ", paragraph)).strip()` (tests/test_clean_phrases.py):
    str.split() drops what \\s matches, and [\\s\\W_] is every character that is not str.isalnum(). Five times
    faster than the two substitutions, whose `[\\s\\W_]+$` is tried at every position of the paragraph."""
    text = " ".join(paragraph.split())
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def phrase_match_key(paragraph: str) -> str:
    """What the phrase patterns match: phrase_key, except that a question keeps its question mark, so that a
    pattern matches a question only when it says so ("what do you think\\??"). "Comments?" heading a
    documentation page's contact line is an invitation, not a comment counter."""
    key = phrase_key(paragraph)
    if key and paragraph.rstrip().endswith("?") and not key.endswith("?"):
        key += "?"
    return key


def is_boilerplate_phrase(paragraph: str, options: CleanOptions | None = None) -> bool:
    options = options or CleanOptions()
    if len(paragraph) > options.max_phrase_chars:
        return False
    key = phrase_match_key(paragraph)
    if not key:
        return True  # a line of nothing but punctuation or bullets
    return phrase_matcher(str(options.phrases_file) if options.phrases_file else None).matches(key)


# -- the phrase prefilter: which patterns can match a paragraph at all
#
# The alternation of ~150 patterns costs ~37 us per paragraph: the regex engine tries every alternative, and
# with IGNORECASE it has no quick first-character skip. Almost every pattern can only match a paragraph that
# starts with one of a few characters ("(sign ?up|subscribe)..." starts with s), and the rest (".{0,80}all
# rights reserved...") only one that contains a literal word. Both are read from the patterns themselves (a
# pattern of a user's phrases_file too), with the regex engine's own case-insensitive comparison, so the
# verdict is the plain fullmatch's (tests/test_clean_phrases.py). A construct not analysed here makes its
# pattern always tried; group references (whose numbers differ in the alternation) make the whole file use the
# plain alternation.

_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", _sre_c.MAX_REPEAT)}
_ZERO_WIDTH = {_sre_c.AT, _sre_c.ASSERT, _sre_c.ASSERT_NOT}  # ignoring an assertion only lets more through
_GROUP_REFERENCES = {_sre_c.GROUPREF, _sre_c.GROUPREF_EXISTS, _sre_c.GROUPREF_IGNORE}
_CATEGORY_SOURCE = {
    _sre_c.CATEGORY_DIGIT: r"\d",
    _sre_c.CATEGORY_NOT_DIGIT: r"\D",
    _sre_c.CATEGORY_SPACE: r"\s",
    _sre_c.CATEGORY_NOT_SPACE: r"\S",
    _sre_c.CATEGORY_WORD: r"\w",
    _sre_c.CATEGORY_NOT_WORD: r"\W",
}


class _NotAnalysed(Exception):
    """A regex construct the prefilter does not read: the pattern it is in is always tried."""


# what reading a parsed pattern can raise: _NotAnalysed, or a parser whose output is not what this code reads
# (another Python version); the pattern is then always tried
_UNREAD = (_NotAnalysed, re.error, ValueError, TypeError, AttributeError, IndexError, KeyError)


def _plain_subpattern(av) -> _sre_parse.SubPattern:
    """A group's contents; a group with its own flags ("(?s:...)") is not analysed."""
    _group, add_flags, del_flags, items = av
    if add_flags or del_flags:
        raise _NotAnalysed
    return items


def _first_chars(items) -> tuple[list[str], bool]:
    """Regex sources (character classes) of the characters a match of the parsed sequence `items` can begin
    with, and whether it can match the empty string. Raises _NotAnalysed when it can begin with any character."""
    sources: list[str] = []
    for op, av in items:
        if op is _sre_c.LITERAL:
            return [*sources, re.escape(chr(av))], False
        if op is _sre_c.IN:
            return [*sources, _class_source(av)], False
        if op in _ZERO_WIDTH:
            continue
        if op is _sre_c.SUBPATTERN:
            first, empty = _first_chars(_plain_subpattern(av))
        elif op is _sre_c.BRANCH:
            branches = [_first_chars(branch) for branch in av[1]]
            first = [source for branch, _ in branches for source in branch]
            empty = any(e for _, e in branches)
        elif op in _REPEATS:
            first, empty = _first_chars(av[2])
            empty = empty or av[0] == 0
        else:  # ANY, NOT_LITERAL, a group reference, an atomic group...
            raise _NotAnalysed
        sources += first
        if not empty:
            return sources, False
    return sources, True


def _class_source(items) -> str:
    """A parsed character class ("[^a-z\\d]") as regex source again."""
    parts = []
    for op, av in items:
        if op is _sre_c.NEGATE:
            parts.insert(0, "^")
        elif op is _sre_c.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _sre_c.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _sre_c.CATEGORY and av in _CATEGORY_SOURCE:
            parts.append(_CATEGORY_SOURCE[av])
        else:
            raise _NotAnalysed
    return f"[{''.join(parts)}]"


def _needles(items) -> frozenset[str] | None:
    """Strings of which every match of the parsed sequence `items` contains one (the set whose shortest string
    is longest, of those found); None when no such set is known."""
    best: frozenset[str] | None = None
    run: list[str] = []  # consecutive literal characters

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    for op, av in items:
        if op is _sre_c.LITERAL:
            run.append(chr(av))
            continue
        if op is _sre_c.AT:
            continue  # "\b" takes no characters: the literals on either side are adjacent in the text
        consider(frozenset({"".join(run)}) if run else None)
        run = []
        try:
            if op is _sre_c.SUBPATTERN:
                consider(_needles(_plain_subpattern(av)))
            elif op is _sre_c.BRANCH:
                branches = [_needles(branch) for branch in av[1]]
                consider(None if None in branches else frozenset().union(*branches))
            elif op in _REPEATS and av[0] >= 1:
                consider(_needles(av[2]))
        except _NotAnalysed:
            pass  # a part with its own flags requires nothing known; the rest of the sequence still does
    consider(frozenset({"".join(run)}) if run else None)
    return best


def _operations(items):
    """Every operation of a parsed pattern, nested ones included."""
    for op, av in items:
        yield op
        for part in av if isinstance(av, (tuple, list)) else [av]:
            if isinstance(part, _sre_parse.SubPattern):
                yield from _operations(part)
            elif isinstance(part, list) and op is _sre_c.BRANCH:
                for branch in part:
                    yield from _operations(branch)


class PhraseMatcher:
    """`matches(key)` is `full.fullmatch(key) is not None` for the alternation `full` of `patterns`, trying
    only the patterns that can match `key`: those that can begin with its first character, and of those that
    can begin with any character only the ones whose required words it contains."""

    def __init__(self, patterns: list[str], full: re.Pattern):
        self.full = full
        self.patterns = patterns
        self._compiled: dict[tuple[int, ...], re.Pattern] = {}
        parsed = [_sre_parse.parse(p, re.I) for p in patterns]
        # group numbers differ between a pattern alone and the alternation: such files are not prefiltered
        self.prefiltered = not any(op in _GROUP_REFERENCES for p in parsed for op in _operations(p))
        self._first: list[re.Pattern | None] = []  # per pattern: its possible first characters (None: any)
        # needles -> the patterns that can begin with any character and require one of them
        self._gated: dict[frozenset[str], list[int]] = {}
        for i, tree in enumerate(parsed):
            try:
                sources, _ = _first_chars(tree)
                self._first.append(re.compile("|".join(sources) or r"(?!x)x", re.I))
                continue
            except _UNREAD:
                self._first.append(None)
            try:
                needles = _needles(tree)
            except _UNREAD:
                needles = None
            if needles:
                self._gated.setdefault(needles, []).append(i)
        gated = {i for group in self._gated.values() for i in group}
        self._always = [i for i, first in enumerate(self._first) if first is None and i not in gated]
        self._needle_checks = [
            (
                re.compile("|".join(map(re.escape, sorted(needles))), re.I),
                _ascii_needles(needles),
                self._alternation(tuple(group)),
            )
            for needles, group in self._gated.items()
        ]
        self._by_first: dict[str, re.Pattern | None] = {}

    def _alternation(self, indices: tuple[int, ...]) -> re.Pattern | None:
        """The patterns `indices` as one alternation, in the file's order (compiled once per set)."""
        if not indices:
            return None
        if indices not in self._compiled:
            self._compiled[indices] = re.compile("|".join(f"(?:{self.patterns[i]})" for i in indices), re.I)
        return self._compiled[indices]

    def candidates(self, first: str) -> re.Pattern | None:
        """The alternation of the patterns that can match a paragraph beginning with `first`, without those
        that need a word (`_needle_checks`)."""
        if first not in self._by_first:
            if len(self._by_first) > 10_000:  # a bound for text in many scripts; refilled as needed
                self._by_first.clear()
            starting = [i for i, rx in enumerate(self._first) if rx is not None and rx.fullmatch(first)]
            self._by_first[first] = self._alternation(tuple(sorted([*starting, *self._always])))
        return self._by_first[first]

    def matches(self, key: str) -> bool:
        if not self.prefiltered or not key:
            return self.full.fullmatch(key) is not None
        rx = self.candidates(key[0])
        if rx is not None and rx.fullmatch(key):
            return True
        lowered = key.lower() if key.isascii() else None
        for needle, ascii_needles, rx in self._needle_checks:
            if lowered is None or ascii_needles is None:
                found = needle.search(key) is not None
            else:  # an ASCII key: str.lower() compares as the engine does (_ascii_needles)
                found = any(n in lowered for n in ascii_needles)
            if found and rx.fullmatch(key):
                return True
        return False


_ASCII = [chr(c) for c in range(128)]


def _ascii_needles(needles: frozenset[str]) -> tuple[str, ...] | None:
    """The needles an ASCII text can contain, lower-cased, when for each of their characters the ASCII
    characters that the engine's IGNORECASE matches with it are those with the same str.lower(): then
    `needle in text.lower()` is the engine's case-insensitive search on ASCII text. None when one character is
    not so (a needle that no ASCII text contains drops out: Cyrillic, Chinese)."""
    found = []
    for needle in needles:
        possible = True
        for char in set(needle):
            matching = {a for a in _ASCII if re.fullmatch(re.escape(char), a, re.I)}
            if not matching:
                possible = False  # no ASCII text contains this needle
                break
            if matching != {a for a in _ASCII if a.lower() == char.lower()}:
                return None
        if possible:
            found.append(needle.lower())
    return tuple(found)


@lru_cache(maxsize=8)
def phrase_matcher(path: str | None = None) -> PhraseMatcher:
    """The prefiltered matcher of the phrases file (`load_phrases`'s alternation)."""
    return PhraseMatcher([item for _, item in phrase_patterns(path)], load_phrases(path))


# ----------------------------------------------------------------------------------------- layer 3: repetition


def fingerprint(paragraph: str) -> str:
    """Paragraph identity for the repetition layer: case, spacing and edge punctuation do not matter.

    Digits do: paragraphs that differ only in their figures ("the index closed at ...") are news.
    """
    text = phrase_key(unicodedata.normalize("NFKC", paragraph).lower())
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


_DIGITS = re.compile(r"\d+")
_SHAPE_MIN_WORDS = 3
# A template line whose figures vary is short (a timestamp, an edition number); a longer paragraph that differs
# from another only in its figures is a recurring report ("cases rose to ..."), which is news.
_SHAPE_MAX_CHARS = 200


def shape_print(paragraph: str) -> str | None:
    """The fingerprint of a paragraph with every run of digits made one: "Updated at 10:32" and "Updated at 9:05"
    share it. Only the template signal uses it (a block at the same place of the page template whose figures
    vary is a timestamp or a counter, not news); None for a paragraph without digits, with few words or longer
    than `_SHAPE_MAX_CHARS`."""
    if (
        len(paragraph) > _SHAPE_MAX_CHARS
        or not _DIGITS.search(paragraph)
        or len(paragraph.split()) < _SHAPE_MIN_WORDS
    ):
        return None
    return "~" + fingerprint(_DIGITS.sub("0", paragraph))[1:]


# -- template keys: where on the page a paragraph sits, as a site's page template would place it

# Text blocks only: a div or table cell that holds text itself is rarely one of trafilatura's lines (1% of them on
# the Zyte news pages), and walking every div and span too costs about four times as much on large pages.
_PATH_BLOCKS = tuple(_TEXT_BLOCKS)
_INLINE = {"em", "i", "strong", "b", "small", "span", "a", "sup", "sub", "mark", "cite", "q"}
_CLASS_TOKEN = re.compile(r"[a-z][a-z_-]+")
_PATH_DEPTH = 8  # ancestors kept: enough to tell a footer note from the story body, short enough to be stable
_TEMPLATE_EDGE = 3  # paragraphs from the start or the end of the story that can be template places


def block_paths(tree: etree._Element) -> dict[str, etree._Element]:
    """Every text block of the page by its text (whitespace collapsed), so that trafilatura's output lines can
    be placed (`_place_of` gives a line's DOM path). Read before trafilatura runs: it prunes the tree it is
    given, and the blocks it removes stay here. A text found twice keeps its last (innermost) block."""
    body = tree.find("body")
    blocks: dict[str, etree._Element] = {}
    for el in (body if body is not None else tree).iter(*_PATH_BLOCKS):
        text = " ".join(el.text_content().split())
        if text:
            blocks[text] = el
    return blocks


def _dom_path(el: etree._Element, text: str) -> str:
    steps = []
    children = [c for c in el if isinstance(c.tag, str)]
    # "<p><em>Corrections: ...</em></p>": the inline wrapper is what marks the block
    if len(children) == 1 and children[0].tag in _INLINE and not (el.text or "").strip():
        if " ".join(children[0].text_content().split()) == text:
            steps.append(_step(children[0]))
    node = el
    while node is not None and node.tag not in ("body", "html") and len(steps) < _PATH_DEPTH:
        steps.append(_step(node))
        node = node.getparent()
    return ">".join(reversed(steps))


def _step(el: etree._Element) -> str:
    tokens = sorted(
        {t.strip("-_") for t in _CLASS_TOKEN.findall(_DIGITS.sub("", (el.get("class") or "").lower()))}
    )
    tokens = [t for t in tokens if len(t) >= 2][:3]
    return ".".join([el.tag, *tokens])


def _place_of(blocks: dict[str, etree._Element], paragraph: str) -> str | None:
    """A trafilatura output line's DOM path: tag names with their class tokens (lower case, digits stripped, at
    most three, sorted), from its block up to `_PATH_DEPTH` ancestors below <body>. None when no block has the
    line's text (a paragraph split at <br>, text trafilatura joined). List items come out as "- item"."""
    text = " ".join(paragraph.split())
    el = blocks.get(text)
    if el is None and text.startswith("- "):
        text = text[2:]
        el = blocks.get(text)
    return _dom_path(el, text) if el is not None else None


def template_keys(paragraphs: list[str], paths: list[str | None]) -> list[str | None]:
    """Each paragraph's place in the site's page template, or None when it has none: its DOM path and its
    position counted from the nearer end of the story ("s0" the first paragraph, "e0" the last), for the
    `_TEMPLATE_EDGE` paragraphs at either end. Paragraphs on the page's story path (the DOM path most of its
    story-length paragraphs share) have no place: a story's own paragraphs, and a quote another story shares,
    are judged by the count alone."""
    story = Counter(
        path
        for para, path in zip(paragraphs, paths, strict=True)
        if path and len(para) >= _STORY_PARAGRAPH_CHARS
    ) or Counter(path for path in paths if path)
    story_path = story.most_common(1)[0][0] if story else None
    n, keys = len(paragraphs), []
    for i, path in enumerate(paths):
        from_end = n - 1 - i
        position = f"s{i}" if i <= from_end else f"e{from_end}"
        near_edge = min(i, from_end) < _TEMPLATE_EDGE
        keys.append(f"{position}|{path}" if path and path != story_path and near_edge else None)
    return keys


class BoilerplateMemory:
    """Per-site memory of paragraph fingerprints, persisted as one JSON file per site under `path`.

    Thresholds (why): furniture repeats in nearly every article of a site, while a quote or background paragraph
    shared by a few stories is news. A paragraph counts as boilerplate for a site when it appeared in at least
    `min_articles` (5) distinct articles of that site within `window_days` (30), AND in at least `min_share`
    (5%) of the site's articles seen in that window. So a new site's appeal is learned from its 5th article on,
    a quote shared by two (or four) stories survives, and on a busy site a background paragraph reused by a
    handful of its hundreds of stories survives too. Per paragraph the memory keeps a count of articles per day
    (the window slides over it) and its last `keys_per_fingerprint` article keys (a re-fetched article counts
    once). Fingerprints not seen for a window are forgotten, those seen in one article only after
    `single_sighting_days` (7); at most `max_fingerprints` per site are kept (least recently seen go first).

    Template signal: a page's paragraph at the same place of the site's page template (the same template key:
    DOM path with classes, and position from the story's start or end, see `template_keys`) on
    `min_template_pages` (3) distinct pages is furniture from then on, sooner than the count alone would say:
    a corrections note or an "Updated at ..." line (its shape print, digits ignored, when only figures vary).
    Only blocks whose DOM path differs from the page's story paragraphs get a template key, so a quote two
    stories share in their ordinary paragraphs is judged by the count alone. What the template signal learns
    is a paragraph (fingerprint or shape print) for the whole site, so stored text without DOM is judged the
    same way (`furniture`, the loader's revision).

    Files load lazily (on first use of a site) and are written by `save()`; each site has its own lock, so the
    threads of a fetch shard can clean articles of different sites in parallel.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        min_articles: int = 5,
        min_share: float = 0.05,
        min_template_pages: int = 3,
        window_days: int = 30,
        max_fingerprints: int = 50_000,
        keys_per_fingerprint: int = 16,
        single_sighting_days: int = 7,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path) if path else None
        self.min_articles = min_articles
        self.min_share = min_share
        self.min_template_pages = min_template_pages
        self.window_days = window_days
        self.max_fingerprints = max_fingerprints
        self.keys_per_fingerprint = keys_per_fingerprint  # recent article keys per paragraph: re-fetches
        self.single_sighting_days = single_sighting_days
        self.clock = clock
        self._sites: dict[str, dict] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._dirty: set[str] = set()
        self._guard = threading.Lock()

    # -- files

    def file_for(self, site: str) -> Path | None:
        if self.path is None:
            return None
        slug = re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-")[:60] or "site"
        return self.path / f"{slug}-{hashlib.sha1(site.encode()).hexdigest()[:8]}.json"

    def _lock(self, site: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(site, threading.Lock())

    def _state(self, site: str) -> dict:
        """The site's memory, loaded from disk on first use. Caller holds the site's lock."""
        state = self._sites.get(site)
        if state is None:
            state = self._load(site)
            self._sites[site] = state
        return state

    def _load(self, site: str) -> dict:
        empty = {"version": 1, "site": site, "articles": {}, "fingerprints": {}, "templates": {}}
        file = self.file_for(site)
        if file is None or not file.exists():
            return empty
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if not isinstance(data.get("articles"), dict) or not isinstance(data.get("fingerprints"), dict):
                raise ValueError("missing 'articles' or 'fingerprints'")
            if not isinstance(data.get("templates"), dict):
                data["templates"] = {}  # a file from before the template signal: it learns from now on
            return data
        except (OSError, ValueError, AttributeError) as exc:
            # Keep the broken file for inspection and start learning again; cleaning must not stop.
            broken = file.with_suffix(".corrupt")
            log.warning(
                "boilerplate memory %s unreadable (%s); moved to %s, starting afresh", file, exc, broken
            )
            os.replace(file, broken)
            return empty

    def save(self) -> int:
        """Write every changed site (temp file, then rename). Returns the number of files written."""
        if self.path is None:
            return 0
        self.path.mkdir(parents=True, exist_ok=True)
        with self._guard:
            dirty, self._dirty = set(self._dirty), set()
        for site in dirty:
            with self._lock(site):
                state = self._sites[site]
                self._prune(state, self._today())
                payload = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
            file = self.file_for(site)
            tmp = file.with_suffix(f".tmp{os.getpid()}-{threading.get_ident()}")
            tmp.write_text(payload, encoding="utf-8")
            os.replace(tmp, file)
        return len(dirty)

    # -- learning and judging

    def _today(self) -> int:
        return int(self.clock() // 86400)

    def observe(
        self,
        site: str,
        article_key: str,
        fingerprints: Iterable[str],
        learn: bool = True,
        templates: Iterable[tuple[str, str]] = (),
        shapes: Iterable[str] = (),
    ) -> set[str]:
        """Record an article's paragraph fingerprints and return those that are boilerplate for the site.

        `templates`: (template key, fingerprint or shape print) of the article's paragraphs at a place of the
        page template (see `template_keys`); `shapes`: the shape prints of its paragraphs, judged against what
        the template signal learned. The returned set holds fingerprints and shape prints.
        The article itself counts (learning first), so the `min_articles`-th article with an appeal is cleaned.
        With learn=False the memory is not changed, but the article still counts once in the judgement.
        """
        fps = list(dict.fromkeys(fingerprints))
        own = list(dict.fromkeys(templates))
        today = self._today()
        with self._lock(site):
            state = self._state(site)
            articles, table = state["articles"], state["fingerprints"]
            if learn:
                articles[article_key] = today
                for fp in fps:
                    self._count_in(table.setdefault(fp, self._new_entry(today)), article_key, today)
                places = state.setdefault("templates", {})
                for key, pr in own:
                    self._count_in(
                        places.setdefault(pr, {}).setdefault(key, self._new_entry(today)), article_key, today
                    )
                if len(table) > self.max_fingerprints * 1.2 or len(places) > self.max_fingerprints * 1.2:
                    self._prune(state, today)
                with self._guard:
                    self._dirty.add(site)
            found = self._judge(state, article_key, fps, today, counted=learn)
            return found | self._judge_templates(state, article_key, [*fps, *shapes], own, today, learn)

    @staticmethod
    def _new_entry(today: int) -> dict:
        return {"days": {}, "keys": [], "day": today}

    def _count_in(self, entry: dict, article_key: str, today: int) -> None:
        if article_key not in entry["keys"]:  # a re-fetched article counts once
            entry["keys"].append(article_key)
            del entry["keys"][: -self.keys_per_fingerprint]
            entry["days"][str(today)] = entry["days"].get(str(today), 0) + 1
        entry["day"] = today

    @staticmethod
    def _seen(entry: dict, since: int) -> int:
        return sum(c for day, c in entry["days"].items() if int(day) >= since)

    def _judge(self, state: dict, key: str, fps: list[str], today: int, counted: bool) -> set[str]:
        articles, table = state["articles"], state["fingerprints"]
        since = today - self.window_days
        recent_articles = sum(1 for day in articles.values() if day >= since)
        extra = 0 if counted or key in articles else 1
        need = max(self.min_articles, self.min_share * (recent_articles + extra))
        found = set()
        for fp in fps:
            entry = table.get(fp) or {"days": {}, "keys": []}
            n = self._seen(entry, since)
            if not counted and key not in entry["keys"]:
                n += 1
            if n >= need:
                found.add(fp)
        return found

    def _judge_templates(
        self, state: dict, key: str, prints: list[str], own: list[tuple[str, str]], today: int, counted: bool
    ) -> set[str]:
        """The prints that sit at one place of the site's template on `min_template_pages` pages (this article's
        own places count once even when it is not learned from)."""
        places = state.get("templates") or {}
        since = today - self.window_days
        mine: dict[str, set[str]] = {}
        for place, pr in own:
            mine.setdefault(pr, set()).add(place)
        found = set()
        for pr in dict.fromkeys([*prints, *mine]):
            seen = places.get(pr) or {}
            for place in set(seen) | mine.get(pr, set()):
                entry = seen.get(place) or {"days": {}, "keys": []}
                n = self._seen(entry, since)
                if not counted and place in mine.get(pr, ()) and key not in entry["keys"]:
                    n += 1
                if n >= self.min_template_pages:
                    found.add(pr)
                    break
        return found

    def furniture(self, site: str) -> set[str]:
        """Every fingerprint (and shape print) that is boilerplate for the site now (as `observe` would judge a
        stored article).

        The loader compares this set with the one it last revised the site's stored articles against: a
        paragraph learned since (an appeal, from the site's 5th article; a template block, from its 3rd page) is
        removed from the earlier ones too.
        """
        today = self._today()
        with self._lock(site):
            state = self._state(site)
            since = today - self.window_days
            recent_articles = sum(1 for day in state["articles"].values() if day >= since)
            need = max(self.min_articles, self.min_share * recent_articles)
            found = {fp for fp, entry in state["fingerprints"].items() if self._seen(entry, since) >= need}
            return found | {
                pr
                for pr, seen in (state.get("templates") or {}).items()
                if any(self._seen(entry, since) >= self.min_template_pages for entry in seen.values())
            }

    def _prune(self, state: dict, today: int) -> None:
        since = today - self.window_days
        state["articles"] = {k: d for k, d in state["articles"].items() if d >= since}
        state["fingerprints"] = self._pruned(state["fingerprints"], today)
        places = {}
        for pr, seen in (state.get("templates") or {}).items():
            live = self._pruned(seen, today, cap=False)
            if live:
                places[pr] = live
        if len(places) > self.max_fingerprints:
            latest = sorted(
                places.items(), key=lambda kv: max(e["day"] for e in kv[1].values()), reverse=True
            )
            places = dict(latest[: self.max_fingerprints])
        state["templates"] = places

    def _pruned(self, table: dict, today: int, cap: bool = True) -> dict:
        since = today - self.window_days
        # Most paragraphs are the story's own and are seen once: after a week without a second sighting they
        # are not furniture of a site that publishes at least weekly, so they go early and keep the files small.
        once_until = today - min(self.single_sighting_days, self.window_days)
        live = {}
        for fp, entry in table.items():
            if entry["day"] < since or (len(entry["keys"]) == 1 and entry["day"] < once_until):
                continue
            entry["days"] = {d: c for d, c in entry["days"].items() if int(d) >= since}
            live[fp] = entry
        if cap and len(live) > self.max_fingerprints:
            keep = sorted(live.items(), key=lambda kv: kv[1]["day"], reverse=True)[: self.max_fingerprints]
            live = dict(keep)
        return live

    def stats(self, site: str) -> dict:
        with self._lock(site):
            state = self._state(site)
            return {"articles": len(state["articles"]), "fingerprints": len(state["fingerprints"])}


# ------------------------------------------------------------------------------------------------ cleaning


def _empty_removed() -> dict[str, int]:
    return dict.fromkeys(LAYERS, 0)


def clean_paragraphs(
    paragraphs: list[str],
    site: str,
    memory: BoilerplateMemory | None,
    options: CleanOptions,
    article_key: str,
    removed: dict[str, int],
    removed_text: list[tuple[str, str]],
    paths: list[str | None] | None = None,
) -> list[str]:
    """Layers 2 and 3 over a list of paragraphs; fills `removed` and `removed_text`. `paths`: each paragraph's
    DOM path (`block_paths`) when it comes from a page, for the template signal."""
    kept: list[str] = []
    kept_paths: list[str | None] = []
    for para, path in zip(paragraphs, paths or [None] * len(paragraphs), strict=True):
        if options.phrases and is_boilerplate_phrase(para, options):
            removed["phrases"] += 1
            removed_text.append(("phrases", para))
        else:
            kept.append(para)
            kept_paths.append(path)
    if options.repetition and memory is not None and kept:
        prints = [fingerprint(p) for p in kept]
        shapes = [shape_print(p) for p in kept]
        # Learn from all paragraphs seen, including those the phrase layer removed, so counts stay honest.
        learned = prints + [fingerprint(p) for layer, p in removed_text if layer == "phrases"]
        places = [
            (place, pr)
            for place, fp, shape in zip(template_keys(kept, kept_paths), prints, shapes, strict=True)
            if place
            for pr in (fp, shape)
            if pr
        ]
        furniture = memory.observe(
            site, article_key, learned, learn=options.learn, templates=places, shapes=[s for s in shapes if s]
        )
        survivors = []
        for para, fp, shape in zip(kept, prints, shapes, strict=True):
            if fp in furniture or shape in furniture:
                removed["repetition"] += 1
                removed_text.append(("repetition", para))
            else:
                survivors.append(para)
        kept = survivors
    return kept


def clean_text(
    text: str,
    site: str,
    memory: BoilerplateMemory | None = None,
    options: CleanOptions | None = None,
    article_key: str | None = None,
) -> CleanedText:
    """Layers 2 and 3 on plain text (one paragraph per line), e.g. a feed's own summary."""
    options = options or CleanOptions()
    paragraphs = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in (text or "").splitlines()]
    paragraphs = [p for p in paragraphs if p]
    removed, removed_text = _empty_removed(), []
    key = article_key or hashlib.sha1("\n".join(paragraphs).encode("utf-8")).hexdigest()[:16]
    kept = clean_paragraphs(paragraphs, site, memory, options, key, removed, removed_text)
    return CleanedText("\n".join(kept), removed, removed_text)


def clean_page(
    body: bytes | str,
    url: str | None,
    site: str,
    memory: BoilerplateMemory | None = None,
    options: CleanOptions | None = None,
    content_type: str | None = None,
    record_rules: bool = False,
) -> CleanedPage:
    """An article page (bytes as fetched, or decoded HTML) -> cleaned text and metadata.

    `record_rules`: fill `rules_matched` with every structure rule that matched an element (bench/extraction.py
    re-cleans only the pages where a rule it switches off matched something)."""
    options = options or CleanOptions()
    rules = StructureRules(options.disabled_rules, set() if record_rules else None)
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    html = body if isinstance(body, str) else decode_html(body, content_type)
    removed, removed_text = _empty_removed(), []
    tree = parse_html(html)
    cut, story_texts, story_chars = [], [], 0
    if tree is not None and options.structure:
        cut, story_texts, story_chars = _prune(tree, rules, url)
        removed["structure"] = len(cut)
        removed_text.extend(("structure", p) for p in cut)
    # the template signal needs each paragraph's DOM path, read before trafilatura prunes the tree
    learns_places = tree is not None and options.repetition and memory is not None
    places = block_paths(tree) if learns_places else {}
    extracted = extract_page(tree, url, favor_precision=options.favor_precision) if tree is not None else None
    if (
        extracted
        and any(len(p) >= _STORY_PARAGRAPH_CHARS for p in cut)  # short lines cannot move trafilatura's pick
        and _misses_the_story(extracted.text, story_texts)
        and rules.keeps("uncut-check")
    ):
        extracted.text = _better_of_cut_and_uncut(extracted.text, html, url, cut, options)
    if extracted and len(extracted.text) < _FALLBACK_SHARE * story_chars and rules.keeps("fallback-check"):
        extracted.text = _with_fallback(extracted.text, html, url, rules, options, tree, extracted)
    paragraphs = extracted.text.splitlines() if extracted else []
    if extracted and options.structure:
        paragraphs = _drop_repeated_title(paragraphs, extracted.title, removed, removed_text, rules)
        paragraphs = _drop_own_url(paragraphs, (url, extracted.canonical_url), removed, removed_text, rules)
    key = _article_key(url, paragraphs)
    paths = [_place_of(places, p) for p in paragraphs] if places else None
    kept = clean_paragraphs(paragraphs, site, memory, options, key, removed, removed_text, paths)
    text = "\n".join(kept)
    return CleanedPage(
        title=extracted.title if extracted else "",
        text=text,
        published=extracted.published if extracted else None,
        authors=extracted.authors if extracted else [],
        language=detect_language(text) or detect_language(extracted.title if extracted else ""),
        language_claimed=extracted.language_claimed if extracted else None,
        sitename=extracted.sitename if extracted else None,
        canonical_url=extracted.canonical_url if extracted else None,
        removed=removed,
        removed_text=removed_text,
        raw_html_hash=hashlib.sha1(raw).hexdigest(),
        description=extracted.description if extracted else None,
        date_source=extracted.date_source if extracted else None,
        rules_matched=rules.matched,
    )


def _misses_the_story(text: str, story_texts: list[str]) -> bool:
    """After the cuts trafilatura left out most of the paragraphs of the block that holds the story: the cuts
    may have changed which part of the page it picked."""
    if len(story_texts) < 2:
        return False
    flat = " ".join(text.split())
    found = sum(1 for para in story_texts if para in flat)
    return found < 0.5 * len(story_texts)


def _better_of_cut_and_uncut(
    text: str, html: str, url: str | None, cut: list[str], options: CleanOptions
) -> str:
    """trafilatura on the uncut page, less the paragraphs the structure layer cut (the furniture filters still
    apply), when that holds more story-length text than the extraction after the cuts."""
    tree = parse_html(html)
    if tree is None:
        return text
    uncut = extract_page(tree, url, favor_precision=options.favor_precision).text
    furniture = {" ".join(p.split()) for p in cut}
    kept = [line for line in uncut.splitlines() if " ".join(line.split()) not in furniture]
    return "\n".join(kept) if _story_chars(kept) > _story_chars(text.splitlines()) else text


# trafilatura's fast mode skips its fallback extractors (readability, jusText), which costs a quarter of the
# extraction time on every page. Where its text is under this share of the page's story-length paragraphs
# (left after the cuts) it has missed the story: a guide's product cards, a recipe, a page of unusual markup.
# On the wcxb dev pages that is 37 of 667 pages, and the fallback made 22 of them better and 3 worse.
_FALLBACK_SHARE = 0.7


def _with_fallback(
    text: str,
    html: str,
    url: str | None,
    rules: StructureRules,
    options: CleanOptions,
    tree: etree._Element | None = None,
    extracted: Extracted | None = None,
) -> str:
    """trafilatura with its fallback extractors on the same cut page, when that holds more story-length text.

    `tree` and `extracted`: the cut tree and what the fast extraction made of it; the full pass then resumes
    on that tree (`full_text_again`: the same text as on a fresh parse with the same cuts, without the second
    parse, cuts and metadata). Without them, or when it cannot resume, the page is parsed and cut again."""
    full = None
    if tree is not None and extracted is not None:
        full = full_text_again(tree, extracted, url, favor_precision=options.favor_precision)
    if full is None:
        tree = parse_html(html)
        if tree is None:
            return text
        _prune(
            tree, StructureRules(rules.disabled), url
        )  # the same cuts (the first extraction consumed its tree)
        full = extract_page(tree, url, favor_precision=options.favor_precision, fast=False).text
    return full if _story_chars(full.splitlines()) > _story_chars(text.splitlines()) else text


def _story_chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines if len(line) >= _STORY_PARAGRAPH_CHARS)


def _title_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _drop_repeated_title(
    paragraphs: list[str],
    title: str,
    removed: dict[str, int],
    removed_text: list[tuple[str, str]],
    rules: StructureRules,
) -> list[str]:
    """The headline repeated as the text's first lines is page structure: the title is stored on its own."""
    head = _title_words(title)
    if not head:
        return paragraphs
    for i, para in enumerate(paragraphs[:3]):
        words = _title_words(para)
        # "Headline | Site" titles: the paragraph may be the headline without the site's suffix
        if words and (words == head or (words in head and len(words) >= 0.6 * len(head))):
            rules.note("repeated-title")
            if not rules.on("repeated-title"):
                return paragraphs
            removed["structure"] += 1
            removed_text.append(("structure", para))
            return paragraphs[:i] + paragraphs[i + 1 :]
    return paragraphs


_URL_LINE = re.compile(r"(?:https?://|www\.)\S+$", re.I)


def _address(url: str | None) -> str | None:
    """A URL without its scheme, www., query, fragment and trailing slash, lowercased."""
    if not url:
        return None
    m = re.match(r"(?:https?://)?(?:www\.)?([^?#\s]+?)/*(?:[?#]\S*)?$", url.strip(), re.I)
    return m.group(1).lower() if m else None


def _drop_own_url(
    paragraphs: list[str],
    urls: tuple[str | None, ...],
    removed: dict[str, int],
    removed_text: list[tuple[str, str]],
    rules: StructureRules,
) -> list[str]:
    """A line that is nothing but the page's own address (a share widget's permalink) is page structure. A link
    to anything else stays: on wcxb dev bare links were references and code as often as furniture."""
    own = {a for a in map(_address, urls) if a}
    if not own:
        return paragraphs
    kept = []
    for para in paragraphs:
        line = para.strip()
        if " " not in line and len(line) <= 300 and _URL_LINE.match(line) and _address(line) in own:
            rules.note("own-url")
            if rules.on("own-url"):
                removed["structure"] += 1
                removed_text.append(("structure", para))
                continue
        kept.append(para)
    return kept


@dataclass
class TextChoice:
    """Which text an article keeps: the cleaned page, or the feed's own content when the page falls short."""

    text: str
    source: str  # "page" or "feed"
    removed: dict[str, int]
    reason: str | None  # why the page's text was not used (None when it was)


def choose_text(
    page: CleanedPage | None,
    feed_text: str,
    site: str,
    memory: BoilerplateMemory | None = None,
    options: CleanOptions | None = None,
    min_chars: int = 200,
    page_error: str | None = None,
    article_key: str | None = None,
) -> TextChoice:
    """The page's cleaned text if it has at least `min_chars` characters; otherwise the feed's content, cleaned
    by layers 2 and 3, unless the page's short text is still the longer of the two."""
    if page is not None and len(page.text) >= min_chars:
        return TextChoice(page.text, "page", dict(page.removed), None)
    reason = page_error or (f"page text under {min_chars} characters" if page is not None else "no page")
    feed = clean_text(feed_text or "", site, memory, options, article_key=article_key)
    if page is not None and len(page.text) > len(feed.text):
        return TextChoice(page.text, "page", dict(page.removed), reason)
    return TextChoice(feed.text, "feed", dict(feed.removed), reason)


def _article_key(url: str | None, paragraphs: list[str]) -> str:
    if url:
        from newsmon.dedupe import canonical_url

        try:
            return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]
        except ValueError:
            pass
    return hashlib.sha1("\n".join(paragraphs).encode("utf-8")).hexdigest()[:16]


# ------------------------------------------------------------------------------------------ language detection

_STOPWORDS = {
    "en": "the of and to in a is that for on with as was by at it from said his he be are has have",
    "de": "der die und das den von zu mit sich des ist im dem nicht ein eine auf für sie auch wird",
    "fr": "le la les de des et du un une est en que qui dans pour pas sur au par avec ce il",
    "es": "el la los las de del y en que un una por con para es se al lo su como más",
    "it": "il di che e la per un una è del della in non con le si da sono gli ha",
    "pt": "o a os as de do da e em que um uma para com não no na por se foi",
    "nl": "de het een en van in is dat op te zijn met voor niet aan er die ook",
}
_STOP_SETS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_WORD = re.compile(r"[^\W\d_]+", re.U)
_SCRIPTS = {
    "han": re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
    "cyr": re.compile(r"[\u0400-\u04ff]"),
    "arab": re.compile(r"[\u0600-\u06ff]"),
    "greek": re.compile(r"[\u0370-\u03ff]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _script_counts(sample: str) -> tuple[dict[str, int], str]:
    """Characters per script, and the sample's non-ASCII characters. ASCII letters (most of a Latin text) are
    counted in one pass over bytes; the per-script patterns only scan the non-ASCII rest."""
    rest = _ASCII_RUNS.sub("", sample)
    counts = {script: len(rx.findall(rest)) for script, rx in _SCRIPTS.items()}
    ascii_part = sample.encode("ascii", "ignore")
    counts["latin"] += len(ascii_part) - len(ascii_part.translate(None, _ASCII_LETTERS))
    return counts, rest


try:  # trafilatura's optional language identifier; the heuristic below serves when it is not installed
    import py3langid as _langid
except ImportError:  # pragma: no cover - depends on the environment
    _langid = None


def detect_language(text: str) -> str | None:
    """A light language guess: py3langid when installed; else the script decides zh/ja/ko/ru/uk/ar/el and
    stopwords decide among Latin-script languages (en, de, fr, es, it, pt, nl)."""
    sample = (text or "")[:4000]
    if _langid is not None and len(sample.strip()) >= 20:
        return _langid.classify(sample)[0]
    counts, rest = _script_counts(sample)
    ukr = len(_UKRAINIAN.findall(rest))
    script = max(counts, key=counts.get)
    if counts[script] < 3:
        return None
    if script in ("han", "kana"):
        return "ja" if counts["kana"] > 0.1 * (counts["han"] + counts["kana"]) else "zh"
    if script == "cyr":
        return "uk" if ukr > 0.01 * counts["cyr"] else "ru"
    simple = {"hangul": "ko", "arab": "ar", "greek": "el"}
    if script in simple:
        return simple[script]
    # word frequencies once, then a look-up per stopword (not a set test per word and language)
    freq = Counter(map(str.lower, _WORD.findall(sample)))
    scores = {lang: sum(freq.get(w, 0) for w in stops) for lang, stops in _STOP_SETS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= 2 else None


# ------------------------------------------------------------------------------------------ newsmon extract

_LOOKS_HTML = re.compile(
    rb"<\s*(!doctype|html|head|body|p|div|article|main|section|span|title|meta|br)\b", re.I
)


def _read_input(name: str) -> bytes:
    from newsmon.cli import UserError

    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.exists():
        raise UserError(f"{name}: no such file")
    if path.is_dir():
        raise UserError(f"{name}: is a directory, not an HTML file")
    data = path.read_bytes()
    if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        import gzip

        try:
            data = gzip.decompress(data)
        except OSError as exc:
            raise UserError(f"{name}: broken gzip file: {exc}") from None
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UserError(f"{name}: binary file, not HTML")
    if not _LOOKS_HTML.search(data[:65536].replace(b"\x00", b"")):
        raise UserError(f"{name}: not an HTML page (no HTML tags in it)")
    return data


def page_record(page: CleanedPage, path: str, url: str | None, explain: bool) -> dict:
    record = {
        "path": path,
        "url": url,
        "title": page.title,
        "text": page.text,
        "published": page.published.isoformat() if page.published else None,
        "authors": page.authors,
        "language": page.language,
        "language_claimed": page.language_claimed,
        "sitename": page.sitename,
        "canonical_url": page.canonical_url,
        "removed": page.removed,
    }
    if explain:
        record["removed_text"] = [{"layer": layer, "text": text} for layer, text in page.removed_text]
    return record


def cli_extract(args) -> int:
    """`newsmon extract [--url URL] [--explain] [--raw] FILE...`: one JSON object per line per file
    (with --explain: indented, for reading).

    A file that is missing or not HTML gets one line on stderr (the last one through UserError, which the
    command line prints) and a non-zero exit; the other files are still extracted.
    """
    from newsmon.cli import UserError

    options = CleanOptions.raw() if getattr(args, "raw", False) else CleanOptions()
    url = getattr(args, "url", None)
    site = (urlsplit(url).hostname if url else None) or "local"
    problems: list[str] = []
    for name in args.files:
        try:
            body = _read_input(name)
        except UserError as exc:
            problems.append(str(exc))
            continue
        page = clean_page(body, url, site, None, options)
        # --explain is read by a person: indented; without it one object per line, for scripts.
        indent = 2 if args.explain else None
        print(
            json.dumps(page_record(page, name, url, args.explain), ensure_ascii=False, indent=indent),
            flush=True,
        )
    for problem in problems[:-1]:
        print(f"newsmon extract: {problem}", file=sys.stderr)
    if problems:
        raise UserError(problems[-1])
    return 0
