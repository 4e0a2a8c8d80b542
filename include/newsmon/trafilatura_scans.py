"""trafilatura 2.3.1's costliest XPath expressions as Python scans, and the extractor functions that use them.

trafilatura tests element attributes with EXSLT `re:test`, which lxml answers with a Python callback per test,
and builds a node set for every `.//*`: 3-7 ms per page (bench/extraction_speed.py pages), a sixth of
clean_page. A walk over the tree's elements with the same tests, their verdict remembered for each combination of
the attribute values they read, does the same in a fraction. Each scan returns what its XPath returns on the tree as it is, in document order; the
expressions' own regexes are built from trafilatura's token tuples (trafilatura.xpaths) where it has them; the
others are copied from the expressions (the tests check that they still read so). The extractor functions
below mirror trafilatura.main_extractor (2.3.1) line by line with the scans in place of the XPaths; extract.py
only calls this module for that release (`_FAST_SEQUENCE_OF`). tests/test_trafilatura_scans.py compares every
scan with its XPath (hand-made trees, and every benchmark page at each stage when the benchmarks are present).

XPath semantics kept: a missing attribute reads as the empty string; `re:test(@id|@class, ...)` and
`starts-with(@id|@class, ...)` read the attribute of the union that comes first in document order, i.e. the
first of the two in the element's source order; `.//*` is every element below the context node, not itself.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree
from trafilatura import xpaths as _x

# ------------------------------------------------------------------------------------------ expressions' tests

_ELEMENT = etree.Element  # as a tag filter: elements only (no comments, processing instructions, entities)


def _rx(tokens: tuple[str, ...]) -> re.Pattern:
    return re.compile(_x._alt(tokens))  # lxml's re:test is re.search (flag 'i': re.IGNORECASE)


# RAW_TREE_PRUNE_XPATH and REMOVE_COMMENTS_AND_LISTS_XPATH (raw tree)
_RAW_TAGS = ("div", "section", "aside")
_SCROLL = re.compile("mvp-post-add-(?:box|wrap)|infinite-?scroll")
_ADDED_POST = re.compile("mvp-post-add-(?:box|wrap)")
_COMMENT_TAGS = ("div", "list", "section", "details", "ol", "ul")
_COMMENT_ID = re.compile(f"^(?:{_x._COMMENTS_ID}|disqus_thread|dsq-comments)")
_COMMENT_LIST_ID = re.compile(f"^(?:{_x._COMMENTS_ID})")
_COMMENT_CLASS = re.compile(_x._COMMENTS_CLASS)

# OVERALL_DISCARD_XPATH, DISCARD_IMAGE_ELEMENTS, TEASER_DISCARD_XPATH, PRECISION_DISCARD_XPATH (cleaned tree)
_BLOCK_TAGS = frozenset(("div", "item", "list", "p", "section", "span"))
_CONSENT = _rx(_x._CONSENT_ID_CLASS_TOKENS)
_DISCARD_ID = _rx(_x._OVERALL_DISCARD_BOTH_TOKENS + _x._OVERALL_DISCARD_ID_TOKENS)
_DISCARD_CLASS = _rx(_x._OVERALL_DISCARD_BOTH_TOKENS + _x._OVERALL_DISCARD_CLASS_TOKENS)
_HIDDEN = re.compile("hidden")
_HIDDEN_ID = re.compile("reader-comments|akismet")
_HIDDEN_CLASS = re.compile(
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide|"
    "noprint|notloaded"
)
_BOTTOM = re.compile(r"(^|\s)bottom|bottom(\s|$)")
_LINK = re.compile(r"(^|\s)link(\s|$)")

# BODY_XPATH (cleaned tree)
_BODY_TAGS = ("article", "div", "main", "section")
_ARTICLE_ID = _rx(_x._ARTICLE_CONTENT_ID_TOKENS)
_ARTICLE_CLASS = _rx(_x._ARTICLE_CONTENT_CLASS_TOKENS)
_STORY_ID = _rx(_x._STORY_ID_TOKENS)
_STORY_CLASS = _rx(_x._STORY_CLASS_TOKENS)
_FULLTEXT = re.compile("fulltext", re.IGNORECASE)
_MAIN_ID = _rx(_x._MAIN_CONTENT_ID_TOKENS)
_MAIN_CLASS = _rx(_x._MAIN_CONTENT_CLASS_TOKENS)
_STORY_CLASSES = frozenset(("postarea", "art-postcontent", "text", "cell", "story"))

# Each scan remembers its verdict for every combination of the attribute values its tests read (class and id
# values repeat within a page and across pages), so most elements cost a few attribute reads and a lookup.
_CACHE_LIMIT = 20_000  # combinations remembered per scan (a page has a few hundred), then forgotten at once


def _remember(verdicts: dict, key, decide):
    """decide(*key), kept in `verdicts` (the scans look there first, inline: this is their hottest line)."""
    if len(verdicts) >= _CACHE_LIMIT:
        verdicts.clear()
    verdict = verdicts[key] = decide(*key)
    return verdict


def _first(ident: str | None, other: str | None, id_first: bool) -> str:
    """The string value of the XPath union @id|@other: of the two, the one that comes first on the element."""
    if ident is not None and other is not None:
        return ident if id_first else other
    return ident if ident is not None else (other or "")


def _id_first(el, ident, other_name: str) -> bool:
    """Whether @id comes before @<other_name> on the element (when it has both; else irrelevant)."""
    if ident is None:
        return False
    keys = el.keys()
    return other_name not in keys or keys.index("id") < keys.index(other_name)


# ------------------------------------------------------------------------------------------------- raw tree

_SCROLL_BIT, _ADDED_POST_BIT, _SHARE_BIT, _COMMENTS_BIT = 1, 2, 4, 8
_RAW_VERDICTS: dict = {}


def _raw_verdict(tag: str, ident: str | None, cls: str | None) -> int:
    ident, cls = ident or "", cls or ""  # a missing attribute reads as the empty string
    verdict = 0
    if tag in _RAW_TAGS:
        if _SCROLL.search(ident) or _SCROLL.search(cls):
            verdict |= _SCROLL_BIT
        if _ADDED_POST.search(ident) or _ADDED_POST.search(cls):
            verdict |= _ADDED_POST_BIT
        if "elementor-share-buttons" in cls:
            verdict |= _SHARE_BIT
    if (
        tag in _COMMENT_TAGS
        and (_COMMENT_ID.search(ident) or _COMMENT_CLASS.search(cls))
        and (tag not in ("ol", "ul") or _COMMENT_LIST_ID.search(ident) or _COMMENT_CLASS.search(cls))
    ):
        verdict |= _COMMENTS_BIT
    return verdict


def raw_tree_matches(tree) -> tuple[list, list, list]:
    """What RAW_TREE_PRUNE_XPATH[0], RAW_TREE_PRUNE_XPATH[1] and REMOVE_COMMENTS_AND_LISTS_XPATH[0] select on
    `tree` as it is, in one walk."""
    scroll, share, comments = [], [], []
    verdicts = _RAW_VERDICTS
    for el in tree.iterdescendants(*_COMMENT_TAGS, "aside"):
        get = el.get
        key = (el.tag, get("id"), get("class"))
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = _remember(verdicts, key, _raw_verdict)
        if not verdict:
            continue
        if verdict & _SCROLL_BIT and (verdict & _ADDED_POST_BIT or el.find(".//h1") is None):
            scroll.append(el)
        if verdict & _SHARE_BIT:
            share.append(el)
        if verdict & _COMMENTS_BIT:
            comments.append(el)
    return scroll, share, comments


def prune_raw_tree(tree, comments_too: bool):
    """trafilatura.core.trafilatura_sequence's raw-tree prunes (2.3.1): prune_unwanted_nodes with
    RAW_TREE_PRUNE_XPATH, then, when `comments_too`, with REMOVE_COMMENTS_AND_LISTS_XPATH. Each expression
    runs on the tree its predecessors left; their tests read only an element's own tag and attributes (the
    descendant test of the first runs first), so each one's selection is the one-walk scan less what an earlier
    deletion took out of the tree."""
    from trafilatura.xml import delete_element

    scroll, share, comments = raw_tree_matches(tree)
    for found in (scroll, share, comments) if comments_too else (scroll, share):
        for el in [el for el in found if _within(el, tree)]:
            delete_element(el)
    return tree


def _within(el, top) -> bool:
    """Whether `el` is still below `top` (not in a subtree that was deleted)."""
    parent = el.getparent()
    while parent is not None:
        if parent is top:
            return True
        parent = parent.getparent()
    return False


# ------------------------------------------------------------------------------------------------- sections

_NAV_BIT, _HIDDEN_BIT, _CAPTION_BIT, _TEASER_BIT, _BOTTOM_BIT = 1, 2, 4, 8, 16
_SECTION_VERDICTS: dict = {}
_SECTION_ATTRIBUTES = ("id", "class", "style")  # the tests on any other attribute are made element by element


def _section_verdict(block: bool, ident, cls, style, id_before_class: bool, id_before_style: bool) -> int:
    id_or_class = _first(ident, cls, id_before_class)
    id_or_style = _first(ident, style, id_before_style)
    ident, cls, style = ident or "", cls or "", style or ""
    verdict = 0
    if (
        cls == "comments-title"
        or id_or_class.startswith("reply-")
        or _HIDDEN.search(id_or_style)
        or "display:none" in style
        or "display: none" in style
        or _HIDDEN_ID.search(ident)
        or _HIDDEN_CLASS.search(cls)
    ):
        verdict |= _HIDDEN_BIT
    if not block:
        return verdict
    if _CONSENT.search(id_or_class) or _DISCARD_ID.search(ident) or _DISCARD_CLASS.search(cls):
        verdict |= _NAV_BIT
    if "caption" in ident or "caption" in cls:
        verdict |= _CAPTION_BIT
    if "teaser" in ident.replace("T", "t") or "teaser" in cls.replace("T", "t"):
        verdict |= _TEASER_BIT
    if _BOTTOM.search(id_or_class) or _LINK.search(id_or_class) or "border" in style:
        verdict |= _BOTTOM_BIT
    return verdict


def _other_attribute_verdict(el, block: bool) -> int:
    """OVERALL_DISCARD_XPATH's tests on attributes other than id, class and style."""
    get = el.get
    verdict = _HIDDEN_BIT if get("aria-hidden") == "true" else 0
    if block and (
        get("data-lp-replacement-content") is not None
        or "nav" in (get("role") or "").replace("N", "n")
        or "MostPopularStories" in (get("data-component") or "")
    ):
        verdict |= _NAV_BIT
    return verdict


def section_matches(tree) -> tuple[list, list, list, list, list, list]:
    """What OVERALL_DISCARD_XPATH[0], [1], DISCARD_IMAGE_ELEMENTS[0], TEASER_DISCARD_XPATH[0],
    PRECISION_DISCARD_XPATH[0] and [1] select on `tree` as it is, in one walk."""
    navs, hidden, captions, teasers, headers, bottoms = [], [], [], [], [], []
    verdicts = _SECTION_VERDICTS
    for el in tree.iterdescendants(_ELEMENT):
        tag = el.tag
        if tag == "header":
            headers.append(el)
        count = len(el.attrib)
        if not count:
            continue  # no test of these expressions passes on missing attributes
        get = el.get
        ident, cls, style = get("id"), get("class"), get("style")
        block = tag in _BLOCK_TAGS
        both = ident is not None and (cls is not None or style is not None)
        key = (
            block,
            ident,
            cls,
            style,
            both and cls is not None and _id_first(el, ident, "class"),
            both and style is not None and _id_first(el, ident, "style"),
        )
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = _remember(verdicts, key, _section_verdict)
        if count > (ident is not None) + (cls is not None) + (style is not None):
            verdict |= _other_attribute_verdict(el, block)
        if not verdict:
            continue
        if verdict & _NAV_BIT:
            navs.append(el)
        if verdict & _HIDDEN_BIT:
            hidden.append(el)
        if verdict & _CAPTION_BIT:
            captions.append(el)
        if verdict & _TEASER_BIT:
            teasers.append(el)
        if verdict & _BOTTOM_BIT:
            bottoms.append(el)
    return navs, hidden, captions, teasers, headers, bottoms


def _overall_discard(tree, navs: list, hidden: list):
    """htmlprocessing.prune_unwanted_nodes(tree, OVERALL_DISCARD_XPATH, with_backup=True) (2.3.1), given what
    the two expressions select."""
    from trafilatura.xml import delete_element

    matches = dict.fromkeys(navs + hidden)
    outer = [elem for elem in matches if not any(a in matches for a in elem.iterancestors())]
    old_len = len(tree.text_content())
    if old_len - sum(len(elem.text_content()) for elem in outer) > old_len / 7:
        for elem in outer:
            delete_element(elem)
    return tree


def _prune(tree, found: list):
    """prune_unwanted_nodes(tree, [expression]) given what the expression selects on the tree as it was before
    earlier deletions: an element deleted with an ancestor is no longer found."""
    from trafilatura.xml import delete_element

    for el in [el for el in found if _within(el, tree)]:
        delete_element(el)
    return tree


def prune_unwanted_sections(tree, potential_tags: set[str], options, keep_teasers: bool = False):
    """trafilatura.main_extractor.prune_unwanted_sections (2.3.1) with the scans: the discard expressions test
    only an element's tag and attributes, which deleting other elements does not change, so one walk before the
    first deletion finds what each expression finds when its turn comes, less what has gone."""
    from trafilatura.htmlprocessing import delete_by_link_density, link_density_test_tables
    from trafilatura.xml import delete_element

    favor_precision = options.focus == "precision"
    navs, hidden, captions, teasers, headers, bottoms = section_matches(tree)
    tree = _overall_discard(tree, navs, hidden)
    if "graphic" not in potential_tags:
        tree = _prune(tree, captions)
    if options.focus != "recall":
        if not keep_teasers:
            tree = _prune(tree, teasers)
        if favor_precision:
            tree = _prune(tree, headers)
            tree = _prune(tree, bottoms)
    for _ in range(2):
        tree = delete_by_link_density(tree, "div", backtracking=True, favor_precision=favor_precision)
        tree = delete_by_link_density(tree, "list", backtracking=False, favor_precision=favor_precision)
        tree = delete_by_link_density(tree, "p", backtracking=False, favor_precision=favor_precision)
    if "table" in potential_tags or favor_precision:
        boilerplate_tables = [elem for elem in tree.iter("table") if link_density_test_tables(elem) is True]
        for elem in boilerplate_tables:
            delete_element(elem, keep_tail=False)
    if favor_precision:
        while len(tree) > 0 and (tree[-1].tag == "head"):
            delete_element(tree[-1], keep_tail=False)
        tree = delete_by_link_density(tree, "head", backtracking=False, favor_precision=True)
        tree = delete_by_link_density(tree, "quote", backtracking=False, favor_precision=True)
    etree.strip_tags(tree, "span", *(() if "ref" in potential_tags else ("ref",)))
    return tree


# ------------------------------------------------------------------------------------------------- body


_BODY_VERDICTS: dict = {}


def _body_verdict(tag: str, ident, cls, itemprop, role) -> int:
    """Bit k set: the element passes BODY_XPATH[k]'s test (k = 0, 2, 3, 4; [1] is any <article>)."""
    ident, cls, role = ident or "", cls or "", role or ""
    tests = (
        cls in ("post", "entry")  # [0]
        or itemprop == "articleBody"
        or ident == "articleContent"
        or _ARTICLE_ID.search(ident)
        or _ARTICLE_CLASS.search(cls),
        tag == "article",  # [1]
        role == "article"  # [2]
        or ident in ("article", "story")
        or cls in _STORY_CLASSES
        or _STORY_ID.search(ident)
        or _FULLTEXT.search(cls)
        or _STORY_CLASS.search(cls),
        ident == "content"  # [3]
        or cls == "content"
        or _MAIN_ID.search(ident)
        or _MAIN_CLASS.search(cls)
        or "main-content" in ident.replace("C", "c").replace("M", "m")
        or "main-content" in cls.replace("C", "c").replace("M", "m")
        or "page-content" in cls.replace("C", "c").replace("P", "p"),
        tag == "main"  # [4]: (.//*[self::article or self::div or self::section][...])[1] | (.//main)[1]
        or (cls.startswith("main") or ident.startswith("main") or role.startswith("main")),
    )
    return sum(1 << k for k, passed in enumerate(tests) if passed)


def _body_candidates(tree, k: int):
    """The elements below `tree` that pass BODY_XPATH[k]'s test, in document order."""
    bit, verdicts = 1 << k, _BODY_VERDICTS
    for el in tree.iterdescendants(*_BODY_TAGS):
        get = el.get
        key = (el.tag, get("id"), get("class"), get("itemprop"), get("role"))
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = _remember(verdicts, key, _body_verdict)
        if verdict & bit:
            yield el


def body_matches(tree, k: int) -> list:
    """What BODY_XPATH[k] selects on `tree` as it is."""
    if k == 0:  # `.//*[test][1]`: the first passing child of each parent
        parents, found = set(), []
        for el in _body_candidates(tree, 0):
            parent = el.getparent()
            if parent not in parents:
                parents.add(parent)
                found.append(el)
        return found
    if k == 4:  # `(.//*[test])[1] | (.//main)[1]`, in document order
        main = next(tree.iterdescendants("main"), None)
        other = next((el for el in _body_candidates(tree, 4) if el.tag != "main"), None)
        found = [el for el in (other, main) if el is not None]
        return found[::-1] if len(found) == 2 and first_body(tree, 4) is main else found
    first = first_body(tree, k)  # `(.//*[test])[1]`
    return [] if first is None else [first]


def first_body(tree, k: int):
    """The first element of what BODY_XPATH[k] selects (what main_extractor._extract takes), or None: for every
    expression the first element in document order that passes its test (for [0], a first passing child of its
    parent; no element before it passes)."""
    return next(_body_candidates(tree, k), None)


# ------------------------------------------------------------------------------------------------- extractor


def _extract(tree, options):
    """trafilatura.main_extractor._extract (2.3.1) with `first_body` for BODY_XPATH: each expression is tested
    on the tree as the previous rounds left it (pruned, elements moved out or renamed "done"), as there."""
    from trafilatura.htmlprocessing import process_node
    from trafilatura.main_extractor import NOT_AT_THE_END, REBUILT_BLOCKS, handle_textelem
    from trafilatura.settings import INLINE_FORMATTABLE, TAG_CATALOG
    from trafilatura.utils import text_chars_test
    from trafilatura.xml import delete_element

    potential_tags = set(TAG_CATALOG)
    if options.tables is True:
        potential_tags.update(["table", "td", "th", "tr"])
    if options.images is True:
        potential_tags.add("graphic")
    if options.links is True:
        potential_tags.add("ref")
    result_body = etree.Element("body")
    for k in range(len(_x.BODY_XPATH)):
        subtree = first_body(tree, k)
        if subtree is None:
            continue
        subtree = prune_unwanted_sections(subtree, potential_tags, options)
        if len(subtree) == 0:
            continue
        ptest = subtree.xpath("//p//text()")
        factor = 1 if options.focus == "precision" else 3
        if not ptest or len("".join(ptest)) < options.min_extracted_size * factor:
            potential_tags.add("div")
        subelems = subtree.xpath(".//*")
        tags = {e.tag for e in subelems}
        if tags == {"lb"} or (
            subtree.tag == "div" and "div" in potential_tags and tags <= INLINE_FORMATTABLE | {"lb"}
        ):
            subelems = [subtree]
        lead, start = None, len(result_body)
        if subelems != [subtree] and text_chars_test(subtree.text):
            lead = etree.Element("p")
            lead.text = subtree.text
            lead = process_node(lead, options)
        for elem in subelems:
            if elem.getroottree().getroot() is result_body:
                continue
            tag, tail = elem.tag, elem.tail
            processed_elem = handle_textelem(elem, potential_tags, options)
            if processed_elem is not None:
                result_body.append(processed_elem)
                if elem.getroottree().getroot() is not result_body:
                    elem.tag = "done"
            if (
                tag in REBUILT_BLOCKS
                and text_chars_test(tail)
                and (processed_elem is None or processed_elem.tail is None)
            ):
                tail_elem = etree.Element("p")
                tail_elem.text = tail
                if process_node(tail_elem, options) is not None:
                    result_body.append(tail_elem)
        while len(result_body) > 0 and (result_body[-1].tag in NOT_AT_THE_END):
            delete_element(result_body[-1], keep_tail=False)
        if sum(e.tag != "graphic" for e in result_body) > 1:
            if lead is not None:
                result_body.insert(start, lead)
            break
    temp_text = " ".join(result_body.itertext()).strip()
    return result_body, temp_text, potential_tags


def _recover_wild_text(tree, result_body, options, potential_tags=None, consumed=None):
    """trafilatura.main_extractor.recover_wild_text (2.3.1), pruning with the scans."""
    from trafilatura.main_extractor import _elem_text, handle_textelem
    from trafilatura.settings import DEDUPE_SCAN_CAP, MIN_DUPLICATE_LENGTH, TAG_CATALOG
    from trafilatura.utils import text_chars_test, trim

    potential_tags = set(TAG_CATALOG if potential_tags is None else potential_tags)
    search_expr = ".//code|.//p|.//quote|.//table|.//div[contains(@class, 'w3-code')]"
    if options.focus == "recall":
        potential_tags.update(["div", "lb"])
        search_expr += "|.//div|.//lb|.//list"
    search_tree = prune_unwanted_sections(tree, potential_tags, options, keep_teasers=options.fast)
    subelems = search_tree.xpath(search_expr)
    elem_texts = [_elem_text(el) for el in result_body]
    existing = "\n".join(filter(None, elem_texts))
    existing_elems = set(elem_texts)
    handled: set = set()
    for subelem in subelems:
        if (consumed and subelem in consumed) or any(a in handled for a in subelem.iterancestors()):
            continue
        processed = handle_textelem(subelem, potential_tags, options)
        if processed is None:
            continue
        if processed is subelem:
            handled.add(subelem)
        text = _elem_text(processed)
        images = {img.get("src") for img in processed.iter("graphic")}
        if not text and images and images <= {g.get("src") for g in result_body.iter("graphic")}:
            continue
        under_cap = len(existing) <= DEDUPE_SCAN_CAP
        fragment = trim(text + (processed.tail or "")) if text_chars_test(processed.tail) else ""
        if text and (
            text in existing_elems
            or (
                under_cap
                and (
                    (len(text) > MIN_DUPLICATE_LENGTH and text in existing)
                    or (fragment and fragment in existing)
                )
            )
        ):
            continue
        result_body.append(processed)
        if under_cap:
            existing += "\n" + (fragment or text)
        existing_elems.add(text)
    return result_body


def extract_content(cleaned_tree, options):
    """trafilatura.main_extractor.extract_content (2.3.1) with the mirrored `_extract` and
    `_recover_wild_text`."""
    from trafilatura.main_extractor import _elem_text
    from trafilatura.settings import MIN_DUPLICATE_LENGTH
    from trafilatura.utils import SPACING_PROTECTED, text_chars_test
    from trafilatura.xml import delete_element

    backup_tree = deepcopy(cleaned_tree)
    order = list(cleaned_tree.iter())
    result_body, temp_text, potential_tags = _extract(cleaned_tree, options)
    if len(result_body) == 0 or len(temp_text) < options.min_extracted_size:
        consumed = {twin for elem, twin in zip(order, backup_tree.iter(), strict=True) if elem.tag == "done"}
        result_body = _recover_wild_text(backup_tree, result_body, options, potential_tags, consumed)
        temp_text = " ".join(result_body.itertext()).strip()
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    etree.strip_elements(result_body, "done")
    etree.strip_tags(result_body, "div")
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body, temp_text


def extract_and_compare(cleaned_tree, cleaned_tree_backup, tree, options):
    """trafilatura.core._extract_and_compare (2.3.1) with the mirrored `extract_content`."""
    from copy import copy

    from trafilatura import core

    postbody, temp_text = extract_content(cleaned_tree, options)
    if not options.fast:
        postbody, temp_text = core.compare_extraction(
            cleaned_tree_backup, copy(tree), postbody, temp_text, options
        )
    return postbody, temp_text


def recall_retry(esc_tree, r_options, url):
    """trafilatura.core._recall_retry (2.3.1) with the mirrored `extract_content`."""
    from trafilatura import core

    return extract_and_compare(*core._prepare_tree(esc_tree, r_options, url), esc_tree, r_options)
