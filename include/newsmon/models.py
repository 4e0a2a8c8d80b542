"""Plain data passed between the stages. No I/O here.

Stages take and return these dataclasses (or Parquet paths), so each stage can be tested alone and the
DAGs, the command line and the tests run the very same functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

# Characters a feed or page may carry that no reader should get: C0 and C1 controls (NUL, ESC of terminal
# escapes, DEL) and the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069) that make text read
# differently from how it is stored. Tab and newline stay; CR, vertical tab, form feed and NEL become newlines.
_NEWLINES = {ord(c): "\n" for c in "\r\x0b\x0c\x85"}
_CONTROLS = {
    **{
        c: None
        for c in [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    },
    **_NEWLINES,
    ord("\t"): "\t",
    ord("\n"): "\n",
}


def strip_controls(text: str) -> str:
    """`text` without control characters or bidi overrides (see _CONTROLS); applied to everything ingested."""
    return text.replace("\r\n", "\n").translate(_CONTROLS) if text else text


@dataclass
class FeedConfig:
    """One entry of feeds.yaml."""

    name: str
    url: str
    source: str  # the outlet, e.g. "Example Wire"; several feeds may share one source
    country: str | None = None  # outlet country, ISO code
    language: str | None = None
    state_affiliated: bool = False
    kind: str | None = None  # wire, western, chinese, russian, regional ...
    enabled: bool = True


@dataclass
class FeedState:
    """What we remember about a feed between runs (persisted as JSON, one file per feed)."""

    name: str
    url: str  # the URL we currently fetch (a confirmed permanent redirect replaces the configured one)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # fallback for servers that ignore validators
    last_status: str | None = None  # ok, not_modified, failed, retired, ...
    last_http_status: int | None = None
    last_error: str | None = None
    bozo_reason: str | None = None
    consecutive_failures: int = 0
    last_fetched_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_item_at: datetime | None = None
    next_due_at: datetime | None = None
    items_seen: int = 0
    retired: bool = False
    redirect_candidate: str | None = None  # permanent redirect target not yet adopted
    redirect_confirmations: int = 0
    seen_ids: list[str] = field(default_factory=list)  # recent item GUIDs/URLs, newest last, bounded
    new_item_times: list[str] = field(default_factory=list)  # ISO times of recent new items (cadence)
    items_deferred: int = 0  # new items over the per-run cap at the last fetch, fetched on a later run
    consecutive_gone: int = 0  # HTTP 410 answers in a row; retired at feeds.GONE_TO_RETIRE


@dataclass
class FeedItem:
    """One entry of a parsed feed."""

    feed: str
    source: str
    guid: str | None
    url: str
    title: str
    summary: str  # the feed's own content (content:encoded or description), as plain text
    published: datetime | None  # timezone-aware UTC
    authors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.title, self.summary = strip_controls(self.title), strip_controls(self.summary)


@dataclass
class FeedResult:
    """The outcome of fetching one feed once."""

    feed: str
    status: str  # ok, not_modified, failed, retired, not_due
    http_status: int | None = None
    error: str | None = None
    bozo_reason: str | None = None
    items: list[FeedItem] = field(default_factory=list)  # only items not seen before
    bytes_read: int = 0
    elapsed: float = 0.0
    items_deferred: int = 0  # new items over the per-run cap, left for the next run
    # The feed's state after this fetch, to be saved by the caller once the items are safely staged.
    state: FeedState | None = None
    state_changed: bool = False


@dataclass
class Mention:
    country: str
    start: int  # offsets into the text they were found in (title or cleaned text)
    end: int
    surface: str
    kind: str  # name, demonym, capital, institution, person, combined
    position: str  # title, lead, body
    sentence: int
    paragraph: int
    alias: str = ""  # the watchlist alias that matched
    evidence: str = ""  # the sentence it stands in


@dataclass
class Article:
    """One fetched, cleaned, tagged article: a row of the `articles` table."""

    article_id: str
    url: str
    canonical_url: str
    guid: str | None
    feed: str
    source: str
    title: str
    text: str
    text_source: str  # page or feed
    published_at: datetime | None
    published_from: str  # page, feed or fetch: where published_at came from
    fetched_at: datetime
    language: str | None = None
    language_claimed: str | None = None
    authors: list[str] = field(default_factory=list)
    sitename: str | None = None
    content_hash: str = ""
    raw_html_hash: str | None = None
    simhash: int = 0
    outlet_country: str | None = None
    state_affiliated: bool = False
    extractor_version: str = ""
    watchlist_version: str = ""
    removed: dict[str, int] = field(default_factory=dict)  # paragraphs removed per cleaning layer
    fetch_error: str | None = None  # why the page was not used, when text_source == feed
    mentions: list[Mention] = field(default_factory=list)
    countries: dict[str, dict] = field(default_factory=dict)  # code -> {mentions, salience, about}
    pairs: dict[str, list[str]] = field(default_factory=dict)  # level -> ["CN-RU", ...]
    relations: list = field(default_factory=list)  # newsmon.relations.Relation, from the kept mentions
    lexicon_version: str = ""  # config/relations.yaml version + hash

    def __post_init__(self) -> None:
        # Page titles and text come from publishers' HTML: stripped here, before tagging takes offsets into them.
        self.title, self.text = strip_controls(self.title), strip_controls(self.text)

    def to_row(self) -> dict:
        return asdict(self)
