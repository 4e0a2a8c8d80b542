"""The pipeline, stage by stage: the same functions serve the DAGs, `newsmon run --once` and the tests.

plan_shards -> fetch_shard (feeds, pages, extract + clean, tag, stage Parquet) -> load_and_publish (one writer).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from newsmon.config import Paths, Settings, load_feeds
from newsmon.config import paths as get_paths
from newsmon.models import Article, FeedConfig, FeedItem

log = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(minutes=15)  # a page date later than fetch time plus this is not believed
EARLIEST_NEWS_DATE = datetime(
    1995, 1, 1, tzinfo=UTC
)  # no news site dates an article before this: a placeholder


# ---------------------------------------------------------------------------------------------------- planning


def plan_shards(feeds: list[FeedConfig], n: int) -> list[list[str]]:
    """Split enabled feeds into at most n shards, keeping each host in one shard.

    One host in one shard keeps per-host spacing and the per-site boilerplate memory inside one process.
    """
    by_host: dict[str, list[str]] = {}
    for f in feeds:
        if f.enabled:
            by_host.setdefault(urlsplit(f.url).hostname or "", []).append(f.name)
    shards: list[list[str]] = [[] for _ in range(max(1, n))]
    # Biggest hosts first onto the currently smallest shard: a simple, stable balance.
    for host in sorted(by_host, key=lambda h: (-len(by_host[h]), h)):
        min(shards, key=len).extend(by_host[host])
    return [s for s in shards if s] or [[]]


# ---------------------------------------------------------------------------------------------------- fetching


@dataclass
class ShardReport:
    batch: str | None = None
    feeds: dict[str, int] = field(default_factory=dict)  # status -> count
    items: int = 0
    items_deferred: int = 0  # new items over max_items_per_feed, left for the next run
    pages_ok: int = 0
    pages_failed: dict[str, int] = field(default_factory=dict)  # reason -> count
    rejected: dict[str, int] = field(default_factory=dict)
    adjusted: dict[str, int] = field(default_factory=dict)  # items kept but cut or corrected: see ADJUSTMENTS

    def as_dict(self) -> dict:
        return {
            "batch": self.batch,
            "feeds": dict(sorted(self.feeds.items())),
            "items": self.items,
            "items_deferred": self.items_deferred,
            "pages_ok": self.pages_ok,
            "pages_failed": dict(sorted(self.pages_failed.items())),
            "rejected": dict(sorted(self.rejected.items())),
            "adjusted": dict(sorted(self.adjusted.items())),
        }


@lru_cache(maxsize=4)
def _tagger(watchlist_path: str | None = None):
    from newsmon.tagging import Tagger, load_watchlist

    return Tagger(load_watchlist(watchlist_path))


class Progress:
    """A progress bar of articles processed (rich, via newsmon.terminal), on stderr when it is a terminal;
    silent otherwise."""

    def __init__(self, enabled: bool = True):
        self.total = self.done = 0
        self.enabled = enabled and sys.stderr.isatty()
        self._lock = threading.Lock()
        self._bar = None
        if self.enabled:
            from newsmon.terminal import ProgressBar

            self._bar = ProgressBar("articles")

    def add_total(self, n: int) -> None:
        with self._lock:
            self.total += n
        self.draw(self.done, self.total)

    def step(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
        self.draw(self.done, self.total)

    def draw(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(done, total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class SharedProgress:
    """The counters of a Progress, shared with shard worker processes through a multiprocessing manager."""

    def __init__(self, manager):
        self.total, self.done, self.lock = manager.Value("i", 0), manager.Value("i", 0), manager.Lock()

    def add_total(self, n: int) -> None:
        with self.lock:
            self.total.value += n

    def step(self, n: int = 1) -> None:
        with self.lock:
            self.done.value += n


def _warm_shared_caches() -> None:
    """Build, in this thread, what the shard's worker threads share and build on first use.

    functools.lru_cache does not hold back other callers while one computes: the fetch_workers threads asking
    at once for the relation lexicon, the phrase patterns or the public suffix list each built their own copy
    (~5 CPU-s per shard, mostly parsing and compiling the lexicon 16 times). Same objects, built once.
    """
    from newsmon.clean import load_phrases
    from newsmon.relations import default_finder

    default_finder()
    load_phrases(None)
    _public_suffixes()


class ShardContext:
    """What the workers of one shard share: the HTTP client, cleaning memory, tagger and counters."""

    def __init__(self, paths: Paths, settings: Settings):
        from newsmon.clean import BoilerplateMemory
        from newsmon.http import HttpClient

        self.paths, self.settings = paths, settings
        self.client = HttpClient(settings)
        self.memory = BoilerplateMemory(paths.state / "boilerplate")
        self.tagger = _tagger()
        _warm_shared_caches()
        self.lock = threading.Lock()
        # The CPU-bound part of an item (extract, clean, tag, hash) runs in at most this many of the shard's
        # threads at once; the page requests before it in all fetch_workers (see process_item).
        self.cpu_turn = threading.BoundedSemaphore(max(1, settings.fetch_cpu_threads))
        self.report = ShardReport()
        self.page_keys: dict[str, str] = {}  # article_id -> the page URL the cleaner saw (for second_look)

    def count(self, bucket: dict[str, int], key: str) -> None:
        with self.lock:
            bucket[key] = bucket.get(key, 0) + 1


def fetch_shard(
    feed_names: list[str],
    run_id: str,
    shard: int = 0,
    feeds_file: str | Path | None = None,
    data_dir: str | Path | None = None,
    progress: Progress | SharedProgress | None = None,
) -> dict:
    """Fetch the named feeds and their new articles, and stage them as one Parquet batch.

    The feeds' new state (seen ids, validators, body hash, failure counters) is saved only after the batch is
    durably staged: killed, out of disk or failing anywhere before that, the shard leaves the old state and the
    next run fetches the same items again (loading drops what was staged twice).
    """
    from newsmon.feeds import FeedStateStore, commit_states, fetch_many, staged_item_keys

    paths = get_paths(data_dir).ensure()
    settings = Settings.load()
    wanted = set(feed_names)
    feeds = [f for f in load_feeds(feeds_file) if f.name in wanted]
    ctx = ShardContext(paths, settings)
    store = FeedStateStore(paths.state / "feeds")
    now = datetime.now(UTC)

    results = fetch_many(ctx.client, feeds, store, now, settings.fetch_workers)
    by_name = {f.name: f for f in feeds}
    for r in results:
        ctx.count(ctx.report.feeds, r.status)
    items = interleave_by_host([(by_name[r.feed], item) for r in results for item in r.items])
    ctx.report.items = len(items)
    ctx.report.items_deferred = sum(r.items_deferred for r in results)

    bar = progress or Progress(enabled=False)
    bar.add_total(len(items))
    articles, rejections = [], []
    per_feed_pages: dict[str, Counter] = {f.name: Counter() for f in feeds}

    def work(pair):
        feed, item = pair
        try:
            return feed, process_item(feed, item, ctx)
        # A bug on one page must not lose the shard; the rejection row counts the item.
        except Exception as exc:
            log.exception("processing %s failed", item.url)
            return feed, (None, _rejection(item, feed, "processing_error", f"{type(exc).__name__}: {exc}"))
        finally:
            bar.step()

    with ThreadPoolExecutor(max_workers=max(1, settings.fetch_workers)) as pool:
        for feed, (article, rejection) in pool.map(work, items):
            if article is not None:
                articles.append(article)
                per_feed_pages[feed.name]["failed" if article.text_source == "feed" else "ok"] += 1
            if rejection is not None:
                rejections.append(rejection)
                per_feed_pages[feed.name]["failed"] += 1
    second_look(articles, ctx)
    ctx.memory.save()
    articles, duplicates = unique_by_id(articles)
    for a in duplicates:
        rejections.append(
            _rejection_row(a.url, a.feed, "duplicate_url", f"same canonical URL as {a.article_id}")
        )

    health = [health_row(r.state or store.load(by_name[r.feed]), by_name[r.feed]) for r in results]
    fetch_log = [
        {
            "run_id": run_id,
            "feed": r.feed,
            "status": r.status,
            "http_status": r.http_status,
            "error": r.error,
            "new_items": len(r.items),
            "pages_ok": per_feed_pages.get(r.feed, Counter())["ok"],
            "pages_failed": per_feed_pages.get(r.feed, Counter())["failed"],
            "bytes_read": r.bytes_read,
            "at": now,
        }
        for r in results
    ]
    from newsmon.warehouse import stage_batch

    # A name of its own per attempt: a retried task may have fetched more than an earlier attempt staged.
    batch_id = f"{_safe(run_id)}-s{shard:02d}-{uuid.uuid4().hex[:8]}"
    batch = stage_batch(paths.staging, batch_id, articles, rejections, health, fetch_log)
    # Only now, and only with the batch's manifest beside the state: the items these states mark as seen are
    # on disk, and should the batch prove unreadable at load, the manifest says which items to fetch again.
    if write_manifest(paths, batch.name, staged_item_keys(results)):
        commit_states(store, feeds, results)
    ctx.report.batch = str(batch)
    log.info("shard %s: %s", shard, ctx.report.as_dict())
    errors = feed_errors_table(fetch_log)
    if errors:
        log.warning("shard %s: feeds with errors\n%s", shard, errors)
    return ctx.report.as_dict()


def feed_errors_table(fetch_log: list[dict]) -> str:
    """The feeds of a shard that failed, one row each, for the task log ('' when none did)."""
    from newsmon.aggregates import format_table

    rows = [
        (r["feed"], r["status"], r["http_status"], " ".join(str(r["error"]).split()))
        for r in fetch_log
        if r.get("error")
    ]
    return format_table(["feed", "status", "http", "error"], rows, cell_width=120) if rows else ""


def interleave_by_host(items: list[tuple[FeedConfig, FeedItem]]) -> list[tuple[FeedConfig, FeedItem]]:
    """Round-robin the items over their hosts, so worker threads rarely wait on one host's spacing."""
    queues: dict[str, list] = {}
    for pair in items:
        queues.setdefault(urlsplit(pair[1].url).hostname or "", []).append(pair)
    out: list[tuple[FeedConfig, FeedItem]] = []
    lanes = list(queues.values())
    for i in range(max((len(q) for q in lanes), default=0)):
        out.extend(q[i] for q in lanes if i < len(q))
    return out


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:80]


def health_row(state, feed: FeedConfig) -> dict:
    return {
        "feed": feed.name,
        "url": state.url,
        "source": feed.source,
        "last_status": state.last_status,
        "last_http_status": state.last_http_status,
        "last_error": state.last_error,
        "bozo_reason": state.bozo_reason,
        "consecutive_failures": state.consecutive_failures,
        "last_fetched_at": state.last_fetched_at,
        "last_success_at": state.last_success_at,
        "last_new_item_at": state.last_new_item_at,
        "next_due_at": state.next_due_at,
        "items_seen": state.items_seen,
        "items_deferred": state.items_deferred,
        "retired": state.retired,
    }


# ---------------------------------------------------------------------------------------------------- articles


def process_item(feed: FeedConfig, item: FeedItem, ctx: ShardContext) -> tuple[Article | None, dict | None]:
    """Page -> cleaned text (or the feed's own content) -> tagged Article. Never raises for bad input.

    The page request runs in all of the shard's fetch_workers threads at once: real sites are latency-bound and
    many requests in flight are what makes a shard fast. What follows it is CPU-bound (extract, clean, tag, hash)
    and waits for one of the shard's fetch_cpu_threads turns (ctx.cpu_turn). Two or more CPU-bound threads take
    the interpreter lock from each other every 5 ms (hand-offs, caches thrashed): at real page weight 2 or 16
    such threads cost 10-15% more fetch CPU than 1, for no more throughput, as one process runs Python on one
    core at a time (bench/end_to_end.py --weight real --quick, fetch_cpu_threads 1 against 2 and 16).
    """
    fetched_at = datetime.now(UTC)
    resp, page_url, fetch_error = _fetch_page(item.url, feed, ctx)
    with ctx.cpu_turn:
        page, fetch_error = (None, fetch_error) if resp is None else _clean_page(resp, page_url, feed, ctx)
        return _article_of(feed, item, ctx, fetched_at, page, page_url, fetch_error)


def _article_of(
    feed: FeedConfig,
    item: FeedItem,
    ctx: ShardContext,
    fetched_at: datetime,
    page,
    page_url: str,
    fetch_error: str | None,
) -> tuple[Article | None, dict | None]:
    """The item's Article from its cleaned page (None: the feed's own text is used), or its rejection."""
    from newsmon.clean import choose_text
    from newsmon.extract import EXTRACTOR_VERSION

    choice = choose_text(
        page,
        item.summary,
        feed.source,
        ctx.memory,
        min_chars=ctx.settings.min_text_chars,
        page_error=fetch_error,
    )
    if choice.reason:
        ctx.count(ctx.report.pages_failed, _reason_key(choice.reason))
    else:
        with ctx.lock:
            ctx.report.pages_ok += 1
    title = (page.title if page and page.title else "") or item.title
    title, text = _capped_text(title, choice.text, ctx)
    if not text.strip() and not title.strip():
        return None, _rejection(item, feed, "no_text", choice.reason)
    claimed = page.canonical_url if page else None
    canon = _canonical(_same_site_canonical(claimed, item.url, page_url, ctx), item.url)
    if canon is None:
        return None, _rejection(item, feed, "bad_url", f"not an http(s) article URL: {item.url!r}")

    page_date = page.published if page else None
    published, published_from = choose_published(page_date, item.published, fetched_at)
    if page_date is not None and published_from != "page":
        ctx.count(ctx.report.adjusted, "page_date_not_believed")
    article = Article(
        article_id=_article_id(canon),
        url=item.url,
        canonical_url=canon,
        guid=item.guid,
        feed=feed.name,
        source=feed.source,
        title=title,
        text=text,
        text_source=choice.source,
        published_at=published,
        published_from=published_from,
        fetched_at=fetched_at,
        language=page.language if page else None,
        language_claimed=page.language_claimed if page else feed.language,
        authors=list((page.authors if page and page.authors else None) or item.authors),
        sitename=page.sitename if page else None,
        raw_html_hash=page.raw_html_hash if page else None,
        outlet_country=feed.country,
        state_affiliated=feed.state_affiliated,
        extractor_version=EXTRACTOR_VERSION,
        removed=dict(choice.removed),
        fetch_error=choice.reason if choice.source == "feed" else None,
    )
    if choice.source == "page":
        ctx.page_keys[article.article_id] = page_url
    for cap in _tag(article, ctx):
        ctx.count(ctx.report.adjusted, cap)
    return article, None


def _tag(article: Article, ctx: ShardContext) -> list[str]:
    """(Re)compute everything derived from the text: fingerprints and tags. Returns the mention caps that bit."""
    from newsmon.dedupe import content_hash, simhash

    tags = ctx.tagger.tag_article(article.title, article.text, article.published_at)
    article.content_hash = content_hash(article.text)
    article.simhash = simhash(article.text)
    article.watchlist_version = tags.watchlist_version
    article.mentions, article.countries, article.pairs = tags.mentions, tags.countries, tags.pairs
    caps = cap_mentions(article, ctx.settings.max_mentions_per_article, ctx.settings.max_mentions_per_country)
    article.relations, article.lexicon_version = _relations(article)  # from the mentions kept
    return caps


def _relations(article: Article) -> tuple[list, str]:
    from newsmon.relations import default_finder

    finder = default_finder()
    return finder.find(article.mentions, article.text, article.title), finder.version


# What a run may cut from or refuse to believe in an item it keeps, counted per shard (ShardReport.adjusted):
#   title_capped, text_capped             longer than max_title_chars / max_text_chars: cut at a word boundary
#   mentions_capped                       more mentions than max_mentions_per_article: the first ones kept
#   country_mentions_capped               one country over max_mentions_per_country: its first ones kept
#   canonical_other_site                  the page's canonical link is on another site: the item URL is used
#   page_date_not_believed                the page's date is before 1995 or in the future: the feed's or fetch time
ADJUSTMENTS = (
    "title_capped",
    "text_capped",
    "mentions_capped",
    "country_mentions_capped",
    "canonical_other_site",
    "page_date_not_believed",
)


def _capped_text(title: str, text: str, ctx: ShardContext) -> tuple[str, str]:
    """Title and text cut to the settings' lengths before anything costly (tagging) sees them."""
    limits = ctx.settings
    if len(title) > limits.max_title_chars:
        title = cut_at_word(title, limits.max_title_chars)
        ctx.count(ctx.report.adjusted, "title_capped")
    if len(text) > limits.max_text_chars:
        text = cut_at_word(text, limits.max_text_chars)
        ctx.count(ctx.report.adjusted, "text_capped")
    return title, text


def cut_at_word(text: str, limit: int) -> str:
    """text[:limit], ended at the last space or line break when there is one in its last tenth."""
    head = text[:limit]
    space = max(head.rfind(" "), head.rfind("\n"))
    return (head[:space] if space >= limit * 0.9 else head).rstrip()


def cap_mentions(article: Article, per_article: int, per_country: int) -> list[str]:
    """Keep at most per_country mentions of each country and per_article in all, in text order.

    A hostile or broken page ("China China China ..." for megabytes) otherwise makes millions of mention rows
    and a day's count no reader could trust. Returns which caps bit.
    """
    kept, per = [], Counter()
    country_capped = article_capped = False
    for m in article.mentions:
        if per[m.country] >= per_country:
            country_capped = True
        elif len(kept) >= per_article:
            article_capped = True
            break
        else:
            per[m.country] += 1
            kept.append(m)
    if not (country_capped or article_capped):
        return []
    article.mentions = kept
    # The per-country figures (which the daily counts add up) become the mentions kept, so every count
    # still has a stored mention row and sentence behind it.
    for code, figures in article.countries.items():
        if isinstance(figures, dict) and "mentions" in figures:
            figures["mentions"] = per[code]
    gone = {code for code in article.countries if not per[code]}
    if gone:  # a country none of whose mentions was kept is not in the article any more, nor in its pairs
        article.countries = {c: f for c, f in article.countries.items() if c not in gone}
        article.pairs = {
            level: [p for p in pairs if not gone & set(p.split("-"))]
            for level, pairs in article.pairs.items()
        }
    bit = (("mentions_capped", article_capped), ("country_mentions_capped", country_capped))
    return [name for name, happened in bit if happened]


def registrable_domain(host: str) -> str:
    """The site a host belongs to: its registrable domain by the Public Suffix List (news.bbc.co.uk ->
    bbc.co.uk, a.github.io stays a.github.io); an IP address or a host that is itself a suffix stands alone.

    publicsuffixlist ships the list inside the package, so this works offline and never downloads it.
    """
    host = host.lower().rstrip(".").strip("[]")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _public_suffixes().privatesuffix(host) or host


@lru_cache(maxsize=1)
def _public_suffixes():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def _same_site_canonical(claimed: str | None, item_url: str, page_url: str, ctx: ShardContext) -> str | None:
    """The page's canonical link when it is on the site of the item URL or of the final page URL, else None.

    One outlet must not be able to claim another's article URL: the real article would be dropped as a
    duplicate of the claimer's copy.
    """
    if not claimed:
        return None
    try:
        host = urlsplit(claimed).hostname
    except ValueError:
        return None
    if not host:
        return claimed  # relative: on the page's own site (and _canonical decides whether it is usable)
    sites = set()
    for url in (item_url, page_url):
        try:
            other = urlsplit(url).hostname
        except ValueError:
            continue
        if other:
            sites.add(registrable_domain(other))
    if registrable_domain(host) in sites:
        return claimed
    ctx.count(ctx.report.adjusted, "canonical_other_site")
    log.info("ignored canonical %s of %s: another site", claimed, item_url)
    return None


def _canonical(page_canonical: str | None, item_url: str) -> str | None:
    from newsmon.dedupe import canonical_url

    for candidate in (page_canonical, item_url):
        if candidate:
            try:
                return canonical_url(candidate)
            except (
                ValueError
            ):  # a page's canonical link may be relative junk; the feed's link is the fallback
                continue
    return None


def _article_id(canon: str) -> str:
    from newsmon.dedupe import article_id

    return article_id(canon)


def second_look(articles: list[Article], ctx: ShardContext) -> int:
    """Clean once more with what the repetition layer learned from the whole shard.

    A new site's unmarked appeal is learned only after a handful of its articles; without this pass the first
    few articles of the run would keep it (and the false mentions it brings). Returns the articles changed.
    """
    from newsmon.clean import CleanOptions, clean_text

    judge_only = CleanOptions(structure=False, phrases=False, repetition=True, learn=False)
    changed = 0
    for a in articles:
        page_url = ctx.page_keys.get(a.article_id)
        if page_url is None:
            continue
        result = clean_text(a.text, a.source, ctx.memory, judge_only, article_key=_page_key(page_url))
        if result.removed["repetition"]:
            a.text = result.text
            a.removed["repetition"] = a.removed.get("repetition", 0) + result.removed["repetition"]
            _tag(a, ctx)
            changed += 1
    return changed


def _page_key(page_url: str) -> str:
    """The key the cleaner filed the page under in its memory (see clean._article_key)."""
    from newsmon.clean import _article_key

    return _article_key(page_url, [])


def _fetch_page(url: str, feed: FeedConfig, ctx: ShardContext):
    """The page's 200 response and its final URL, or None, the URL and the reason it could not be had."""
    from newsmon.http import HttpError

    try:
        resp = ctx.client.get(url, kind="page", feed_url=feed.url)
    except HttpError as exc:
        return None, url, f"{type(exc).__name__}: {exc}"
    if resp.status != 200:
        return None, url, f"HTTP {resp.status}"
    return resp, resp.final_url or url, None


def _clean_page(resp, page_url: str, feed: FeedConfig, ctx: ShardContext):
    """The cleaned page of a fetched response, or None and why extraction failed."""
    from newsmon.clean import clean_page

    try:
        page = clean_page(
            resp.body, page_url, feed.source, ctx.memory, None, resp.headers.get("content-type")
        )
    except Exception as exc:  # a page that breaks the extractor must not break the run
        log.warning("extraction failed for %s: %s", resp.url, exc)
        return None, f"extraction failed: {type(exc).__name__}: {exc}"
    return page, None


def _reason_key(error: str | None) -> str:
    if not error:
        return "unknown"
    if error.startswith("HTTP "):
        return error.split(":")[0].replace(" ", "_").lower()
    if error.startswith("page text under"):
        return "short_text"
    return error.split(":")[0]


def _rejection(item: FeedItem, feed: FeedConfig, reason: str, detail: str | None) -> dict:
    return _rejection_row(item.url, feed.name, reason, detail)


def _rejection_row(url: str, feed: str, reason: str, detail: str | None) -> dict:
    return {"url": url, "feed": feed, "reason": reason, "detail": detail, "at": datetime.now(UTC)}


def unique_by_id(articles: list[Article]) -> tuple[list[Article], list[Article]]:
    """Keep the first article per id (one canonical URL listed by two feeds of a shard); return the rest apart."""
    seen: set[str] = set()
    kept, dropped = [], []
    for a in articles:
        (dropped if a.article_id in seen else kept).append(a)
        seen.add(a.article_id)
    return kept, dropped


def choose_published(
    page_date: datetime | None, feed_date: datetime | None, fetched_at: datetime
) -> tuple[datetime, str]:
    """The page's date unless missing or not believable, then the feed's, then fetch time; and which it was."""
    for value, origin in ((page_date, "page"), (feed_date, "feed")):
        trusted = believable_date(value, fetched_at)
        if trusted is not None:
            return trusted, origin
    return fetched_at, "fetch"


def believable_date(value: datetime | None, fetched_at: datetime) -> datetime | None:
    """value in UTC when it could be a news article's date: not in the future, not before EARLIEST_NEWS_DATE.

    0001-01-01 and 1900-01-01 are what templates and JSON-LD write for "no date"; believed, they make daily rows
    for year 1 and put every office holder out of term.
    """
    if value is None:
        return None
    try:
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):  # 0001-01-01 with a positive UTC offset lies before year 1 in UTC
        return None
    if EARLIEST_NEWS_DATE <= value <= fetched_at + FUTURE_TOLERANCE:
        return value
    return None


# ---------------------------------------------------------------------------------------------------- loading


def load_and_publish(batches: list[str] | None = None, data_dir: str | Path | None = None) -> dict:
    """Load staged batches into the warehouse (one writer) and publish the analyst database.

    Batches left staged by an earlier run whose load failed are loaded too, so nothing fetched is lost.
    """
    from newsmon.warehouse import load_pending, pending_batches, publish

    paths = get_paths(data_dir).ensure()
    settings = Settings.load()  # once: reading the YAML again cost 35 ms per step of every small load
    wanted = {Path(b) for b in batches or []} | set(pending_batches(paths.staging))
    started = datetime.now(UTC)
    counts = load_pending(paths, sorted(wanted, key=lambda p: p.name), settings)
    settle_manifests(paths, counts.failed)
    revised = revise_learned_boilerplate(paths, started, settings)
    publish(paths)
    return {**counts.as_dict(), "revised": revised}


MANIFESTS = "batches"  # data/state/batches/<batch>.json: per feed, the item keys a staged batch holds


def write_manifest(paths: Paths, batch_name: str, keys_by_feed: dict[str, list[str]]) -> bool:
    """Write a staged batch's manifest (temp name, then rename); False, logged, when it cannot be written.

    Without it the feeds' state is not committed: the items are fetched again and loading drops the copies.
    """
    folder = paths.state / MANIFESTS
    tmp = folder / f".{batch_name}.json.tmp-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(keys_by_feed, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / f"{batch_name}.json")
        return True
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.error("batch %s: manifest not written (%s); its items will be fetched again", batch_name, exc)
        return False


def settle_manifests(paths: Paths, failed: dict[str, str]) -> dict[str, int]:
    """After a load: a batch that went to staging/failed/ gives its items back to the feeds (fetched again next
    run, so an unreadable batch loses nothing); a loaded batch's manifest is no longer needed."""
    from newsmon.feeds import FeedStateStore, release_items

    folder = paths.state / MANIFESTS
    store = FeedStateStore(paths.state / "feeds")
    settled = {"released_feeds": 0, "removed": 0}
    for manifest in sorted(folder.glob("*.json")) if folder.exists() else []:
        name = manifest.stem
        if name in failed or (paths.staging / "failed" / name).exists():
            try:
                keys = json.loads(manifest.read_text(encoding="utf-8"))
                settled["released_feeds"] += release_items(store, keys)
                log.warning("batch %s is unreadable: its items are fetched again next run", name)
            except (OSError, ValueError) as exc:
                log.error("manifest of batch %s unreadable (%s): its items are not fetched again", name, exc)
        elif (paths.staging / name).exists():
            continue  # still staged: the next load takes it
        manifest.unlink(missing_ok=True)
        settled["removed"] += 1
    return settled


REVISED_STATE = "boilerplate-revised.json"  # site -> fingerprint of the furniture its stored articles lack


def revise_learned_boilerplate(
    paths: Paths, loaded_since: datetime | None = None, settings: Settings | None = None
) -> dict:
    """Remove boilerplate learned since from a site's stored articles, in the load that learned it.

    The repetition layer learns a site's unmarked appeal from its 5th article; the second look cleans the
    articles of the same run, but with 30-minute or daily runs the first four are stored already. So after each
    load, for every site with articles loaded since `loaded_since` whose furniture set changed since the last
    revision, the site's stored articles of the memory's window are judged again (judge only, nothing learned):
    those that lose a paragraph are re-tagged, re-hashed, their stories settled again and their days logged for
    `newsmon daily` (`warehouse.revise_articles`), and the next publish is a full one.
    """
    from newsmon.clean import BoilerplateMemory, CleanOptions
    from newsmon.warehouse import mark_full_publish, open_warehouse, revise_articles

    memory = BoilerplateMemory(paths.state / "boilerplate")
    done_file = paths.state / REVISED_STATE
    try:
        done = json.loads(done_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = {}
    judge_only = CleanOptions(structure=False, phrases=False, repetition=True, learn=False)
    ctx = SimpleNamespace(tagger=None, settings=settings or Settings.load())
    result = {"sites": 0, "articles": 0, "stories_changed": 0}
    with open_warehouse(paths) as con:
        sources = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT source FROM articles WHERE ?::TIMESTAMPTZ IS NULL OR loaded_at >= ?::TIMESTAMPTZ",
                [loaded_since, loaded_since],
            ).fetchall()
        ]
        for source in sorted(sources):
            furniture = memory.furniture(source)
            signature = hashlib.sha1("\n".join(sorted(furniture)).encode()).hexdigest()[:16]
            if not furniture or done.get(source) == signature:
                continue
            ctx.tagger = ctx.tagger or _tagger()
            revised = _revise_site(con, source, memory, judge_only, ctx)
            if revised:  # before the old rows change (appending new ones would not carry them): a run killed
                mark_full_publish(paths)  # after the commit below must still make the next publish a full one
            outcome = revise_articles(con, revised, "boilerplate")
            if revised:
                result["sites"] += 1
                result["articles"] += outcome["articles"]
                result["stories_changed"] += outcome["stories_changed"]
            done[source] = signature
    if result["sites"] or done:
        paths.state.mkdir(parents=True, exist_ok=True)
        tmp = done_file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(done, sort_keys=True), encoding="utf-8")
        os.replace(tmp, done_file)
    if result["articles"]:
        log.info("boilerplate learned later removed from %s", result)
    return result


def _revise_site(con, source: str, memory, judge_only, ctx) -> list[Article]:
    """The site's stored articles (within the memory's window) that lose paragraphs now, re-tagged."""
    since = datetime.now(UTC) - timedelta(days=memory.window_days)
    columns = ("article_id", "url", "canonical_url", "guid", "feed", "source", "title", "text", "text_source",
               "published_at", "published_from", "fetched_at", "removed_repetition")  # fmt: skip
    rows = con.execute(
        f"SELECT {', '.join(columns)} FROM articles WHERE source = ? AND coalesce(published_at, fetched_at) >= ? "
        "ORDER BY article_id",
        [source, since],
    ).fetchall()
    revised = []
    for row in rows:
        stored = dict(zip(columns, row, strict=True))
        cleaned = clean_text_for(stored, memory, judge_only)
        if cleaned is None:
            continue
        repetition = int(stored.pop("removed_repetition") or 0) + cleaned.removed["repetition"]
        article = Article(**{**stored, "text": cleaned.text, "removed": {"repetition": repetition}})
        _tag(article, ctx)
        revised.append(article)
    return revised


def clean_text_for(stored: dict, memory, judge_only):
    """The stored text judged again by the repetition layer; None when nothing would be removed."""
    from newsmon.clean import clean_text

    result = clean_text(
        stored["text"] or "", stored["source"], memory, judge_only, article_key=_page_key(stored["url"])
    )
    return result if result.removed["repetition"] else None


# ---------------------------------------------------------------------------------------------------- one pass


def run_once(
    feeds_file: str | Path | None = None, data_dir: str | Path | None = None, progress: bool = False
) -> dict:
    """The whole pipeline in this process: fetch, extract, clean, tag, stage, load, aggregate, publish.

    Shards run in parallel worker processes (one per core, like mapped tasks under Airflow), since extraction
    is CPU-bound and threads share one interpreter lock.
    """
    paths = get_paths(data_dir).ensure()
    settings = Settings.load()
    feeds = load_feeds(feeds_file)
    from newsmon.feedlist import record_feed_list

    record_feed_list(paths, feeds_file, feeds)  # `newsmon feeds` and the page report on this list
    run_id = "manual__" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    started = time.monotonic()
    workers = max(1, min(settings.shards, os.cpu_count() or 1))
    shards = [s for s in plan_shards(feeds, workers) if s]
    bar = Progress(enabled=progress)
    try:
        if len(shards) <= 1:
            reports = [fetch_shard(shards[0] if shards else [], run_id, 0, feeds_file, paths.data_dir, bar)]
        else:
            reports = _fetch_in_processes(shards, run_id, feeds_file, paths.data_dir, bar)
    finally:
        bar.close()  # a live rich bar hides the cursor until it is stopped
    loaded = load_and_publish([r["batch"] for r in reports], paths.data_dir)
    daily = _run_daily(paths)
    return {
        "fetch": merge_reports(reports),
        "load": loaded,
        "daily": daily,
        "seconds": round(time.monotonic() - started, 2),
    }


def _fetch_in_processes(
    shards: list[list[str]], run_id: str, feeds_file, data_dir: Path, bar: Progress
) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(len(shards), mp_context=context) as pool:
        shared = SharedProgress(manager) if bar.enabled else None
        futures = [
            pool.submit(fetch_shard, names, run_id, i, feeds_file, data_dir, shared)
            for i, names in enumerate(shards)
        ]
        while shared is not None and not all(f.done() for f in futures):
            bar.draw(shared.done.value, shared.total.value)
            time.sleep(0.2)
        reports = [f.result() for f in futures]
        if shared is not None:
            bar.draw(shared.done.value, shared.total.value)
    return reports


def merge_reports(reports: list[dict]) -> dict:
    """Add up the per-shard reports into one."""
    merged: dict = {"batches": [r["batch"] for r in reports], "items": 0, "items_deferred": 0, "pages_ok": 0}
    for key in ("feeds", "pages_failed", "rejected", "adjusted"):
        total: Counter = Counter()
        for r in reports:
            total.update(r.get(key, {}))
        merged[key] = dict(sorted(total.items()))
    for r in reports:
        merged["items"] += r["items"]
        merged["items_deferred"] += r.get("items_deferred", 0)
        merged["pages_ok"] += r["pages_ok"]
    return merged


def _run_daily(paths: Paths) -> dict | None:
    try:
        from newsmon.aggregates import run_daily
    except ImportError:  # aggregates not installed in this build
        return None
    return run_daily(paths)


def format_summary(summary: dict) -> str:
    fetch, load = summary["fetch"], summary["load"]
    feeds = fetch["feeds"]
    rejected = dict(load["rejected"])
    lines = [
        "newsmon run summary",
        f"  feeds      ok {feeds.get('ok', 0):>5}   not modified {feeds.get('not_modified', 0):>5}   "
        f"failed {feeds.get('failed', 0):>5}   retired {feeds.get('retired', 0)}   not due {feeds.get('not_due', 0)}",
        f"  articles   new {load['articles_new']:>4}   duplicate {load['articles_duplicate']:>4}   "
        f"rejected {sum(rejected.values()):>4}",
    ]
    for reason, n in sorted(rejected.items()):
        lines.append(f"             rejected: {reason:<20} {n:>5}")
    if fetch.get("items_deferred"):
        lines.append(
            f"  deferred   {fetch['items_deferred']} new items over max_items_per_feed, for the next run"
        )
    if load.get("mentions_capped"):
        lines.append(
            f"             capped at load: {load['mentions_capped']} mentions over max_mentions_per_country "
            f"in {load['articles_capped']} articles"
        )
    revised = load.get("revised") or {}
    if revised.get("articles"):
        lines.append(
            f"  revised    {revised['articles']} stored articles of {revised['sites']} site(s) lost boilerplate "
            f"learned since ({revised['stories_changed']} changed story)"
        )
    if load.get("stories_merged"):
        lines.append(
            f"  merged     {load['stories_merged']} stored stories linked by new articles (story_merges)"
        )
    for batch, reason in load.get("batches_failed", {}).items():
        lines.append(f"  FAILED     batch {batch} moved to staging/failed/: {reason}")
    if fetch["pages_failed"]:
        failed = ", ".join(f"{k} {v}" for k, v in fetch["pages_failed"].items())
        lines.append(f"  pages      ok {fetch['pages_ok']}, fell back to feed text: {failed}")
    if fetch.get("adjusted"):
        adjusted = ", ".join(f"{k} {v}" for k, v in fetch["adjusted"].items())
        lines.append(f"  adjusted   {adjusted}")
    lines.append(f"  took       {summary['seconds']} s")
    return "\n".join(lines)


def cli_run(args) -> int:
    from newsmon.cli import UserError

    if not args.once:
        raise UserError(
            "only --once is supported here; the schedule runs under Airflow (make demo / make run)"
        )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    summary = run_once(args.feeds, progress=not args.no_progress)
    print(format_summary(summary))
    return 0


# ---------------------------------------------------------------------------------------------------- retag


def retag(since: date | None = None, data_dir: str | Path | None = None) -> dict:
    """Re-tag stored articles with the current watchlist, then recompute their days and publish."""
    from newsmon.relations import default_finder
    from newsmon.warehouse import mark_full_publish, open_warehouse, publish, replace_tags

    paths = get_paths(data_dir).ensure()
    tagger = _tagger()
    with open_warehouse(paths) as con:
        rows = con.execute(
            "SELECT article_id, title, text, published_at, day FROM articles WHERE ? IS NULL OR day >= ? ORDER BY article_id",
            [since, since],
        ).fetchall()
        tagged = [(r[0], tagger.tag_article(r[1], r[2] or "", r[3])) for r in rows]
        finder = default_finder()
        relations = {
            r[0]: (finder.find(t.mentions, r[2] or "", r[1]), finder.version)
            for r, (_, t) in zip(rows, tagged, strict=True)
        }
        mark_full_publish(paths)  # before old rows change (appending new ones would not carry the new tags)
        replace_tags(con, tagged, relations)
        days = sorted({r[4] for r in rows})
        try:
            from newsmon.aggregates import recompute_days
        except ImportError:
            recompute_days = None
        if recompute_days and days:
            recompute_days(con, days)
    publish(paths)
    version = tagged[0][1].watchlist_version if tagged else None
    return {"articles": len(rows), "days": len(days), "watchlist_version": version}


def cli_retag(args) -> int:
    from newsmon.cli import UserError

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            raise UserError(f"--since must be a date like 2026-11-01, not {args.since!r}") from None
    result = retag(since)
    print(f"re-tagged {result['articles']} articles over {result['days']} days")
    return 0
