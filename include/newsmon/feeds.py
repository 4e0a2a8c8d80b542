"""Feeds: parse bytes into items, fetch politely with remembered state, and report feed health.

- `parse_feed(body, url, headers, feed) -> ParsedFeed`: well-formed UTF-8 RSS 2.0 / Atom 1.0 through lxml (about
  10x faster than feedparser, item for item the same result); everything else through feedparser on the raw bytes
  with the response headers, so the declared charset (or, failing that, chardet's guess) decodes gb2312,
  windows-1251, koi8-r and undeclared Latin-1 correctly. A body with bytes that are invalid in the charset it
  declares (BOM, HTTP charset, XML declaration) is decoded as declared with U+FFFD first (WHATWG), never guessed. A bozo feed keeps its good items and says why it is bozo;
  HTML or unparseable bytes raise `FeedError`.
- `FeedStateStore(dir)`: one JSON file per feed, written atomically.
- `fetch_feed(client, feed, state, now) -> FeedResult`: one polite fetch (conditional GET, body-hash fallback,
  redirect adoption, retirement after 3 consecutive 410s, Retry-After, exponential backoff, at most
  `max_items_per_feed` new items, newest first, the rest deferred to the next run), updating `state` in place.
- `fetch_many(client, feeds, store, now, workers)`: many feeds in a thread pool; each result carries the new state,
  which `commit_states(store, feeds, results)` saves once the caller has put the items somewhere safe.
- `cli_feeds(args)`: the `newsmon feeds` health table.
"""

from __future__ import annotations

import codecs
import hashlib
import html as htmllib
import io
import json
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser

try:  # the fast path leans on lxml and two feedparser helpers; without them everything goes through feedparser
    from feedparser.datetimes import _parse_date as _fp_parse_date
    from feedparser.mixin import _FeedParserMixin
    from lxml import etree
except ImportError:  # pragma: no cover
    etree = _fp_parse_date = _FeedParserMixin = None

from newsmon.config import load_feeds
from newsmon.config import paths as get_paths
from newsmon.http import HttpClient, HttpError
from newsmon.models import FeedConfig, FeedItem, FeedResult, FeedState

log = logging.getLogger(__name__)

SEEN_IDS_LIMIT = 2000  # remembered GUIDs/URLs per feed; feeds keep far fewer items than this
NEW_ITEM_TIMES_LIMIT = 200  # recent new-item times kept for cadence
REDIRECT_CONFIRMATIONS = 3  # consecutive permanent redirects to one place before the feed URL changes
BACKOFF_BASE = timedelta(minutes=15)  # first retry delay after a failure; doubles per consecutive failure
BACKOFF_MAX = timedelta(hours=24)
RETRY_AFTER_MAX = timedelta(hours=24)  # a server cannot park a feed for longer than this
# A 410 is believed only when it persists, as feed readers do: one misconfigured answer must not end a feed.
GONE_TO_RETIRE = 3  # consecutive 410 answers, a day apart, before the feed is retired
GONE_RETRY = timedelta(days=1)
RETIRED_RECHECK = timedelta(days=7)  # a retired feed is asked again this rarely; any success revives it
ERROR_MAX_CHARS = 500
STATE_VERSION = 1

PERMANENT = (301, 308)


class FeedError(ValueError):
    """The body is not a usable feed (HTML, or nothing feedparser can read); the message says which."""


@dataclass
class ParsedFeed:
    items: list[FeedItem]
    title: str | None
    bozo_reason: str | None  # why feedparser found the feed ill-formed, when it did
    encoding: str | None
    skipped: int = 0  # entries without a usable http(s) link


# ---------------------------------------------------------------------------------------------------- parsing


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "table", "tr", "section", "article", "header", "footer", "aside", "figure", "figcaption", "hr",
    "address", "main", "nav",
}  # fmt: skip
_SKIP_TAGS = "script|style|noscript|template|head|title"
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
# Regular expressions rather than html.parser: summaries are small fragments, and this is ~8x faster, which
# matters at 50 items x 2 fields x hundreds of feeds per run.
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_SKIPPED = re.compile(rf"<({_SKIP_TAGS})\b[^>]*>.*?(?:</\1\s*>|$)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"""</?([a-zA-Z][a-zA-Z0-9:-]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")
_DECLARATION = re.compile(r"<[!?][^>]*>")  # doctype, CDATA, processing instructions


def _tag_to_break(match: re.Match) -> str:
    return "\n" if match.group(1).lower() in _BLOCK_TAGS else ""


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: one paragraph per line, whitespace collapsed, entities decoded."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return _plain_lines(html)
    text = _SKIPPED.sub("", _COMMENT.sub("", html))
    text = _DECLARATION.sub("", _TAG.sub(_tag_to_break, text))
    return _plain_lines(htmllib.unescape(text))  # after the tags: "&lt;b&gt;" is text, not a tag


def _plain_lines(text: str) -> str:
    text = _SPACES.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    return "\n".join(filter(None, (line.strip() for line in text.split("\n"))))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _looks_like_html(body: bytes, content_type: str) -> bool:
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        return True
    return "html" in content_type.lower() and b"<rss" not in head and b"<feed" not in head


def _aware_utc(struct) -> datetime | None:
    """feedparser's parsed dates are UTC struct_times; impossible dates become None rather than an error."""
    if not struct:
        return None
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _entry_text(entry, key: str) -> str:
    """An entry field as plain text, honouring its declared type (HTML or text)."""
    value = entry.get(key) or ""
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") == "text/plain":
        return _plain_lines(value)
    return html_to_text(value)


def _entry_summary(entry) -> str:
    """content:encoded / Atom content when present (usually the fuller text), else description/summary."""
    candidates = []
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        candidates.append(_plain_lines(value) if content.get("type") == "text/plain" else html_to_text(value))
    candidates.append(_entry_text(entry, "summary"))
    return max(candidates, key=len)


def _entry_url(entry, base: str) -> str | None:
    link = entry.get("link")
    if not link:
        for candidate in entry.get("links") or []:
            if candidate.get("href") and candidate.get("rel", "alternate") == "alternate":
                link = candidate["href"]
                break
    guid = entry.get("id") or ""
    if link and link == guid and entry.get("guidislink") and not guid.startswith(("http://", "https://")):
        link = None  # feedparser copied a non-URL guid (isPermaLink by default) into the link
    if not link and guid.startswith(("http://", "https://")):  # RSS guid with isPermaLink
        link = guid
    if not link:
        return None
    url = urljoin(base, link.strip())
    return url if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname else None


def _entry_authors(entry) -> list[str]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        name = _one_line(html_to_text(author.get("name") or ""))
        if name and name not in names:
            names.append(name)
    if not names and entry.get("author"):
        names.append(_one_line(html_to_text(entry["author"])))
    return names


def parse_feed(body: bytes, url: str, headers: dict[str, str] | None, feed: FeedConfig) -> ParsedFeed:
    """Parse feed bytes. Raises FeedError for HTML or for bytes that yield no feed at all.

    Well-formed UTF-8 RSS 2.0 and Atom 1.0 (most feeds) take a fast lxml path that gives the same items as
    feedparser at a fraction of the cost; everything else (legacy charsets, ill-formed XML, RSS 1.0, odd content
    types) goes through feedparser, which copes with anything.
    """
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    body, headers, repaired = _as_declared(body, headers)
    fast = _parse_fast(body, url, headers, feed)
    parsed = fast if fast is not None else _parse_with_feedparser(body, url, headers, feed)
    if repaired is not None:
        codec, note = repaired
        parsed = replace(parsed, encoding=codec, bozo_reason=parsed.bozo_reason or note)
    return parsed


# ---------------------------------------------------------------------------------------------------- charset

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _declared_codec(body: bytes, content_type: str) -> str | None:
    """The charset a feed declares, as the WHATWG Encoding Standard and RFC 7303 rank the declarations: a
    byte-order mark, else the HTTP charset parameter, else the XML declaration (unknown labels do not count).
    None when the feed declares nothing: then the parsers' own detection decides."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    labels = []
    charset = _CHARSET.search(content_type.partition(";")[2]) if content_type else None
    if charset is not None:
        labels.append(charset.group(1))
    declaration = _XML_ENCODING.match(body[:256])
    if declaration is not None:
        labels.append(declaration.group(1).decode("ascii"))
    for label in labels:
        codec = _codec_for(label)
        if codec is not None:
            return codec
    return None


def _codec_for(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name == "utf-8":
        return name
    # The WHATWG supersets (gb2312 read as GBK, iso-8859-1 as windows-1252); imported only for legacy labels.
    from newsmon.extract import normalise_encoding

    return normalise_encoding(label)


def _as_declared(
    body: bytes, headers: dict[str, str]
) -> tuple[bytes, dict[str, str], tuple[str, str | None] | None]:
    """Bytes that both parsers read the way the feed declares them; (codec, note) when they had to be re-encoded,
    the note saying how many bad bytes were replaced (None when none were).

    Given bytes that are not valid in their declared charset, feedparser tries other charsets until one decodes
    without error, so one bad byte in a UTF-8 Russian feed made the whole feed KOI8-U mojibake. Browsers (the
    WHATWG Encoding Standard) keep the declared charset and show U+FFFD for the bad bytes; so do we: such a body
    is decoded here with replacement and handed on as clean UTF-8, declarations rewritten to match. So is a body
    with a byte-order mark (it outranks any declaration, but feedparser believes the declaration). Feeds that
    decode cleanly, and feeds that declare nothing, go to the parsers unchanged.
    """
    codec = _declared_codec(body, headers.get("content-type", ""))
    if codec is None:
        return body, headers, None
    try:
        body.decode(codec)
        clean = True
    except UnicodeDecodeError:
        clean = False
    if clean and not body.startswith(tuple(bom for bom, _ in _BOMS)):
        return body, headers, None
    text = body.decode(codec, errors="replace")
    bad = text.count("\ufffd") - body.decode(codec, errors="ignore").count("\ufffd")
    text = _XML_ENCODING_TEXT.sub(r"\1utf-8", text.removeprefix("\ufeff"), count=1)
    headers = dict(headers)
    if headers.get("content-type"):
        headers["content-type"] = headers["content-type"].partition(";")[0].strip() + "; charset=utf-8"
    note = (
        None
        if clean
        else f"{bad} invalid {codec} byte sequence{'s' if bad != 1 else ''} replaced with U+FFFD"
    )
    return text.encode("utf-8"), headers, (codec, note)


def _parse_with_feedparser(body: bytes, url: str, headers: dict[str, str], feed: FeedConfig) -> ParsedFeed:
    # feedparser picks the charset from content-type (RFC 3023), then the XML declaration, then chardet. Without
    # a content-type we pass no headers at all: feedparser would otherwise assume a non-XML HTTP response.
    response_headers = {"content-type": headers["content-type"]} if headers.get("content-type") else None
    # A file object, never bare bytes: feedparser would try bytes as a local file name first (b"/etc/passwd").
    # No HTML sanitising or URI rewriting inside content: we keep only plain text (html_to_text drops scripts
    # and styles), and those two passes cost feedparser three quarters of its time.
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers=response_headers, sanitize_html=False, resolve_relative_uris=False
    )
    bozo_reason = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        bozo_reason = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS] if exc else "ill-formed feed"
    items, skipped = [], 0
    for entry in parsed.entries:
        item_url = _entry_url(entry, url)  # relative links (after any xml:base) resolve against the feed URL
        if item_url is None:
            skipped += 1
            continue
        items.append(
            FeedItem(
                feed=feed.name,
                source=feed.source,
                guid=(entry.get("id") or "").strip() or None,
                url=item_url,
                title=_one_line(_entry_text(entry, "title")),
                summary=_entry_summary(entry),
                published=_aware_utc(entry.get("published_parsed") or entry.get("updated_parsed")),
                authors=_entry_authors(entry),
            )
        )
    if not items:
        if _looks_like_html(body, headers.get("content-type", "")):
            raise FeedError("not a feed (looks like HTML)")
        if bozo_reason and not isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
            # Ill-formed and nothing usable came out: say so rather than report a healthy empty feed.
            raise FeedError(f"not a readable feed: {bozo_reason}")
    title = _one_line(html_to_text(parsed.feed.get("title") or "")) or None
    return ParsedFeed(items, title, bozo_reason, parsed.get("encoding"), skipped)


# ---------------------------------------------------------------------------------------------------- fast path

_ATOM = "{http://www.w3.org/2005/Atom}"
_ATOM_LINK = f"{_ATOM}link"
_CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_XML_ENCODING_TEXT = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._-]+""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# feedparser's own rule for pulling an e-mail address out of an author string
_EMAIL = re.compile(
    r"(([a-zA-Z0-9_\-.+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
_lxml_parsers = threading.local()  # lxml parser objects must not be shared between threads


class _Decline(Exception):
    """The fast path meets something only feedparser handles faithfully."""


def _xml_parser():
    parser = getattr(_lxml_parsers, "parser", None)
    if parser is None:
        # No entity expansion, no DTDs, no network: a hostile feed cannot make us read files or blow up memory.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        _lxml_parsers.parser = parser
    return parser


def _fast_path_applies(body: bytes, content_type: str) -> bool:
    """UTF-8 beyond doubt and an XML media type: then feedparser would decode exactly as we do and not complain."""
    if content_type:
        media, _, params = content_type.partition(";")
        media = media.strip().lower()
        if not ("xml" in media or "rss" in media or "atom" in media):
            return False
        charset = _CHARSET.search(params)
        if charset is None and media.startswith("text/"):
            return False  # RFC 3023 makes that US-ASCII: feedparser's business
        if charset is not None and charset.group(1).lower() not in ("utf-8", "utf8"):
            return False
    head = body[:256].removeprefix(b"\xef\xbb\xbf")
    declared = _XML_ENCODING.match(head)
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    if not head.startswith(b"<") or b"<!DOCTYPE" in body[:2048] or b"<!ENTITY" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parse_fast(body: bytes, url: str, headers: dict[str, str], feed: FeedConfig) -> ParsedFeed | None:
    if (
        etree is None
        or _fp_parse_date is None
        or not _fast_path_applies(body, headers.get("content-type", ""))
    ):
        return None
    try:
        root = etree.fromstring(body, _xml_parser())
    except etree.XMLSyntaxError:
        return None  # ill-formed: feedparser keeps the good items and says why
    try:
        if root.tag == "rss":
            channel = root.find("channel")
            if channel is None or len(root.findall(".//item")) != len(channel.findall("item")):
                return None
            title = _fast_text(channel.find("title"), "rss")
            entries = [_rss_item(el, url, feed) for el in channel.findall("item")]
        elif root.tag == f"{_ATOM}feed":
            title = _fast_text(root.find(f"{_ATOM}title"), "atom")
            entries = [_atom_entry(el, url, feed) for el in root.findall(f"{_ATOM}entry")]
        else:
            return None  # RSS 1.0 (RDF), RSS 0.9x oddities ...: feedparser
    except _Decline:
        return None
    items = [e for e in entries if e is not None]
    return ParsedFeed(items, _one_line(title) or None, None, "utf-8", len(entries) - len(items))


def _fast_text(el, dialect: str) -> str:
    """An element's text the way feedparser reads it: RSS guesses HTML, Atom says so with type=."""
    if el is None:
        return ""
    text = el.text or ""
    if len(el):  # child elements (xhtml, or stray markup): leave it to feedparser
        raise _Decline
    if dialect == "atom":
        kind = (el.get("type") or "text").lower()
        if kind in ("xhtml", "application/xhtml+xml"):
            raise _Decline
        is_html = kind in ("html", "text/html")
    else:
        # feedparser's guess needs a closing tag or an entity, so plain titles skip its regular expressions
        is_html = dialect == "html" or (
            ("<" in text or "&" in text) and _FeedParserMixin.looks_like_html(text)
        )
    return html_to_text(text) if is_html else _plain_lines(text)


def _absolute(base: str, link: str | None) -> str | None:
    if not link or not link.strip():
        return None
    link = link.strip()
    if link.startswith(("http://", "https://")) and link.split("://", 1)[1][:1] not in ("", "/", "?", "#"):
        return (
            link  # already absolute with a host: skip the URL parser (50 items per feed, hundreds of feeds)
        )
    absolute = urljoin(base, link)
    parts = urlsplit(absolute)
    return absolute if parts.scheme in ("http", "https") and parts.hostname else None


def _fast_date(*elements) -> datetime | None:
    for el in elements:
        if el is not None and el.text and el.text.strip():
            return _aware_utc(_fp_parse_date(el.text.strip()))
    return None


def _fast_authors(elements, name_of) -> list[str]:
    names: list[str] = []
    raw_first = None
    for el in elements:
        raw = name_of(el)
        raw_first = raw_first or raw
        match = _EMAIL.search(raw)
        if match:
            raw = raw.replace(match.group(0), "").replace("()", "").replace("<>", "").strip()
            raw = raw.removeprefix("(").removesuffix(")").strip()
        name = _one_line(html_to_text(raw))
        if name and name not in names:
            names.append(name)
    if not names and raw_first:
        names.append(_one_line(html_to_text(raw_first)))
    return names


def _rss_item(el, url: str, feed: FeedConfig) -> FeedItem | None:
    # One pass over the children instead of a find() per field: this loop runs 50 times per feed.
    first: dict = {}
    contents, authors, atom_links = [], [], []
    for child in el:
        tag = child.tag
        if tag == _CONTENT_ENCODED:
            contents.append(child)
        elif tag == "author" or tag == _DC_CREATOR:
            authors.append(child)
        elif tag == _ATOM_LINK:
            atom_links.append(child)
        elif tag not in first:
            first[tag] = child
    guid_el = first.get("guid")
    guid = (guid_el.text or "").strip() if guid_el is not None else ""
    base = urljoin(url, el.base) if el.base else url
    link_el = first.get("link")
    link = _absolute(base, link_el.text if link_el is not None else None)
    if link is None:
        for atom_link in atom_links:
            if atom_link.get("rel", "alternate") == "alternate":
                link = _absolute(base, atom_link.get("href"))
                break
    if link is None and guid.startswith(("http://", "https://")):
        link = guid  # a permalink guid
    if link is None:
        return None
    summaries = [_fast_text(first.get("description"), "html")] + [_fast_text(c, "html") for c in contents]
    return FeedItem(
        feed=feed.name,
        source=feed.source,
        guid=guid or None,
        url=link,
        title=_one_line(_fast_text(first.get("title"), "rss")),
        summary=max(summaries, key=len),
        published=_fast_date(first.get("pubDate"), first.get(_DC_DATE)),
        authors=_fast_authors(authors, lambda a: (a.text or "").strip()),
    )


def _atom_entry(el, url: str, feed: FeedConfig) -> FeedItem | None:
    base = urljoin(url, el.base) if el.base else url
    links = [a for a in el.findall(f"{_ATOM}link") if a.get("rel", "alternate") == "alternate"]
    links.sort(key=lambda a: (a.get("type") or "text/html") != "text/html")  # the HTML page first
    link = _absolute(base, links[0].get("href")) if links else None
    guid = (el.findtext(f"{_ATOM}id") or "").strip()
    if link is None and guid.startswith(("http://", "https://")):
        link = guid
    if link is None:
        return None
    summaries = [_fast_text(el.find(f"{_ATOM}summary"), "atom")]
    summaries += [_fast_text(c, "atom") for c in el.findall(f"{_ATOM}content") if c.get("src") is None]
    return FeedItem(
        feed=feed.name,
        source=feed.source,
        guid=guid or None,
        url=link,
        title=_one_line(_fast_text(el.find(f"{_ATOM}title"), "atom")),
        summary=max(summaries, key=len),
        published=_fast_date(el.find(f"{_ATOM}published"), el.find(f"{_ATOM}updated")),
        authors=_fast_authors(
            el.findall(f"{_ATOM}author"), lambda a: (a.findtext(f"{_ATOM}name") or "").strip()
        ),
    )


# ---------------------------------------------------------------------------------------------------- state


def _state_key(name: str) -> str:
    """A file name for a feed: readable slug plus a short hash, so 'BBC World' and 'BBC-World' never collide."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "feed"
    return f"{slug}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:8]}"


_DATETIME_FIELDS = {f.name for f in fields(FeedState) if "datetime" in str(f.type)}


class FeedStateStore:
    """FeedState per feed as JSON in `state_dir` (data/state/feeds), written via temp file and rename."""

    def __init__(self, state_dir: str | os.PathLike):
        self.dir = Path(state_dir)

    def path_for(self, name: str) -> Path:
        return self.dir / f"{_state_key(name)}.json"

    def load(self, feed: FeedConfig) -> FeedState:
        """The saved state, or a fresh one; a changed URL in feeds.yaml starts the feed afresh (keeping seen ids)."""
        path = self.path_for(feed.name)
        raw = self._read(path)
        if raw is None:
            return FeedState(name=feed.name, url=feed.url)
        state = _state_from_dict(raw, feed)
        if raw.get("configured_url") not in (None, feed.url):
            # The operator edited the URL: forget validators, redirects, failures and retirement of the old one.
            state = FeedState(
                name=feed.name, url=feed.url, seen_ids=state.seen_ids, items_seen=state.items_seen
            )
        return state

    def save(
        self, state: FeedState, feed: FeedConfig | None = None, configured_url: str | None = None
    ) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        data = _state_to_dict(state)
        data["configured_url"] = feed.url if feed else configured_url
        data["version"] = STATE_VERSION
        path = self.path_for(state.name)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            # Rename makes the write atomic for readers. No fsync: it cost ~10 ms per feed per run here, and after
            # a power cut a damaged state file is moved aside and the feed starts afresh (the warehouse drops
            # the re-fetched duplicates), which is cheaper than syncing hundreds of files every run.
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def all(self) -> list[FeedState]:
        """Every saved state (for reports), skipping unreadable files."""
        states = []
        for path in sorted(self.dir.glob("*.json")):
            raw = self._read(path)
            if raw is not None and raw.get("name"):
                states.append(_state_from_dict(raw, None))
        return states

    def _read(self, path: Path) -> dict | None:
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            return raw
        except (OSError, ValueError) as exc:
            # Keep the damaged file for inspection and start the feed afresh rather than stop the run.
            aside = path.with_name(f"{path.name}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%S}")
            log.warning("feed state %s is unreadable (%s); moved to %s", path, exc, aside.name)
            try:
                os.replace(path, aside)
            except OSError:
                pass
            return None


def _state_to_dict(state: FeedState) -> dict:
    data = asdict(state)
    for name in _DATETIME_FIELDS:
        if data[name] is not None:
            data[name] = data[name].isoformat()
    return data


def _state_from_dict(raw: dict, feed: FeedConfig | None) -> FeedState:
    """A FeedState from saved JSON, every field checked: a bad value falls back to its default, with a warning.

    One hand-edited or damaged value must cost that feed one field, never the shard: a string in an integer
    column would otherwise break the Parquet batch of every feed staged with it.
    """
    fresh = FeedState(name=feed.name if feed else "?", url=feed.url if feed else "")
    values, repaired = {}, []
    for f in fields(FeedState):
        if f.name not in raw:
            continue
        value = _checked(str(f.type), raw[f.name])
        if value is _BAD:
            repaired.append(f.name)
        else:
            values[f.name] = value
    if not values.get("url", "").startswith(("http://", "https://")):
        values.pop("url", None)
    due = values.get("next_due_at")
    if due is not None and due > datetime.now(UTC) + max(RETIRED_RECHECK, BACKOFF_MAX, RETRY_AFTER_MAX):
        repaired.append("next_due_at")  # further off than any rule of ours would park a feed
        values.pop("next_due_at")
    if repaired:
        log.warning(
            "feed state of %s: bad value in %s; reset to the default", fresh.name, ", ".join(repaired)
        )
    return replace(fresh, **values)


_BAD = object()


def _checked(kind: str, value):
    """`value` if it fits the FeedState field type `kind` (its annotation), else _BAD."""
    optional = kind.endswith(" | None")
    kind = kind.removesuffix(" | None")
    if value is None:
        return None if optional else _BAD
    if "datetime" in kind:
        return _parse_time(value) if isinstance(value, str) and _parse_time(value) else _BAD
    if kind.startswith("list"):
        return list(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else _BAD
    if kind == "bool":
        return value if isinstance(value, bool) else _BAD
    if kind == "int":
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else _BAD
    return value if isinstance(value, str) else _BAD


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------- fetching


def fetch_feed(client: HttpClient, feed: FeedConfig, state: FeedState, now: datetime) -> FeedResult:
    """Fetch one feed if it is due, update `state` in place, and return what happened with the new items."""
    if state.retired and state.next_due_at is not None and now < state.next_due_at:
        return FeedResult(feed.name, "retired", state.last_http_status, state.last_error)
    if not feed.enabled:
        return FeedResult(feed.name, "not_due", error="disabled in the feed list")
    if state.next_due_at is not None and now < state.next_due_at:
        return FeedResult(feed.name, "not_due", state.last_http_status, state.last_error)

    state.last_fetched_at = now
    try:
        resp = client.get(state.url, kind="feed", etag=state.etag, last_modified=state.last_modified)
    except HttpError as exc:
        return _failed(state, feed, now, f"{type(exc).__name__}: {exc}", None)
    result = FeedResult(feed.name, "failed", resp.status, bytes_read=resp.bytes_read, elapsed=resp.elapsed)
    state.last_http_status = resp.status

    if resp.status == 410:
        return _gone(state, feed, now, resp, result)
    state.consecutive_gone = 0
    if resp.status in (429, 503):
        return _failed(state, feed, now, _status_error(resp.status, resp.retry_after), resp, resp.retry_after)
    if resp.status == 304:
        _note_redirects(state, resp.redirects)
        state.etag = resp.headers.get("etag") or state.etag  # a 304 may carry refreshed validators
        state.last_modified = resp.headers.get("last-modified") or state.last_modified
        return _succeeded(state, result, now, "not_modified")
    if not resp.ok:
        return _failed(state, feed, now, _status_error(resp.status, None), resp)

    body_hash = hashlib.sha256(resp.body).hexdigest()
    if body_hash == state.body_hash:  # the server ignored our validators but nothing changed
        _note_redirects(state, resp.redirects)
        _remember_validators(state, resp.headers)
        return _succeeded(state, result, now, "not_modified")
    try:
        parsed = parse_feed(resp.body, resp.final_url, resp.headers, feed)
    except FeedError as exc:
        return _failed(state, feed, now, str(exc), resp)
    _note_redirects(state, resp.redirects)
    state.bozo_reason = result.bozo_reason = parsed.bozo_reason
    unseen = _unseen(state, parsed.items)
    cap = max(1, client.settings.max_items_per_feed)
    if len(unseen) > cap:
        # Newest first, and the rest waits for the next run: not marked seen, and neither validators nor body
        # hash remembered, so the next fetch gets this body again instead of a 304 that would hide them.
        unseen = _newest_first(unseen)
        result.items, state.items_deferred = unseen[:cap], len(unseen) - cap
        state.etag = state.last_modified = state.body_hash = None
        log.info(
            "feed %s: %d new items over the cap of %d, left for the next run",
            feed.name,
            len(unseen) - cap,
            cap,
        )
    else:
        result.items, state.items_deferred = unseen, 0
        _remember_validators(state, resp.headers)
        state.body_hash = body_hash
    result.items_deferred = state.items_deferred
    _mark_seen(state, result.items, now)
    return _succeeded(state, result, now, "ok")


def _gone(state: FeedState, feed: FeedConfig, now: datetime, resp, result: FeedResult) -> FeedResult:
    """HTTP 410: a failure the first times, retirement once it persists (or again, for a retired feed)."""
    state.consecutive_gone += 1
    if not state.retired and state.consecutive_gone < GONE_TO_RETIRE:
        error = f"HTTP 410 Gone ({state.consecutive_gone} of {GONE_TO_RETIRE} in a row before the feed is retired)"
        return _failed(state, feed, now, error, resp, GONE_RETRY.total_seconds())
    state.retired, state.last_status = True, "retired"
    state.last_error = (
        f"HTTP 410 Gone {state.consecutive_gone} times in a row: the publisher removed this feed; asked again "
        "weekly, or change its URL in the feed list to revive it"
    )
    state.next_due_at = now + RETIRED_RECHECK
    result.status, result.error = "retired", state.last_error
    return result


def _item_keys(item: FeedItem) -> list[str]:
    return [k for k in (item.guid, item.url) if k]


def _unseen(state: FeedState, items: list[FeedItem]) -> list[FeedItem]:
    """Items whose GUID and URL were never seen (each once, in feed order)."""
    seen = set(state.seen_ids)
    new: list[FeedItem] = []
    for item in items:
        keys = _item_keys(item)
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        new.append(item)
    return new


def _newest_first(items: list[FeedItem]) -> list[FeedItem]:
    """By publication date, newest first; undated items after the dated ones, in feed order."""
    return sorted(
        items, key=lambda i: (i.published is None, -(i.published.timestamp() if i.published else 0))
    )


def _mark_seen(state: FeedState, items: list[FeedItem], now: datetime) -> None:
    """Remember these items' GUIDs and URLs (bounded) and record cadence."""
    for item in items:
        state.seen_ids.extend(_item_keys(item))
    del state.seen_ids[:-SEEN_IDS_LIMIT]
    if items:
        state.last_new_item_at = now
        state.items_seen += len(items)
        state.new_item_times.extend([now.isoformat()] * len(items))
        del state.new_item_times[:-NEW_ITEM_TIMES_LIMIT]


def _remember_validators(state: FeedState, headers: dict[str, str]) -> None:
    state.etag = headers.get("etag") or None
    state.last_modified = headers.get("last-modified") or None


def _note_redirects(state: FeedState, redirects: list[tuple[int, str]]) -> None:
    """Count consecutive confirmations of a permanent move; adopt the new URL after REDIRECT_CONFIRMATIONS."""
    target = None
    for status, location in redirects:  # the leading run of permanent hops is where the feed now lives
        if status not in PERMANENT:
            break
        target = location
    if target is None:
        state.redirect_candidate, state.redirect_confirmations = None, 0
        return
    if target == state.redirect_candidate:
        state.redirect_confirmations += 1
    else:
        state.redirect_candidate, state.redirect_confirmations = target, 1
    if state.redirect_confirmations >= REDIRECT_CONFIRMATIONS:
        log.info("feed %s moved permanently: %s -> %s", state.name, state.url, target)
        state.url = target
        state.redirect_candidate, state.redirect_confirmations = None, 0


def _succeeded(state: FeedState, result: FeedResult, now: datetime, status: str) -> FeedResult:
    if state.retired:
        log.info("feed %s answers again: no longer retired", state.name)
    state.retired, state.consecutive_gone = False, 0
    state.last_status = result.status = status
    state.last_success_at = now
    state.consecutive_failures = 0
    state.last_error = None
    state.next_due_at = None
    return result


def _failed(
    state: FeedState,
    feed: FeedConfig,
    now: datetime,
    error: str,
    resp,
    retry_after: float | None = None,
) -> FeedResult:
    state.consecutive_failures += 1
    state.last_status = "failed"
    state.last_error = error[:ERROR_MAX_CHARS]
    if state.retired:  # a retired feed that fails its weekly check stays retired
        state.last_status, delay = "retired", RETIRED_RECHECK
    elif retry_after is not None:
        delay = min(timedelta(seconds=retry_after), RETRY_AFTER_MAX)
    else:
        delay = min(BACKOFF_BASE * 2 ** (state.consecutive_failures - 1), BACKOFF_MAX)
    state.next_due_at = now + delay
    if resp is None:
        state.last_http_status = None
    return FeedResult(
        feed.name,
        "failed",
        resp.status if resp is not None else None,
        state.last_error,
        bytes_read=resp.bytes_read if resp is not None else 0,
        elapsed=resp.elapsed if resp is not None else 0.0,
    )


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    429: "Too Many Requests",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _status_error(status: int, retry_after: float | None) -> str:
    text = f"HTTP {status} {_REASONS.get(status, '')}".rstrip()
    if status in (429, 503):
        if retry_after is None:
            return f"{text}; no Retry-After, backing off"
        capped = min(retry_after, RETRY_AFTER_MAX.total_seconds())
        return f"{text}; server asked us to wait {retry_after:g} s (Retry-After), next try in {capped:g} s"
    return text


def fetch_many(
    client: HttpClient,
    feeds: Iterable[FeedConfig],
    store: FeedStateStore,
    now: datetime,
    workers: int = 16,
) -> list[FeedResult]:
    """Fetch many feeds in a thread pool; results in the order of `feeds`. One feed never breaks another.

    Nothing is saved: each result carries the feed's new state, and the caller commits it with `commit_states`
    once the items are safe (the pipeline: after their batch is durably staged). Until then a crash leaves the
    old state, so the next run fetches the same items again.
    """
    feeds = list(feeds)

    def one(feed: FeedConfig) -> FeedResult:
        try:
            state = store.load(feed)
            before = _state_to_dict(state)
            result = fetch_feed(client, feed, state, now)
            result.state, result.state_changed = state, _state_to_dict(state) != before
            return result
        except Exception as exc:  # a bug must show up in feed health, not kill the shard
            log.exception("feed %s: unexpected error", feed.name)
            return FeedResult(feed.name, "failed", error=f"internal error: {type(exc).__name__}: {exc}")

    # Hand the pool one feed per host in turn, so threads spread over hosts instead of queueing on one host's
    # spacing while others sit idle.
    order = _interleave_by_host(range(len(feeds)), lambda i: feeds[i].url)
    results: list[FeedResult | None] = [None] * len(feeds)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="feeds") as pool:
        for index, result in zip(order, pool.map(lambda i: one(feeds[i]), order), strict=True):
            results[index] = result
    return [r for r in results if r is not None]


def commit_states(store: FeedStateStore, feeds: Iterable[FeedConfig], results: Iterable[FeedResult]) -> int:
    """Save the changed states of these results; returns how many could not be saved (logged).

    A state that cannot be saved (full disk) only means that feed's items are fetched once more next run.
    """
    by_name = {f.name: f for f in feeds}
    failed = 0
    for r in results:
        if r.state is None or not r.state_changed:
            continue
        try:
            store.save(r.state, by_name.get(r.feed))
        except OSError as exc:
            failed += 1
            log.error("feed %s: state not saved (%s); its items will be fetched again", r.feed, exc)
    return failed


def staged_item_keys(results: Iterable[FeedResult]) -> dict[str, list[str]]:
    """Per feed, the GUIDs and URLs of the new items these results hand to a batch (its manifest)."""
    return {r.feed: [k for item in r.items for k in _item_keys(item)] for r in results if r.items}


def release_items(store: FeedStateStore, keys_by_feed: dict[str, list[str]]) -> int:
    """Forget that these items were seen, and the feeds' validators and body hash, so the next run fetches
    them again. For a staged batch that turned out unreadable: its items were marked seen when it was staged.
    Returns the feeds released."""
    released = 0
    for name, keys in keys_by_feed.items():
        raw = store._read(store.path_for(name))
        if raw is None:
            continue  # no state (or a damaged one, set aside): the feed starts afresh anyway
        state = _state_from_dict(raw, None)
        drop = set(keys)
        state.seen_ids = [k for k in state.seen_ids if k not in drop]
        state.etag = state.last_modified = state.body_hash = (
            None  # a 304 or an unchanged body must not hide them
        )
        store.save(state, configured_url=raw.get("configured_url"))
        released += 1
    return released


def _interleave_by_host(indices: Iterable[int], url_of) -> list[int]:
    lanes: dict[str, list[int]] = {}
    for i in indices:
        lanes.setdefault((urlsplit(url_of(i)).hostname or "").lower(), []).append(i)
    # Hosts with the most feeds first in every round: their chains of spaced requests are the longest.
    queues = sorted(lanes.values(), key=len, reverse=True)
    longest = max((len(q) for q in queues), default=0)
    return [q[k] for k in range(longest) for q in queues if k < len(q)]


# ---------------------------------------------------------------------------------------------------- report


def health_rows(feeds: list[FeedConfig], store: FeedStateStore) -> list[dict]:
    """One row per feed in the list (plus orphaned state files), for people and for JSON."""
    rows = []
    listed = {f.name for f in feeds}
    states = [(f, store.load(f)) for f in feeds] + [(None, s) for s in store.all() if s.name not in listed]
    for feed, state in states:
        if state.retired:
            status = "retired"
        elif state.last_status is None:
            status = "never fetched"
        else:
            status = state.last_status
        rows.append(
            {
                "feed": state.name,
                "url": state.url,
                "in_feed_list": feed is not None,
                "status": status,
                "http_status": state.last_http_status,
                "last_fetched": _iso(state.last_fetched_at),
                "last_success": _iso(state.last_success_at),
                "consecutive_failures": state.consecutive_failures,
                "next_due": _iso(state.next_due_at),
                "last_new_item": _iso(state.last_new_item_at),
                "items_seen": state.items_seen,
                "items_deferred": state.items_deferred,
                "error": state.last_error,
                "bozo_reason": state.bozo_reason,
                "redirect_candidate": state.redirect_candidate,
            }
        )
    return rows


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat(timespec="seconds") if when else None


def _short_time(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


def format_health_table(rows: list[dict], width: int = 60) -> str:
    """The feeds as a rich table (newsmon.terminal); errors cut at `width` characters."""
    from newsmon.terminal import cell, table

    headers = ["feed", "status", "last success", "fails", "last new item", "items", "error"]
    lines = []
    for r in rows:
        name = r["feed"] if r["in_feed_list"] else f"{r['feed']} (not in list)"
        error = r["error"] or r["bozo_reason"] or ""
        lines.append(
            [
                name,
                r["status"],
                _short_time(r["last_success"]),
                str(r["consecutive_failures"]),
                _short_time(r["last_new_item"]),
                str(r["items_seen"]),
                cell(error, width),
            ]
        )
    return table(headers, lines, right=[False] * len(headers), cell_width=None)


def cli_feeds(args) -> int:
    """`newsmon feeds [--feeds FILE] [--json]`: the health of every feed from its saved state."""
    feeds = load_feeds(getattr(args, "feeds", None))
    store = FeedStateStore(get_paths().state / "feeds")
    rows = health_rows(feeds, store)
    if getattr(args, "json", False):
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    print(format_health_table(rows))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print("\n" + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return 0


__all__ = [
    "FeedError",
    "FeedStateStore",
    "ParsedFeed",
    "cli_feeds",
    "commit_states",
    "fetch_feed",
    "fetch_many",
    "format_health_table",
    "health_rows",
    "html_to_text",
    "parse_feed",
]
