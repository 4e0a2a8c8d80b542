"""Bytes -> decoded HTML -> trafilatura's main text and the page's metadata.

`decode_html` gets the characters right (BOM, HTTP header, <meta charset>, XML declaration, then detection);
`extract_page` runs trafilatura on a parsed tree and reads the metadata a news page declares about itself
(Open Graph, JSON-LD, <time>, <link rel=canonical>) before falling back to trafilatura's own guesses.
Boilerplate removal lives in `newsmon.clean`; this module only extracts.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree

CLEANER_VERSION = "2"  # 2: issue 16 (keeping rules, guide furniture, rules dropped by the held-out split)
EXTRACTOR_VERSION = f"trafilatura-{trafilatura.__version__}+newsmon-clean-{CLEANER_VERSION}"

# Declared labels that browsers (WHATWG Encoding Standard) read as a superset: pages that say gb2312 use GBK
# characters, and pages that say iso-8859-1 use the windows-1252 punctuation range.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-9": "cp1254",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:+-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:+-]+)""", re.I)
# charset-normalizer's guesses that mean "some Western single-byte page": browsers read those as windows-1252.
_WESTERN_GUESSES = {"latin_1", "iso8859_15", "cp1250", "iso8859_2", "mac_roman", "cp850", "cp437", "ascii"}


def normalise_encoding(label: str | None) -> str | None:
    """A Python codec name for a declared charset label, or None when the label is unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _SUPERSETS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # Python's lookup maps some aliases back to the narrow codec; widen those too.
    return {"gb2312": "gb18030", "gbk": "gb18030", "latin-1": "cp1252", "iso8859-1": "cp1252"}.get(name, name)


def declared_encodings(body: bytes, content_type: str | None) -> list[str]:
    """Encodings the response declares, in the order a browser trusts them: HTTP header, then the document."""
    found: list[str] = []
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m:
            found.append(m.group(1))
    head = body[:4096]
    for rx in (_XML_DECL, _META_CHARSET):
        m = rx.search(head)
        if m:
            found.append(m.group(1).decode("ascii", "ignore"))
    names: list[str] = []
    for label in found:
        name = normalise_encoding(label)
        if name and name not in names and not name.startswith("utf-16") and not name.startswith("utf-32"):
            names.append(
                name
            )  # a UTF-16 label in an ASCII-readable document is a lie; the BOM decides that case
    return names


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML (or XML) response body to text, as the WHATWG Encoding Standard says.

    Order: byte-order mark; else the first declaration a browser trusts (the HTTP header, then the document's
    <meta> or XML declaration; gb2312 read as gb18030, iso-8859-1 as windows-1252), decoded with U+FFFD for any
    byte that is invalid in it, never swapped for a guess over one bad byte; only undeclared bytes are sniffed:
    valid UTF-8, else charset-normalizer's detection, else windows-1252 (it decodes any byte). One exception to
    the declaration: a page labelled Latin-1 whose non-ASCII bytes form valid UTF-8 was mislabelled by its server.
    """
    if isinstance(body, str):
        return body
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    declared = declared_encodings(body, content_type)
    if declared:
        if declared[0] == "cp1252" and not body.isascii() and _is_utf8(body):
            return body.decode("utf-8")
        return body.decode(declared[0], errors="replace")
    if _is_utf8(body):
        return body.decode("utf-8")
    return body.decode(_detect(body) or "cp1252", errors="replace")


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000]).best()
    if best is None:
        return None
    name = normalise_encoding(best.encoding)
    if name is None:
        return None
    if codecs.lookup(name).name.replace("-", "_") in _WESTERN_GUESSES:
        try:
            body.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return name
    return name


# ------------------------------------------------------------------------------------------------- extraction


@dataclass
class Extracted:
    """trafilatura's main text and the page's metadata. `text` has one paragraph per line."""

    title: str = ""
    text: str = ""
    published: datetime | None = None  # timezone-aware UTC
    authors: list[str] = field(default_factory=list)
    language_claimed: str | None = None  # what the page says (<html lang>, og:locale), e.g. "en"
    sitename: str | None = None
    canonical_url: str | None = None
    description: str | None = None
    date_source: str | None = None  # which markup gave `published`, e.g. "meta:article:published_time"
    # not part of the result: how the fast pass left the tree it was given (see full_text_again); None when it
    # cannot be resumed
    resume: dict | None = field(default=None, repr=False, compare=False)


# trafilatura's parser settings (utils.HTML_PARSER), with lxml.html's element classes chosen in C: lxml.html's own
# class lookup is a Python method called for every element object lxml hands out, some 2,000 times per real page.
# Only form controls differ (plain HtmlElement instead of FormElement and the like, whose form methods nothing here
# calls); the text is the same on every benchmark page (bench/extraction_speed.py).
_PARSER = lxml.html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


def parse_html(html: str) -> etree._Element | None:
    """An lxml tree for a page, or None when the text holds no markup at all.

    trafilatura's own loader first (its parser settings, e.g. dropped comments, give it better text), then
    lxml's forgiving document parser for fragments the loader rejects.
    """
    if not html or not html.strip():
        return None
    tree = _load_html(html)
    if tree is not None:
        return tree
    html = re.sub(
        r"^\s*<\?xml[^>]*\?>", "", html, count=1
    )  # lxml refuses str input that declares an encoding
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _load_html(html: str) -> etree._Element | None:
    """trafilatura.utils.load_html (2.3.1) for a decoded page, with `_PARSER`: same repairs, same checks."""
    from trafilatura.utils import is_dubious_html, repair_faulty_html

    beginning = html[:50].lower()
    dubious = is_dubious_html(beginning)
    html = repair_faulty_html(html, beginning)
    tree, as_bytes = None, False
    try:
        tree = lxml.html.fromstring(html, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        tree, as_bytes = _parse_bytes(html), True
    except Exception:  # noqa: BLE001 - as trafilatura: any lxml failure means "try the bytes"
        tree = None
    if (tree is None or len(tree) < 1) and not as_bytes:
        tree = _parse_bytes(html)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree


def _parse_bytes(html: str) -> etree._Element | None:
    try:
        return lxml.html.fromstring(html.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception:  # noqa: BLE001
        return None


def extract_page(html: str | etree._Element, url: str | None = None, **options) -> Extracted:
    """Main text and metadata of an article page. `options` go to trafilatura.bare_extraction.

    Comments are never part of the text (include_comments=False); tables are kept (data in the story).
    fast=True skips trafilatura's fallback round (readability and its baseline extractor run on every page to
    second-guess the main result): 22-38% less extraction time per page (bench/end_to_end.py profile), and on
    the 137 English news pages of bench/extraction.py newsmon's F1 is 0.9767 with it against 0.9762 without
    (text differs on 2 pages; on none of the demo corpus).
    """
    tree = parse_html(html) if isinstance(html, str) else html
    if tree is None:
        return Extracted()
    meta = read_metadata(tree)
    if not meta["authors"]:
        meta["authors"] = _byline_authors(tree)
    params = {"include_comments": False, "include_tables": True, "with_metadata": False, "fast": True}
    params.update(options)
    resume = None
    if set(params) <= _OWN_PARAMS and not params["with_metadata"]:
        state: dict = {}
        text = _squash_lines(_main_text(tree, url, params, state))
        title = meta.pop("title", None) or ""
        resume = state if "is_forum" in state else None
    else:
        doc = trafilatura.bare_extraction(tree, url=url, **params)
        text = _text_of(doc)
        title = meta.pop("title", None) or (getattr(doc, "title", None) if doc is not None else None) or ""
    return Extracted(title=_squash(title), text=text, **meta, resume=resume)


_OWN_PARAMS = {"include_comments", "include_tables", "with_metadata", "fast", "favor_precision"}


def _main_text(tree: etree._Element, url: str | None, params: dict, state: dict | None = None) -> str:
    """What trafilatura.bare_extraction (2.3.1) returns as text for these parameters, without its first step: a
    deep copy of the tree it is handed (it prunes the tree in place), which costs about a millisecond per real
    page. The tree is ours and nothing reads it after this. Same options, same cascade, same size checks;
    bench/extraction_speed.py checks that the text is the same on every benchmark page. `state`, when given,
    learns how the fast sequence left the tree (`full_text_again`)."""
    from trafilatura.core import trafilatura_sequence

    options = _extractor(params, url)
    mirrored = trafilatura.__version__ == _FAST_SEQUENCE_OF
    fast = mirrored and options.fast and not options.comments
    try:
        if fast:
            postbody, text, _, comments = _fast_sequence(tree, options, url, state)
        else:
            postbody, text, _, comments = trafilatura_sequence(tree, options, url)
    except (TypeError, ValueError):
        return ""
    return _finish(postbody, text, comments, options)


def _extractor(params: dict, url: str | None):
    from trafilatura.settings import Extractor

    return Extractor(
        output_format="python",
        fast=params["fast"],
        precision=params.get("favor_precision", False),
        comments=params["include_comments"],
        tables=params["include_tables"],
        url=url,
    )


def _finish(postbody, text: str, comments: str, options) -> str:
    """bare_extraction's size checks and text output (2.3.1) after the sequence."""
    from trafilatura.xml import xmltotxt

    try:
        if options.max_tree_size and len(postbody) > options.max_tree_size:
            etree.strip_tags(postbody, "hi")
            if len(postbody) > options.max_tree_size:
                return ""
        if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
            return ""
    except (TypeError, ValueError):
        return ""
    return xmltotxt(postbody, options.formatting)


def full_text_again(
    tree: etree._Element, extracted: Extracted, url: str | None, favor_precision: bool = False
) -> str | None:
    """trafilatura's text with its fallback extractors (fast=False), on a tree that `extract_page` (fast mode)
    has already been run on: what `extract_page(<the tree as it was>, url, fast=False).text` gives, without
    parsing the page again. None when the first pass cannot be resumed (another trafilatura release, other
    options): then parse again.

    Why it is the same: trafilatura's sequence (2.3.1) changes the tree it is given only in its first steps,
    the raw-tree prunes (infinite-scroll containers, comment sections), decided by whether the page is a forum
    thread; every later stage works on copies (tree_cleaning, baseline, html2txt, the comparison round, justext)
    or only reads it. The fast pass took those same first steps on the same tree with the same forum verdict,
    and nothing after it changes the tree; so the full sequence resumes from there, with that verdict
    (`_full_sequence_resumed`). Its metadata is not read again either."""
    state = extracted.resume
    params = {"include_comments": False, "include_tables": True, "fast": False, "favor_precision": favor_precision}
    options = _extractor(params, url)
    if (
        state is None
        or trafilatura.__version__ != _FAST_SEQUENCE_OF
        or state["tree"] is not tree
        or state["focus"] != options.focus  # the raw-tree prunes depend on it
    ):
        return None
    try:
        postbody, text, _, comments = _full_sequence_resumed(tree, options, url, state["is_forum"])
    except (TypeError, ValueError):
        return ""
    return _squash_lines(_finish(postbody, text, comments, options))


def _full_sequence_resumed(tree: etree._Element, options, url: str | None, is_forum: bool):
    """trafilatura.core.trafilatura_sequence (2.3.1) with comments off, from after its raw-tree prunes (which
    `tree` has had, with the forum verdict `is_forum` of the tree before them): every stage that follows, in
    the same order."""
    from copy import copy

    from trafilatura import core
    from trafilatura.htmlprocessing import prune_unwanted_nodes

    from newsmon import trafilatura_scans as scans

    cleaned_tree, cleaned_tree_backup = core._prepare_tree(tree, options, url)
    commentsbody, temp_comments = etree.Element("body"), ""
    if options.focus == "precision" and not is_forum:
        cleaned_tree = prune_unwanted_nodes(cleaned_tree, core.REMOVE_COMMENTS_XPATH)
    postbody, temp_text = scans.extract_and_compare(cleaned_tree, cleaned_tree_backup, tree, options)
    postbody, temp_text = _baseline_if_short(tree, options, postbody, temp_text)
    if _escalates(tree, options, temp_text):
        r_options = copy(options)
        r_options.focus = "recall"
        esc_tree = tree  # comments off: already pruned
        r_text = ""
        try:
            r_body, r_text = scans.recall_retry(esc_tree, r_options, url)
        except Exception:  # noqa: BLE001 - as trafilatura: a failed retry keeps the first result
            r_text = ""
        j_text = ""
        if not options.fast:
            try:
                j_body, j_text = core.justext_rescue(copy(esc_tree), options)
            except Exception:  # noqa: BLE001 - as trafilatura: a failed candidate is no candidate
                j_text = ""
        len_text, r_len, j_len = len(temp_text), len(r_text), len(j_text)
        if j_len > r_len and j_len > core.ESCALATION_JUSTEXT_RATIO * len_text:
            postbody, temp_text = j_body, j_text
        elif r_len >= options.min_extracted_size and r_len > core.ESCALATION_ACCEPT_RATIO * len_text:
            postbody, temp_text = r_body, r_text
    return postbody, temp_text, commentsbody, temp_comments


_FAST_SEQUENCE_OF = (
    "2.3.1"  # the trafilatura release _fast_sequence mirrors; with any other, trafilatura's own runs
)


def _fast_sequence(tree: etree._Element, options, url: str | None, state: dict | None = None):
    """trafilatura.core.trafilatura_sequence (2.3.1) for the options newsmon uses (fast, comments off), the same
    stages in the same order, less two costs that cannot change its result:

    - no backup copy of the cleaned tree: only the comparison round (not in fast mode) and comment capture read it;
    - the recall escalation needs the page's whole text (html2txt: a copy of the page, cleaned, spaced) only when
      the extraction is short against it; an upper bound of that length from the uncopied tree settles most
      pages without it (`_page_text_bound`).

    Its costliest XPath expressions (the raw-tree prunes, and those of main_extractor.extract_content) are Python
    scans (newsmon.trafilatura_scans), used by both mirrored sequences.
    """
    from copy import copy

    from trafilatura import core
    from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning

    from newsmon import trafilatura_scans as scans

    is_forum = core._forum_thread_page(tree)
    tree = scans.prune_raw_tree(tree, comments_too=options.focus == "precision" or not is_forum)
    if state is not None:  # from here on the tree is only read or copied: a full pass can resume from it
        state.update(tree=tree, is_forum=is_forum, focus=options.focus)
    cleaned_tree = convert_tags(tree_cleaning(copy(tree), options), options, url)
    if options.focus == "precision" and not is_forum:
        cleaned_tree = prune_unwanted_nodes(cleaned_tree, core.REMOVE_COMMENTS_XPATH)
    postbody, temp_text = scans.extract_content(cleaned_tree, options)
    postbody, temp_text = _baseline_if_short(tree, options, postbody, temp_text)
    if _escalates(tree, options, temp_text):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = ""
        try:
            r_body, r_text = scans.recall_retry(tree, r_options, url)
        except Exception:  # noqa: BLE001 - as trafilatura: a failed retry keeps the first result
            r_text = ""
        if (
            r_text
            and len(r_text) >= options.min_extracted_size
            and len(r_text) > (core.ESCALATION_ACCEPT_RATIO * len(temp_text))
        ):
            postbody, temp_text = r_body, r_text
    return postbody, temp_text, etree.Element("body"), ""


def _baseline_if_short(tree: etree._Element, options, postbody, temp_text: str):
    """trafilatura 2.3.1's baseline step, shared by both mirrored sequences: a too-short text gives way to the
    baseline extraction when that is longer (never in precision mode)."""
    from trafilatura import core

    if len(temp_text) < options.min_extracted_size and options.focus != "precision":
        b_body, b_text, b_len = core.baseline(tree)
        if b_len > len(temp_text):
            return b_body, b_text
    return postbody, temp_text


def _escalates(tree: etree._Element, options, temp_text: str) -> bool:
    """trafilatura 2.3.1's test for its recall escalation: a balanced extraction that is short against the
    page's whole text. The cheap bound (`_page_text_bound`) settles most pages before html2txt copies the tree."""
    from trafilatura import core

    return (
        options.focus == "balanced"
        and 0 < len(temp_text) < core.ESCALATION_MAX_LENGTH
        and len(temp_text) < core.ESCALATION_PAGE_SHARE * _page_text_bound(tree)
        and len(temp_text) < core.ESCALATION_PAGE_SHARE * len(core.html2txt(tree))
    )


# Elements trafilatura.settings.BASIC_CLEAN_XPATH deletes whatever their attributes say.
_ALWAYS_CLEANED = ("script", "style", "svg", "template", "aside", "footer", "fencedframe")


def _page_text_bound(tree: etree._Element) -> int:
    """At least len(trafilatura.baseline.html2txt(tree)), without copying the tree.

    html2txt deletes elements (their tails stay), among them every <script>, <style> and the other
    `_ALWAYS_CLEANED`; drops control characters; adds a space around every block element; and joins the words
    with single spaces. So it keeps at most the non-space characters of the body outside those elements; deleting
    one element's text splits no word and leaves at most two word remnants at its edges, and each added space
    splits at most one word.
    """
    from trafilatura.baseline import _BLOCK_ELEMS

    body = tree.find(".//body")
    body = tree if body is None else body
    words = body.text_content().split()
    chars, count = sum(map(len, words)), len(words)
    for el in body.iter(*_ALWAYS_CLEANED):
        if any(a.tag in _ALWAYS_CLEANED for a in el.iterancestors()):
            continue  # inside one already counted
        inside = el.text_content().split()
        chars -= sum(map(len, inside))
        count += 2 - len(inside)
    blocks = sum(1 for _ in body.iter(*_BLOCK_ELEMS))
    return chars + count + 2 * blocks


def _text_of(doc) -> str:
    if doc is None:
        return ""
    return _squash_lines(doc.text if not isinstance(doc, dict) else doc.get("text"))


def _squash_lines(raw: str | None) -> str:
    lines = (_squash(line) for line in (raw or "").splitlines())
    return "\n".join(line for line in lines if line)


def _squash(text: str) -> str:
    # The ideographic space (U+3000) is typography in Chinese and Japanese datelines; keep it.
    return re.sub(r"[^\S\u3000]+", " ", text or "").strip(" \t\r\n\f\v\xa0")


# ------------------------------------------------------------------------------------------------- metadata

_DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
)
_MODIFIED_META = ("og:updated_time", "article:modified_time", "dateModified")
_AUTHOR_META = ("author", "article:author", "dc.creator", "sailthru.author", "parsely-author", "byl")


def read_metadata(tree: etree._Element) -> dict:
    """Metadata a page declares about itself: meta tags, JSON-LD, <time>, <link rel=canonical>, <html lang>."""
    metas = _meta_map(tree)
    ld = _json_ld(tree)
    published, source = _published(metas, ld, tree)
    return {
        "title": _first(metas, "og:title", "twitter:title") or ld.get("headline") or _title_tag(tree),
        "published": published,
        "date_source": source,
        "authors": _authors(metas, ld),
        "language_claimed": _language_claimed(tree, metas),
        "sitename": _first(metas, "og:site_name", "application-name") or ld.get("publisher_name"),
        "canonical_url": _canonical(tree, metas),
        "description": _first(metas, "og:description", "description", "twitter:description"),
    }


def _meta_map(tree) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (
            el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or ""
        ).strip()
        value = (el.get("content") or el.get("datetime") or "").strip()
        if key and value:
            found.setdefault(key.lower(), value)
    return found


def _first(metas: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        if metas.get(key):
            return _squash(metas[key])
    return None


def _title_tag(tree) -> str | None:
    el = tree.find(".//title")
    return _squash(el.text_content()) if el is not None else None


_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "report",
}


def _json_ld(tree) -> dict:
    """The first article-like JSON-LD object, flattened to the fields we use."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for obj in _ld_objects(data):
            types = obj.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types):
                return _flatten_ld(obj)
    return {}


def _ld_objects(data):
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_objects(data["@graph"])


def _flatten_ld(obj: dict) -> dict:
    authors = obj.get("author") or []
    authors = authors if isinstance(authors, list) else [authors]
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    publisher = obj.get("publisher")
    return {
        "headline": obj.get("headline") if isinstance(obj.get("headline"), str) else None,
        "datePublished": obj.get("datePublished") or obj.get("dateCreated"),
        "authors": [_squash(n) for n in names if isinstance(n, str) and n.strip()],
        "publisher_name": publisher.get("name") if isinstance(publisher, dict) else None,
    }


def parse_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime from an ISO-8601-ish string; a bare date becomes midnight UTC."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    value = re.sub(r"Z$", "+00:00", value)
    value = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value)  # +0300 -> +03:00
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime

            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _published(metas: dict[str, str], ld: dict, tree) -> tuple[datetime | None, str | None]:
    for key in _DATE_META:
        dt = parse_datetime(metas.get(key))
        if dt:
            return dt, f"meta:{key}"
    dt = parse_datetime(ld.get("datePublished"))
    if dt:
        return dt, "json-ld"
    for el in tree.iter("time"):
        dt = parse_datetime(el.get("datetime"))
        if dt:
            return dt, "time"
    for key in _MODIFIED_META:  # a modification time is still closer than a guess from the text
        dt = parse_datetime(metas.get(key.lower()))
        if dt:
            return dt, f"meta:{key}"
    return _htmldate(tree)


def _htmldate(tree) -> tuple[datetime | None, str | None]:
    """trafilatura's date finder (htmldate) when the markup declares nothing; gives a day, read as 00:00 UTC."""
    from htmldate import find_date

    try:
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate raises on odd trees; a missing date is the honest answer then
        return None, None
    dt = parse_datetime(found)
    return (dt, "htmldate") if dt else (None, None)


def _authors(metas: dict[str, str], ld: dict) -> list[str]:
    names = ld.get("authors") or []
    if not names:
        value = next((metas[k] for k in _AUTHOR_META if metas.get(k)), "")
        names = [] if value.lower().startswith("http") else [value]  # a profile URL is not a name
    found: list[str] = []
    for name in names:
        found.extend(split_authors(name))
    return list(dict.fromkeys(found))


_NAME_WORD = re.compile(r"^[A-ZÀ-ÞА-ЯЁ][\w.'’-]*$")


def split_authors(value: str) -> list[str]:
    """ "By Ann Lee and Bo Chen" -> ["Ann Lee", "Bo Chen"]; "The Russian and Syrian ministries" stays whole."""
    value = re.sub(r"^\s*by\s+", "", _squash(value), flags=re.I)
    if not value:
        return []
    parts = [p for p in re.split(r"\s*;\s*", value) if p]
    out: list[str] = []
    for part in parts:
        pieces = [p for p in re.split(r"\s*,\s*|\s+and\s+|\s*&\s*", part) if p]
        looks_like_names = all(
            1 <= len(p.split()) <= 4 and all(_NAME_WORD.match(w) for w in p.split()) for p in pieces
        )
        out.extend(pieces if looks_like_names and len(pieces) > 1 else [part])
    return out


# Every element trafilatura's byline patterns (trafilatura.xpaths.AUTHOR_XPATHS, 2.3.1) can match, and some more:
# the attributes they test, searched for these substrings (their regexes and equalities all contain one).
_BYLINE_HINT = re.compile(
    "uthor|yline|byl|BBL|username|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name|"
    "screenname|writer"
)
_BYLINE_ATTRIBUTES = ("class", "id", "rel", "itemprop", "data-testid", "data-component")


def _has_byline_hint(tree) -> bool:
    """Whether any element could be one trafilatura's byline finder picks (a Python scan: 5-8x cheaper than an
    XPath of substring tests, and it stops at the first hint)."""
    for el in tree.iter():
        if el.tag in ("author", "rel"):
            return True
        for name in _BYLINE_ATTRIBUTES:
            value = el.get(name)
            if value and _BYLINE_HINT.search(value):
                return True
    return False


def _byline_authors(tree) -> list[str]:
    """trafilatura's byline finder, for pages that declare no author in meta tags or JSON-LD.

    The finder copies the whole tree before it looks; a page where none of its byline patterns matches any
    element cannot give it a name (it only searches a pruned copy), so such a page skips the copy.
    """
    from trafilatura.metadata import extract_author

    try:
        if not _has_byline_hint(tree):
            return []
        found = _author_in_place(tree) if trafilatura.__version__ == _FAST_SEQUENCE_OF else _UNSETTLED
        if found is _UNSETTLED:
            found = extract_author(tree)
    except Exception:  # a byline is a nicety; an odd tree must not cost the article
        return []
    return split_authors(found or "")


_UNSETTLED = object()


def _author_in_place(tree: etree._Element):
    """trafilatura.metadata.extract_author (2.3.1) without its deep copy of the page, or `_UNSETTLED`.

    It deletes the discarded blocks (AUTHOR_DISCARD_XPATHS: comments, dates, figures...) from a copy, then takes
    the first element of its byline patterns (AUTHOR_XPATHS) whose text is 3-119 characters. Those patterns
    test an element's own tag and attributes (and the text of a <rel> child), which deleting other elements
    does not change: on the copy they find what they find on the page, less what sits in a discarded block. An
    element's text is the same on both unless a discarded block sits inside it (its tail would join the text
    before it), so when an element examined holds one, or a <rel> element does, the copy decides. So does a
    tree that is not its document's root (the patterns search the whole document)."""
    from trafilatura.metadata import normalize_authors
    from trafilatura.utils import trim

    if tree.getroottree().getroot() is not tree:
        return _UNSETTLED
    discarded, found = _byline_scan(tree)
    holders = {a for el in discarded for a in el.iterancestors()}  # elements with a discarded block inside
    if any(rel in holders for rel in tree.iter("rel")):
        return _UNSETTLED
    for candidates in found:
        for el in candidates:
            if el in discarded or any(a in discarded for a in el.iterancestors()):
                continue  # not on the copy
            if el in holders:
                return _UNSETTLED
            content = trim(" ".join(el.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


# trafilatura 2.3.1's AUTHOR_XPATHS and AUTHOR_DISCARD_XPATHS as one Python scan of the page: their regex tests
# (EXSLT re:test) call back into Python for every element, three to five XPath walks over the page; one walk
# costs a fraction. tests/test_extract.py checks the scan against the XPaths.
_AUTHOR_1_TAGS = {"a", "address", "div", "link", "p", "span", "strong"}
_AUTHOR_1_CLASS = re.compile("author-?name|AuthorName|authorName")
_AUTHOR_2_TAGS = {"a", "div", "h3", "h4", "p", "span"}
_AUTHOR_2_CLASSES = {"byline", "username", "byl", "BBL"}
_AUTHOR_2_ID = re.compile("author|zuozhe|bianji|xiaobian")
_AUTHOR_2_CLASS = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_AUTHOR_3_ID = re.compile("[Aa]uthor")
_AUTHOR_3_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
_DISCARD_TAGS = {"a", "div", "section", "span"}
_DISCARD_CLASSES = {"comments", "title", "date"}
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)|"
    "print|category|meta-date|meta-reviewer"
)


def _byline_scan(tree: etree._Element) -> tuple[set, tuple[list, list, list]]:
    """(the elements AUTHOR_DISCARD_XPATHS match, what each of the three AUTHOR_XPATHS matches in document
    order) on the page as it is, for a tree that is its document's root (the XPaths search the whole document,
    the scan the tree)."""
    discarded: set = set()
    first: list = []
    second: list = []
    third: list = []
    for el in tree.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        get = el.get
        cls, ident, itemprop = get("class"), get("id"), get("itemprop")
        if tag in ("time", "figure"):
            discarded.add(el)
        elif (
            tag in _DISCARD_TAGS
            and el is not tree  # the first discard pattern searches below the root (.//*)
            and (
                ident == "comments"
                or cls in _DISCARD_CLASSES
                or (ident is not None and _DISCARD_ID.search(ident))
                or (cls is not None and _DISCARD_CLASS.search(cls))
                or "Figure" in (get("data-component") or "")
            )
        ):
            discarded.add(el)
        if tag == "author" or (
            tag in _AUTHOR_1_TAGS
            and (
                get("rel") == "author"
                or ident == "author"
                or cls == "author"
                or itemprop == "author name"
                or any(child.tag == "rel" and child.text_content() == "me" for child in el)
                or get("data-testid") in ("AuthorCard", "AuthorURL")
                or (cls is not None and _AUTHOR_1_CLASS.search(cls))
            )
        ):
            first.append(el)
        has_itemprop_author = itemprop is not None and "author" in itemprop
        if tag in _AUTHOR_2_TAGS and (
            cls in _AUTHOR_2_CLASSES
            or has_itemprop_author
            or (ident is not None and _AUTHOR_2_ID.search(ident))
            or (cls is not None and _AUTHOR_2_CLASS.search(cls))
        ):
            second.append(el)
        if (
            "Byline" in (get("data-component") or "")
            or has_itemprop_author
            or (ident is not None and _AUTHOR_3_ID.search(ident))
            or (cls is not None and _AUTHOR_3_CLASS.search(cls))
        ):
            third.append(el)
    return discarded, (first, second, third)


def _language_claimed(tree, metas: dict[str, str]) -> str | None:
    raw = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    raw = raw or metas.get("content-language") or metas.get("og:locale") or metas.get("language")
    if not raw:
        return None
    code = re.split(r"[-_,;\s]", raw.strip().lower())[0]
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _canonical(tree, metas: dict[str, str]) -> str | None:
    for el in tree.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        href = (el.get("href") or "").strip()
        if "canonical" in rel and _is_web_url(href):
            return href
    og = (metas.get("og:url") or "").strip()
    return og if _is_web_url(og) else None


def _is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host (a page's canonical link can be relative or broken)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
