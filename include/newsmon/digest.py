"""The daily digest email: what moved, the stories behind it, a 30-day chart; delivered exactly once.

`build_digest` reads the analyst database (read-only) and returns a `Digest`: subject, plain text, HTML with an
inline chart (Content-ID), and the facts both parts are made from. `send_digest` delivers it to each recipient
once: the ledger `digest_ledger` in the warehouse is keyed by day and recipient and gets its row only after the
SMTP server accepted the message (or the .eml file was written to the outbox), so a retried task or a rerun
sends only to whoever is still missing. This module does not import Airflow: the `news_digest` DAG passes the
`smtp_default` connection and the `newsmon_digest_to` Variable in as plain values.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import logging
import math
import os
import re
import smtplib
import ssl
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from itertools import combinations
from pathlib import Path
from string import Template

import duckdb

from newsmon.config import TEMPLATES_DIR, ConfigError, Paths, Settings
from newsmon.config import paths as get_paths

log = logging.getLogger(__name__)

COUNTRY_NAMES = {
    "CN": "China",
    "RU": "Russia",
    "US": "United States",
    "UA": "Ukraine",
    "TW": "Taiwan",
    "IR": "Iran",
    "IN": "India",
    "KP": "North Korea",
    "JP": "Japan",
    "EU": "European Union",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
}
SENTENCE_NAMES = {"US": "the United States", "GB": "the United Kingdom", "EU": "the European Union"}
CHART_NAMES = {"US": "US", "GB": "UK", "EU": "EU", "KP": "N. Korea"}  # direct labels must stay short
DEFAULT_COUNTRIES = ("CN", "RU", "US")
DEFAULT_PAIRS = ("CN-RU", "CN-US", "RU-US", "CN-RU-US")
PAIR_LEVELS = ("sentence", "paragraph", "article")
DEFAULT_PAIR_LEVEL = "sentence"  # co-mention in one sentence: the strictest, most newsworthy link
BASELINE_DAYS = 28
TREND_DAYS = 30
TOP_STORIES = 3
SILENT_AFTER_DAYS = 2  # a feed with no new item for this many days is called silent
MOVE_MIN_BASELINE = 3.0  # a ratio move on a smaller baseline is noise, not news
MOVE_RATIO = 1.5  # without a spike, a move this big (up or down) still makes the subject
EVIDENCE_MAX_CHARS = 280
# Query parameters that only track the reader (campaign tags, click ids); links in the digest go without them.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|igshid|_hsenc|_hsmi)$", re.I
)
LANGUAGE_NAMES = {"zh": "Chinese", "ru": "Russian", "uk": "Ukrainian", "de": "German", "fr": "French",
                  "es": "Spanish", "ar": "Arabic", "ja": "Japanese", "ko": "Korean", "pt": "Portuguese"}  # fmt: skip
ALREADY_LISTED = "Its top stories are listed above."
DEFAULT_SENDER = "newsmon <newsmon@localhost>"
OUTBOX_RECIPIENT = "digest@localhost"  # the address on outbox files when no recipient is configured
LOCK_TIMEOUT = 600.0

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS = {"CN": "#D55E00", "RU": "#0072B2", "US": "#009E73"}
EXTRA_COLOURS = ("#CC79A7", "#E69F00", "#56B4E9", "#000000")


class DigestSendError(RuntimeError):
    """Some recipients did not get the digest; the others are recorded and will not get it again."""


# ---------------------------------------------------------------------------------------------------- facts


@dataclass
class Figure:
    """One country's or pair's stories on the day, against its trailing baseline."""

    key: str  # CN or CN-RU
    kind: str  # country | pair
    stories: int = 0
    articles: int = 0
    sources: int = 0
    share: float | None = None
    mean_7d: float | None = None
    mean_28d: float | None = None
    z_28d: float | None = None
    ratio_28d: float | None = None
    spike: bool = False
    series: list[float | None] = field(default_factory=list)  # stories per day over the trend window
    # countries only: the same rule on stories ABOUT the country (daily_country.spike_about); None for pairs
    stories_about: int | None = None
    spike_about: bool | None = None

    @property
    def mentions_only(self) -> bool:
        """A country spike of stories that name it in passing, not of stories about it."""
        return self.spike and self.spike_about is False

    @property
    def name(self) -> str:
        return "-".join(COUNTRY_NAMES.get(c, c) for c in self.key.split("-"))

    @property
    def noun(self) -> str:
        """What is being counted, for sentences: 'stories on China', 'China-Russia co-mentions'."""
        if self.kind == "pair":
            return f"{self.name} co-mentions"
        return f"stories on {SENTENCE_NAMES.get(self.key, self.name)}"

    @property
    def ratio(self) -> float | None:
        if self.ratio_28d is not None:
            return self.ratio_28d
        if self.mean_28d:
            return self.stories / self.mean_28d
        return None


@dataclass
class Story:
    story_id: str
    article_id: str
    outlet: str
    headline: str
    url: str
    evidence: str
    outlets: int  # distinct outlets carrying this story today
    gloss: str = ""  # for a headline not in English: its English copy's headline, else the language named


@dataclass
class FeedHealth:
    total: int = 0
    ok: int = 0
    failing: list[tuple[str, str]] = field(default_factory=list)  # (feed, reason)
    silent: list[tuple[str, int]] = field(default_factory=list)  # (feed, days without a new item)
    retired: int = 0

    def line(self) -> str:
        if not self.total:
            return "Feed health: no feed has been fetched yet."
        parts = [f"{self.ok} of {self.total} feeds ok"]
        if self.failing:
            names = ", ".join(f"{f} ({why})" for f, why in self.failing[:6])
            more = f" and {len(self.failing) - 6} more" if len(self.failing) > 6 else ""
            parts.append(f"{len(self.failing)} failing: {names}{more}")
        if self.silent:
            names = ", ".join(f"{f} ({d} days)" for f, d in self.silent[:6])
            more = f" and {len(self.silent) - 6} more" if len(self.silent) > 6 else ""
            parts.append(f"{len(self.silent)} silent: {names}{more}")
        if self.retired:
            parts.append(f"{self.retired} retired")
        if not self.failing and not self.silent:
            parts.append("none failing or silent")
        return "Feed health: " + "; ".join(parts) + "."


@dataclass
class TieRelation:
    """One of the strongest relations of the day between a pair, with a sentence that shows it."""

    source: str
    target: str
    cls: str
    stories: int
    outlet: str
    evidence: str

    def line(self) -> str:
        what = self.cls.replace("_", " ")
        return f"{_short_name(self.source)} -> {_short_name(self.target)}, {what} ({self.stories} stor{'y' if self.stories == 1 else 'ies'})"


@dataclass
class Tie:
    """How ties between two countries moved: the day's cooperation share against the 28 days before."""

    pair: str
    cooperation: int
    conflict: int
    share: float | None
    share_28d: float | None
    relations: list[TieRelation] = field(default_factory=list)

    def line(self) -> str:
        a, b = self.pair.split("-")
        name = f"{_short_name(a)}-{_short_name(b)}"
        now = f"{self.share:.0%} cooperation" if self.share is not None else "no relation"
        before = (
            f"{self.share_28d:.0%} over the 28 days before"
            if self.share_28d is not None
            else "no baseline yet"
        )
        return f"{name}: {now} ({self.cooperation} cooperation, {self.conflict} conflict stories), {before}"


@dataclass
class Facts:
    day: date
    history_days: int  # days of data before `day` (0: first day of history)
    baseline_days: int  # days the trailing mean covers, at most 28
    total: dict
    countries: list[Figure]
    pairs: list[Figure]
    pair_level: str
    trend_days: list[date]
    stories: dict[str, list[Story]] = field(default_factory=dict)  # figure key -> top stories
    health: FeedHealth = field(default_factory=FeedHealth)
    main: Figure | None = None
    main_kind: str = "quiet"  # spike | move | quiet | first_day | empty
    ties: list[Tie] = field(default_factory=list)  # pairs with relations that day (daily_cooperation)

    @property
    def spikes(self) -> list[Figure]:
        # spikes of coverage about a country lead; spikes of passing mentions come after them
        spiking = sorted((f for f in self.countries + self.pairs if f.spike), key=_change_size, reverse=True)
        return sorted(spiking, key=lambda f: f.mentions_only)

    def as_dict(self) -> dict:
        def fig(f: Figure) -> dict:
            d = asdict(f)
            d.update(name=f.name, ratio=f.ratio)
            return d

        return {
            "day": self.day.isoformat(),
            "history_days": self.history_days,
            "baseline_days": self.baseline_days,
            "total": self.total,
            "countries": [fig(f) for f in self.countries],
            "pairs": [fig(f) for f in self.pairs],
            "pair_level": self.pair_level,
            "spikes": [f.key for f in self.spikes],
            "main": self.main.key if self.main else None,
            "main_kind": self.main_kind,
            "stories": {k: [asdict(s) for s in v] for k, v in self.stories.items()},
            "feed_health": asdict(self.health) | {"line": self.health.line()},
            "trend_days": [d.isoformat() for d in self.trend_days],
            "ties": [asdict(t) for t in self.ties],
        }


def _change_size(f: Figure) -> tuple[float, float, int]:
    """How big a move is: the z-score first (it weighs the change against the baseline's own noise, so 4 stories
    on a baseline of 0.1 do not outrank 12 on a baseline of 1), then the ratio, then the size."""
    ratio = f.ratio if f.ratio is not None else (math.inf if f.stories else 0.0)
    return (f.z_28d if f.z_28d is not None else 0.0, ratio, f.stories)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def _history_start(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute("SELECT min(day) FROM daily_total WHERE articles > 0").fetchone()[0]


def _trailing_mean(series: list[float | None], n: int) -> float | None:
    """Mean of the n values before the last one, skipping days before history began."""
    before = [v for v in series[:-1][-n:] if v is not None] if n else []
    return sum(before) / len(before) if before else None


def _figures(
    con, table: str, key_col: str, defaults: tuple[str, ...], day: date, window: list[date], start, extra=""
) -> list[Figure]:
    rows = _rows(
        con,
        f"SELECT * FROM {table} WHERE day BETWEEN ? AND ? {extra} ORDER BY day",
        [window[0], window[-1]],
    )
    by_key: dict[str, dict[date, dict]] = {k: {} for k in defaults}
    for r in rows:
        by_key.setdefault(r[key_col], {})[r["day"]] = r
    kind = "country" if key_col == "country" else "pair"
    figures = []
    for key, per_day in by_key.items():
        # Days before history began are unknown, not zero; a day without a row after that had no stories.
        series = [
            None if start is None or d < start else float(per_day.get(d, {}).get("stories") or 0)
            for d in window
        ]
        today = per_day.get(day)
        fig = Figure(key=key, kind=kind, series=series)
        if today:
            for name in ("stories", "articles", "sources"):
                setattr(fig, name, int(today.get(name) or 0))
            for name in ("share", "mean_7d", "mean_28d", "z_28d", "ratio_28d"):
                value = today.get(name)
                setattr(fig, name, None if value is None or _is_nan(value) else float(value))
            fig.spike = bool(today.get("spike"))
            if "spike_about" in today:
                fig.stories_about, fig.spike_about = (
                    int(today["stories_about"] or 0),
                    bool(today["spike_about"]),
                )
        else:  # no row today: nothing mentioned it, but the baseline still stands
            fig.mean_28d = _trailing_mean(series, BASELINE_DAYS)
            fig.mean_7d = _trailing_mean(series, 7)
        figures.append(fig)
    return figures


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _total(con, day: date) -> dict:
    rows = _rows(con, "SELECT * FROM daily_total WHERE day = ?", [day])
    keys = ("articles", "stories", "sources", "feeds_ok", "feeds_failed")
    row = rows[0] if rows else {}
    return {k: int(row.get(k) or 0) for k in keys}


def _pick_main(facts: Facts) -> tuple[Figure | None, str]:
    if facts.total["articles"] == 0:
        return None, "empty"
    if facts.history_days == 0:
        return None, "first_day"
    if facts.spikes:
        return facts.spikes[0], "spike"
    movers = [
        f
        for f in facts.countries + facts.pairs
        if (f.mean_28d or 0) >= MOVE_MIN_BASELINE
        and f.ratio is not None
        and (f.ratio >= MOVE_RATIO or f.ratio <= 1 / MOVE_RATIO)
    ]
    if movers:
        return max(movers, key=lambda f: abs(math.log(max(f.ratio, 1e-6)))), "move"
    return None, "quiet"


# ---------------------------------------------------------------------------------------------------- stories


def _story_filter(fig: Figure, level: str) -> tuple[str, list]:
    if fig.kind == "country":
        return "list_contains(a.countries, ?)", [fig.key]
    col = f"pairs_{level}"  # level is checked against PAIR_LEVELS before it gets here
    codes = fig.key.split("-")
    subpairs = ["-".join(p) for p in combinations(sorted(codes), 2)]
    return f"(list_contains(a.{col}, ?) OR list_has_all(a.{col}, ?))", [fig.key, subpairs]


def _top_stories(con, day: date, fig: Figure, level: str, exclude: set[str], limit: int) -> list[Story]:
    """The day's biggest stories for a country or pair: one line per story, its earliest original copy."""
    cond, params = _story_filter(fig, level)
    codes = fig.key.split("-")
    rows = _rows(
        con,
        f"""
        WITH a AS (
            SELECT a.article_id, a.story_id, a.source, a.title, a.url, a.duplicate_of, a.language,
                   coalesce(a.published_at, a.fetched_at) AS ts
            FROM articles a WHERE a.day = ? AND {cond}
        ), s AS (
            SELECT story_id, count(DISTINCT source) AS outlets,
                   arg_min(article_id, row(duplicate_of IS NOT NULL, ts, article_id)) AS rep,
                   arg_min(title, ts) FILTER (WHERE language LIKE 'en%') AS english_title
            FROM a GROUP BY story_id
        ), c AS (
            SELECT article_id, sum(salience) AS salience, bool_or(about) AS about
            FROM article_countries WHERE country IN (SELECT unnest(?)) GROUP BY article_id
        )
        SELECT s.story_id, s.outlets, a.article_id, a.source, a.title, a.url, a.language, s.english_title
        FROM s JOIN a ON a.article_id = s.rep LEFT JOIN c ON c.article_id = s.rep
        ORDER BY s.outlets DESC, coalesce(c.about, FALSE) DESC, coalesce(c.salience, 0) DESC, a.ts, a.article_id
        LIMIT ?
        """,
        [day, *params, codes, limit + len(exclude)],
    )
    rows = [r for r in rows if r["story_id"] not in exclude][:limit]
    evidence = _evidence(
        con, [r["article_id"] for r in rows], codes, {r["article_id"]: r["title"] for r in rows}
    )
    return [
        Story(
            story_id=r["story_id"],
            article_id=r["article_id"],
            outlet=r["source"] or "",
            headline=(r["title"] or "").strip() or "(untitled)",
            url=canonical_link(r["url"] or ""),
            evidence=evidence.get(r["article_id"], ""),
            outlets=int(r["outlets"]),
            gloss=gloss(r["language"], r["english_title"]),
        )
        for r in rows
    ]


def canonical_link(url: str) -> str:
    """The link without tracking parameters (utm_*, click ids); everything else, fragment too, kept."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def gloss(language: str | None, english_title: str | None) -> str:
    """A hint for a headline the reader may not read: the story's English headline, else the language's name."""
    lang = (language or "").lower().split("-")[0]
    if not lang or lang == "en":
        return ""
    if english_title:
        return f"English copy: {' '.join(english_title.split())}"
    return f"in {LANGUAGE_NAMES.get(lang, lang)}"


def _evidence(con, article_ids: list[str], codes: list[str], titles: dict[str, str]) -> dict[str, str]:
    """Per article, the first sentence that names all `codes` (else the first one naming any), not the title."""
    if not article_ids:
        return {}
    rows = _rows(
        con,
        """SELECT article_id, country, position, seq, evidence FROM mentions
           WHERE article_id IN (SELECT unnest(?)) AND country IN (SELECT unnest(?)) AND evidence IS NOT NULL
           ORDER BY article_id, seq""",
        [article_ids, codes],
    )
    by_sentence: dict[str, dict[str, set[str]]] = {}
    for r in rows:
        text = " ".join(r["evidence"].split())
        if (
            not text
            or r["position"] == "title"
            or text == " ".join((titles.get(r["article_id"]) or "").split())
        ):
            continue  # the headline is already on the line; the evidence should add to it
        by_sentence.setdefault(r["article_id"], {}).setdefault(text, set()).add(r["country"])
    chosen = {}
    for article_id, sentences in by_sentence.items():
        full = [s for s, found in sentences.items() if found >= set(codes)]
        chosen[article_id] = _shorten((full or list(sentences))[0])
    return chosen


def _shorten(text: str, limit: int = EVIDENCE_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _collect_stories(con, facts: Facts) -> None:
    """Top stories for each spike first, then for each country, never listing a story twice."""
    shown: set[str] = set()
    for fig in facts.spikes + [f for f in facts.countries if not f.spike]:
        if fig.stories == 0 or fig.key in facts.stories:
            continue
        stories = _top_stories(con, facts.day, fig, facts.pair_level, shown, TOP_STORIES)
        facts.stories[fig.key] = stories
        shown.update(s.story_id for s in stories)


# ---------------------------------------------------------------------------------------------------- feed health


TIE_RELATIONS = 2  # strongest relations shown per pair


def _ties(con, day: date) -> list[Tie]:
    """Pairs with relations on `day`: the cooperation share against its baseline, and the strongest relations
    (most stories) with one sentence each, from the outlet whose story has most copies."""
    ties = []
    for r in _rows(
        con,
        """SELECT pair, cooperation_stories, conflict_stories, share, share_28d FROM daily_cooperation
           WHERE day = ? AND stories > 0 ORDER BY stories DESC, pair""",
        [day],
    ):
        tie = Tie(r["pair"], r["cooperation_stories"], r["conflict_stories"], r["share"], r["share_28d"])
        a, b = tie.pair.split("-")
        for rel in _rows(
            con,
            """WITH r AS (
                   SELECT r.source, r.target, r.class, a.story_id, a.source AS outlet, s.text AS evidence,
                          count(*) OVER (PARTITION BY a.story_id) AS copies
                   FROM relations r JOIN articles a USING (article_id)
                   JOIN sentences s USING (article_id, sentence)
                   WHERE a.day = ? AND ((r.source = ? AND r.target = ?) OR (r.source = ? AND r.target = ?))
               )
               SELECT source, target, class, count(DISTINCT story_id) AS stories,
                      arg_max(outlet, copies) AS outlet, arg_max(evidence, copies) AS evidence
               FROM r GROUP BY ALL ORDER BY stories DESC, source, target, class LIMIT ?""",
            [day, a, b, b, a, TIE_RELATIONS],
        ):
            tie.relations.append(
                TieRelation(
                    rel["source"],
                    rel["target"],
                    rel["class"],
                    rel["stories"],
                    rel["outlet"],
                    _shorten(rel["evidence"] or ""),
                )
            )
        ties.append(tie)
    return ties


def _short_name(code: str) -> str:
    return CHART_NAMES.get(code, COUNTRY_NAMES.get(code, code))


def _feed_health(con, day: date) -> FeedHealth:
    rows = _rows(
        con,
        """SELECT feed, last_status, last_http_status, last_error, consecutive_failures, last_new_item_at, retired
           FROM feed_health ORDER BY feed""",
    )
    end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    health = FeedHealth(total=len(rows))
    for r in rows:
        if r["retired"]:
            health.retired += 1
        elif r["last_status"] == "failed" or (r["consecutive_failures"] or 0) > 0:
            reason = (
                f"HTTP {r['last_http_status']}" if r["last_http_status"] else (r["last_error"] or "failed")
            )
            health.failing.append((r["feed"], _shorten(str(reason), 60)))
        else:
            health.ok += 1
            last_new = r["last_new_item_at"]
            if last_new is not None:
                silent_days = (end_of_day - last_new.astimezone(UTC)).days
                if silent_days >= SILENT_AFTER_DAYS:
                    health.silent.append((r["feed"], silent_days))
    return health


# ---------------------------------------------------------------------------------------------------- build


def anything_ingested(analyst_db: Path) -> bool:
    """False until the first ingest has published articles: before that a digest would only say "nothing yet"."""
    if not Path(analyst_db).exists():
        return False
    con = duckdb.connect(str(analyst_db), read_only=True)
    try:
        return con.execute("SELECT EXISTS (SELECT 1 FROM articles)").fetchone()[0]
    except duckdb.Error:  # published before the articles table existed
        return False
    finally:
        con.close()


def load_facts(analyst_db: Path, day: date, pair_level: str = DEFAULT_PAIR_LEVEL) -> Facts:
    """Everything the digest says, read from the analyst database in one read-only session."""
    if pair_level not in PAIR_LEVELS:
        raise ConfigError(f"digest pair_level {pair_level!r} must be one of {', '.join(PAIR_LEVELS)}")
    analyst_db = Path(analyst_db)
    if not analyst_db.exists():
        raise FileNotFoundError(f"analyst database not found: {analyst_db} (run the pipeline first)")
    con = duckdb.connect(str(analyst_db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        present = _relations(con)
        missing = [t for t in ("daily_total", "daily_country", "daily_pair") if t not in present]
        if missing:
            raise ConfigError(
                f"{analyst_db} has no {', '.join(missing)}: run `newsmon daily` to compute the daily tables"
            )
        start = _history_start(con)
        window = [day - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
        history = max(0, (day - start).days) if start else 0
        facts = Facts(
            day=day,
            history_days=history,
            baseline_days=min(history, BASELINE_DAYS),
            total=_total(con, day),
            countries=_figures(con, "daily_country", "country", DEFAULT_COUNTRIES, day, window, start),
            pairs=_figures(
                con,
                "daily_pair",
                "pair",
                DEFAULT_PAIRS,
                day,
                window,
                start,
                extra=f"AND level = '{pair_level}'",
            ),
            pair_level=pair_level,
            trend_days=window,
        )
        facts.main, facts.main_kind = _pick_main(facts)
        if {"articles", "mentions", "article_countries"} <= present:
            _collect_stories(con, facts)
        if "feed_health" in present:
            facts.health = _feed_health(con, day)
        if {"daily_cooperation", "relations", "sentences"} <= present:
            facts.ties = _ties(con, day)
    finally:
        con.close()
    return facts


@dataclass
class Digest:
    day: date
    subject: str
    text: str
    html: str
    png: bytes
    facts: dict
    content_id: str  # the chart's Content-ID, without angle brackets; the HTML says src="cid:<this>"
    recipients: list[str] = field(default_factory=list)
    manage_url: str = ""  # digest.manage_url: a page where readers stop or change the digest (optional)

    def message(
        self, recipient: str, sender: str = DEFAULT_SENDER, message_id: str | None = None
    ) -> EmailMessage:
        """A multipart/alternative message: plain text, then HTML with the chart inline (multipart/related)."""
        msg = EmailMessage()
        msg["Subject"] = self.subject
        msg["From"] = sender
        msg["To"] = recipient
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id or digest_message_id(self.day, recipient, sender)
        msg["X-Newsmon-Digest-Day"] = self.day.isoformat()
        msg["Auto-Submitted"] = "auto-generated"
        # Mail clients show an unsubscribe button for this; the address is the sender's, the subject says why.
        unsubscribe = f"<mailto:{parseaddr(sender)[1] or 'newsmon@localhost'}?subject=unsubscribe>"
        msg["List-Unsubscribe"] = unsubscribe + (f", <{self.manage_url}>" if self.manage_url else "")
        msg["List-Id"] = "newsmon daily digest <digest.newsmon.localhost>"
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        msg.get_payload()[1].add_related(
            self.png,
            maintype="image",
            subtype="png",
            cid=f"<{self.content_id}>",
            filename=f"newsmon-trend-{self.day.isoformat()}.png",
            disposition="inline",
        )
        return msg

    def preview_html(self) -> str:
        """The HTML for a browser: the chart as a data: URI instead of the mail's Content-ID."""
        data = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        return self.html.replace(f"cid:{self.content_id}", data)


def build_digest(
    analyst_db: Path,
    day: date,
    recipients: list[str] | None = None,
    pair_level: str = DEFAULT_PAIR_LEVEL,
    manage_url: str = "",
) -> Digest:
    """Build the digest of one day from the analyst database (read-only). Never fails for lack of news.

    manage_url: where readers stop or change the digest (the footer names it, List-Unsubscribe carries it)."""
    facts = load_facts(analyst_db, day, pair_level)
    content_id = f"trend-{day.isoformat()}@newsmon"
    subject = make_subject(facts)
    png = render_chart(facts)
    return Digest(
        day=day,
        subject=subject,
        text=render_text(facts, subject, manage_url),
        html=render_html(facts, subject, content_id, manage_url),
        png=png,
        facts=facts.as_dict() | {"subject": subject},
        content_id=content_id,
        recipients=list(recipients or []),
        manage_url=manage_url,
    )


# ---------------------------------------------------------------------------------------------------- words


def _num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _baseline_phrase(facts: Facts) -> str:
    return f"{facts.baseline_days}-day mean"


def describe_change(f: Figure, facts: Facts) -> str:
    """'China-Russia co-mentions 3.1x their 28-day mean', or the honest version when there is no baseline."""
    whose = "their"
    if f.ratio is None:
        if f.stories and facts.baseline_days:
            return f"{f.noun}: {f.stories} stories, none in the previous {facts.baseline_days} days"
        return f"{f.noun}: {f.stories} stories, no baseline yet"
    if f.ratio < 1:
        return f"{f.noun} down to {f.ratio:.1f}x {whose} {_baseline_phrase(facts)}"
    return f"{f.noun} {f.ratio:.1f}x {whose} {_baseline_phrase(facts)}"


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def make_subject(facts: Facts) -> str:
    when = f"{facts.day.day} {facts.day:%b}"
    if facts.main_kind == "empty":
        headline = "No articles collected"
    elif facts.main_kind == "first_day":
        headline = f"First digest: {facts.total['stories']} stories, no baseline yet"
    elif facts.main_kind == "spike":
        headline = _capital(describe_change(facts.main, facts))
        others = len(facts.spikes) - 1
        if others:
            headline += f" (+{others} more spike{'s' if others > 1 else ''})"
    elif facts.main_kind == "move":
        headline = _capital(describe_change(facts.main, facts))
    else:
        headline = f"Quiet day: {facts.total['stories']} stories, nothing unusual"
    return f"{headline} · newsmon {when}"


def summary_sentences(facts: Facts) -> list[str]:
    t = facts.total
    if facts.main_kind == "empty":
        out = [f"No articles were collected for {facts.day:%A %d %B %Y}, so there is nothing to compare."]
        if t["feeds_failed"]:
            out.append(f"{t['feeds_failed']} feed fetches failed that day; see feed health below.")
        return out
    out = [
        f"{t['stories']} stories from {t['sources']} outlets "
        f"({t['articles']} articles, syndicated copies counted once as stories)."
    ]
    if facts.main_kind == "first_day":
        out.append(
            "This is the first day of history, so there is no baseline yet: figures are today's counts only."
        )
    elif facts.spikes:
        named = "; ".join(_spike_phrase(f, facts) for f in facts.spikes[:3])
        more = f"; and {len(facts.spikes) - 3} more in the table" if len(facts.spikes) > 3 else ""
        out.append(f"{len(facts.spikes)} spike{'s' if len(facts.spikes) > 1 else ''}: {named}{more}.")
    elif facts.main_kind == "move":
        out.append(f"No spikes. The biggest move: {describe_change(facts.main, facts)}.")
    else:
        out.append(f"No spikes and no big moves against the {_baseline_phrase(facts)}.")
    if 0 < facts.baseline_days < BASELINE_DAYS and facts.main_kind != "first_day":
        out.append(f"Baselines cover only the {facts.baseline_days} days of history so far.")
    return out


def _spike_phrase(f: Figure, facts: Facts) -> str:
    z = f", z {f.z_28d:+.1f}" if f.z_28d is not None else ""
    passing = f"; mentions only: {f.stories_about} of them about it" if f.mentions_only else ""
    return f"{f.noun} {f.stories} vs {_num(f.mean_28d)} a day ({_ratio_text(f)}{z}{passing})"


def _ratio_text(f: Figure) -> str:
    if f.ratio is None:  # "new": a baseline of zero; "–": no baseline at all yet
        return "new" if f.stories and f.mean_28d == 0 else "–"
    return f"{f.ratio:.1f}x"


def _section_title(f: Figure, facts: Facts) -> str:
    if f.spike:
        return f"Spike: {f.noun}"
    return f"Top stories: {f.name}"


# ---------------------------------------------------------------------------------------------------- text


def render_text(facts: Facts, subject: str, manage_url: str = "") -> str:
    lines = [f"newsmon daily digest, {facts.day:%A %d %B %Y} (UTC)", "", subject.rsplit(" · ", 1)[0], ""]
    lines += summary_sentences(facts) + [""]
    if facts.main_kind != "empty":
        lines.append(
            f"WHAT MOVED: stories today vs the {_baseline_phrase(facts)}"
            if facts.baseline_days
            else "TODAY: stories (no baseline yet)"
        )
        width = max(len(f.name) for f in facts.countries + facts.pairs) + 2
        for f in facts.countries + facts.pairs:
            mark = "  SPIKE" if f.spike else ""
            lines.append(
                f"  {f.name:<{width}}{f.stories:>5}   mean {_num(f.mean_28d):>5}   {_ratio_text(f):>5}{mark}"
            )
        lines.append(f"  (pairs: co-mentioned in the same {facts.pair_level})")
        if rule_needed(facts):
            lines.append(f"  {spike_rule()}")
        lines.append("")
    for key, stories in facts.stories.items():
        fig = _figure(facts, key)
        lines.append(_section_title(fig, facts).upper())
        if not stories:
            lines.append(f"- {ALREADY_LISTED}")
        for s in stories:
            copies = f" [{s.outlets} outlets]" if s.outlets > 1 else ""
            lines.append(f"- {s.outlet}: {s.headline}{copies}")
            if s.gloss:
                lines.append(f"  ({s.gloss})")
            if s.url:
                lines.append(f"  {s.url}")
            if s.evidence:
                lines.append(f'  "{s.evidence}"')
        lines.append("")
    if facts.ties:
        lines.append("HOW TIES MOVED: cooperation share of the relations between each pair (by stories)")
        for t in facts.ties:
            lines.append(f"  {t.line()}")
            for rel in t.relations:
                lines.append(f'  - {rel.line()}, {rel.outlet}: "{rel.evidence}"')
        lines.append("")
    lines.append(f"TREND: {_chart_caption(facts)} (chart in the HTML version)")
    lines += ["", facts.health.line(), "", _footer_text(facts, manage_url)]
    return "\n".join(lines) + "\n"


def _figure(facts: Facts, key: str) -> Figure:
    return next(f for f in facts.countries + facts.pairs if f.key == key)


def spike_rule() -> str:
    """The rule behind the SPIKE badge, in words, from the same constants the daily job uses."""
    from newsmon.aggregates import SPIKE_MIN_RATIO, SPIKE_MIN_STORIES, SPIKE_MIN_Z

    return (
        f"SPIKE: at least {SPIKE_MIN_STORIES} stories, {SPIKE_MIN_RATIO:g}x the mean or more, and "
        f"{SPIKE_MIN_Z:g} standard deviations above it; a big ratio on a small count (1 story against a mean "
        "of 0.1) is not a spike."
    )


def rule_needed(facts: Facts) -> bool:
    """The badge rule is shown when a badge is, or when a big ratio has none (42x on one story, say)."""
    from newsmon.aggregates import SPIKE_MIN_RATIO

    figures = facts.countries + facts.pairs
    return any(f.spike for f in figures) or any((f.ratio_28d or 0) >= SPIKE_MIN_RATIO for f in figures)


MANAGE_LINE = (
    "You receive this digest because your address is on this newsmon's digest list. To stop it, reply with "
    '"unsubscribe" or ask the person who runs it.'
)


def manage_line(manage_url: str = "") -> str:
    """Why the reader gets this and how to stop it: the manage page when there is one, else a reply."""
    if not manage_url:
        return MANAGE_LINE
    return (
        "You receive this digest because your address is on this newsmon's digest list. To stop it or change "
        f'where it goes: {manage_url} (or reply with "unsubscribe").'
    )


def digest_manage_url(settings: Settings | None = None, env: dict | None = None) -> str:
    """NEWSMON_DIGEST_MANAGE_URL, else settings.yaml digest.manage_url, else none; an http(s) address only."""
    from urllib.parse import urlsplit

    env = os.environ if env is None else env
    if env.get("NEWSMON_DIGEST_MANAGE_URL"):
        raw, origin = env["NEWSMON_DIGEST_MANAGE_URL"], "NEWSMON_DIGEST_MANAGE_URL"
    else:
        settings = settings or Settings.load()
        raw, origin = settings.section("digest").get("manage_url") or "", "settings.yaml digest.manage_url"
    url = str(raw).strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in ' <>,"'):
        raise ConfigError(f"digest manage_url {url!r} (from {origin}) must be an http:// or https:// address")
    return url


def _footer_html(facts: Facts, manage_url: str = "") -> str:
    """The footer, escaped, with the manage page as a link."""
    footer = _e(_footer_text(facts, manage_url))
    if manage_url:
        footer = footer.replace(_e(manage_url), f'<a href="{_e(manage_url)}">{_e(manage_url)}</a>', 1)
    return footer


def _footer_text(facts: Facts, manage_url: str = "") -> str:
    return (
        "How to read it: a story is one news event; copies of it in other outlets count once. The mean is the "
        f"average of the {facts.baseline_days or 'no'} days before this one. One digest a day. "
        + manage_line(manage_url)
    )


def _chart_caption(facts: Facts) -> str:
    if facts.main_kind == "empty" and not any(v for f in facts.countries for v in f.series if v):
        return "stories per day over the last 30 days: no articles in this period yet"
    if facts.history_days == 0:
        return "stories per day: first day of history, no trend yet"
    return "stories per day over the last 30 days, by country" + (
        f" and {facts.main.name} co-mentions" if facts.main and facts.main.kind == "pair" else ""
    )


# ---------------------------------------------------------------------------------------------------- HTML


FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK, MUTED, RULE, SPIKE_BG, SPIKE_INK = "#1f2937", "#6b7280", "#e5e7eb", "#fef3c7", "#92400e"


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _safe_href(url: str) -> str | None:
    """Only http(s) links go into href; anything else (javascript:, data:) is shown as text or dropped."""
    return url if re.match(r"^https?://", url or "", re.IGNORECASE) else None


def _section(title: str, body: str) -> str:
    return (
        f'<tr><td style="padding:18px 20px 4px;">'
        f'<h2 style="margin:0 0 8px;font-size:18px;line-height:1.3;color:{INK};">{_e(title)}</h2>'
        f"{body}</td></tr>"
    )


def _figures_table(facts: Facts) -> str:
    head_style = f"padding:6px 4px;font-size:13px;color:{MUTED};font-weight:normal;text-align:right;"
    base = _baseline_phrase(facts) if facts.baseline_days else "mean (none yet)"
    rows = [
        "<tr>"
        f'<th style="{head_style}text-align:left;">&nbsp;</th>'
        f'<th style="{head_style}">Today</th>'
        f'<th style="{head_style}">{_e(base.capitalize())}</th>'
        f'<th style="{head_style}">Change</th></tr>'
    ]
    for f in facts.countries + facts.pairs:
        bg = f"background:{SPIKE_BG};" if f.spike else ""
        weight = "font-weight:bold;" if f.spike else ""
        cell = f"padding:7px 4px;font-size:15px;border-top:1px solid {RULE};{bg}{weight}"
        badge = (
            f' <span style="font-size:11px;color:#ffffff;background:{SPIKE_INK};padding:1px 5px;'
            f'border-radius:3px;">SPIKE</span>'
            if f.spike
            else ""
        )
        label = _e(f.name) + (
            f' <span style="color:{MUTED};font-size:12px;">pair</span>' if f.kind == "pair" else ""
        )
        rows.append(
            f'<tr><td style="{cell}text-align:left;">{label}{badge}</td>'
            f'<td style="{cell}text-align:right;">{f.stories}</td>'
            f'<td style="{cell}text-align:right;color:{MUTED};">{_num(f.mean_28d)}</td>'
            f'<td style="{cell}text-align:right;">{_e(_ratio_text(f))}</td></tr>'
        )
    note = (
        f'<p style="margin:6px 0 0;font-size:12px;color:{MUTED};">Stories (syndicated copies count once). '
        f"Pairs: co-mentioned in the same {_e(facts.pair_level)}."
        f"{' ' + _e(spike_rule()) if rule_needed(facts) else ''}</p>"
    )
    table = (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;font-family:{FONT};color:{INK};">{"".join(rows)}</table>'
    )
    return table + note


def _stories_list(stories: list[Story]) -> str:
    items = []
    for s in stories:
        href = _safe_href(s.url)
        headline = (
            f'<a href="{_e(href)}" style="color:#1d4ed8;text-decoration:underline;">{_e(s.headline)}</a>'
            if href
            else _e(s.headline)
        )
        copies = f' <span style="color:{MUTED};">· {s.outlets} outlets</span>' if s.outlets > 1 else ""
        if s.gloss:
            headline += f'<div style="font-size:13px;color:{MUTED};">({_e(s.gloss)})</div>'
        evidence = (
            f'<div style="margin-top:3px;font-size:14px;line-height:1.45;color:#4b5563;font-style:italic;">'
            f"“{_e(s.evidence)}”</div>"
            if s.evidence
            else ""
        )
        items.append(
            f'<tr><td style="padding:8px 0;border-top:1px solid {RULE};font-size:15px;line-height:1.4;">'
            f'<div style="font-size:12px;color:{MUTED};text-transform:uppercase;letter-spacing:0.03em;">'
            f"{_e(s.outlet)}{copies}</div>{headline}{evidence}</td></tr>"
        )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;font-family:{FONT};color:{INK};">{"".join(items)}</table>'
    )


def _ties_html(ties: list[Tie]) -> str:
    parts = []
    for t in ties:
        rels = "".join(
            f'<div style="margin-top:4px;font-size:14px;line-height:1.45;">{_e(r.line())}, {_e(r.outlet)}: '
            f'<span style="color:#4b5563;font-style:italic;">“{_e(r.evidence)}”</span></div>'
            for r in t.relations
        )
        parts.append(
            f'<div style="padding:8px 0;border-top:1px solid {RULE};font-size:15px;line-height:1.4;">'
            f"{_e(t.line())}{rels}</div>"
        )
    return "".join(parts)


def render_html(facts: Facts, subject: str, content_id: str, manage_url: str = "") -> str:
    headline = subject.rsplit(" · ", 1)[0]
    summary = "".join(
        f'<p style="margin:0 0 8px;font-size:16px;line-height:1.5;">{_e(s)}</p>'
        for s in summary_sentences(facts)
    )
    sections = []
    if facts.main_kind != "empty":
        sections.append(_section("What moved", _figures_table(facts)))
    caption = _chart_caption(facts)
    chart = (
        f'<img src="cid:{_e(content_id)}" width="600" alt="{_e("Chart: " + caption)}" '
        f'style="display:block;width:100%;max-width:600px;height:auto;border:0;">'
        f'<p style="margin:4px 0 0;font-size:12px;color:{MUTED};">{_e(_capital(caption))}.</p>'
    )
    sections.append(_section("30-day trend", chart))
    for key, stories in facts.stories.items():
        body = (
            _stories_list(stories)
            if stories
            else f'<p style="margin:0;font-size:14px;color:{MUTED};">{_e(ALREADY_LISTED)}</p>'
        )
        sections.append(_section(_section_title(_figure(facts, key), facts), body))
    if facts.ties:
        sections.append(_section("How ties moved", _ties_html(facts.ties)))
    health = f'<p style="margin:0;font-size:14px;line-height:1.5;color:{INK};">{_e(facts.health.line())}</p>'
    sections.append(_section("Feed health", health))
    template = Template((TEMPLATES_DIR / "digest.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=_e(subject),
        preheader=_e(" ".join(summary_sentences(facts))),
        date_long=_e(f"{facts.day:%A %d %B %Y}"),
        headline=_e(headline),
        summary=summary,
        sections="\n".join(sections),
        footer=_footer_html(facts, manage_url),
        font=FONT,
        ink=INK,
        muted=MUTED,
        rule=RULE,
    )


# ---------------------------------------------------------------------------------------------------- chart


def _chart_series(facts: Facts) -> list[tuple[Figure, str, bool]]:
    """Few lines: the countries, plus the pair the digest is about (dashed)."""
    out = []
    for i, f in enumerate(facts.countries[:4]):
        out.append((f, COLOURS.get(f.key, EXTRA_COLOURS[i % len(EXTRA_COLOURS)]), False))
    if facts.main and facts.main.kind == "pair":
        out.append((facts.main, "#CC79A7", True))
    return out


def _spread_labels(values: list[float], gap: float) -> list[float]:
    """Nudge end-of-line label positions apart so direct labels never overlap."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = list(values)
    for prev, cur in zip(order, order[1:], strict=False):
        placed[cur] = max(placed[cur], placed[prev] + gap)
    return placed


def render_chart(facts: Facts) -> bytes:
    """A phone-readable PNG: large fonts, a few lines, direct labels at the line ends, today highlighted."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import MaxNLocator

    # 800x576 px shown ~340 px wide on a phone: 15 pt text still reads at about 14 px there.
    fig = MplFigure(figsize=(5.0, 3.6), dpi=160)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.11, right=0.72, top=0.87, bottom=0.14)
    ax = fig.add_subplot(111)
    n = len(facts.trend_days)
    xs = list(range(n))
    series = _chart_series(facts)
    known = [v for f, _, _ in series for v in f.series if v is not None]
    note = _chart_note(facts, known)
    top = max(known + [1.0])
    # With a note, the top third stays free for it, so it never sits on a line.
    ymax = top * (1.6 if note else 1.18)
    ax.set_ylim(0, ymax)
    ax.axvspan(n - 1.5, n - 0.5, color="#fde68a", alpha=0.6, lw=0)
    ends = []
    for f, colour, dashed in series:
        # No history at all: draw the flat zero line rather than nothing.
        ys = [math.nan if v is None else v for v in f.series] if known else [0.0] * n
        ax.plot(xs, ys, color=colour, lw=2.6, ls="--" if dashed else "-", solid_capstyle="round")
        if not math.isnan(ys[-1]):
            size = 11 if f.spike or facts.history_days == 0 else 6  # a lone first-day point must be seen
            ax.plot([xs[-1]], [ys[-1]], "o", color=colour, ms=size, mec="white", mew=1.5)
            ends.append((ys[-1], f, colour))
    label_y = _spread_labels([y for y, _, _ in ends], gap=ymax * 0.09)  # about one line of 15 pt text
    for (_, f, colour), y in zip(ends, label_y, strict=True):
        short = CHART_NAMES.get(f.key, f.name) if f.kind == "country" else f.key
        ax.annotate(
            f"{short} {f.stories}",
            xy=(1.02, y),
            xycoords=("axes fraction", "data"),
            fontsize=15,
            color=colour,
            fontweight="bold" if f.spike else "normal",
            va="center",
            annotation_clip=False,
        )
    ticks = list(range(n - 1, -1, -14))  # three dates: enough to place the line in time on a phone
    ax.set_xticks(ticks, [f"{facts.trend_days[i].day} {facts.trend_days[i]:%b}" for i in ticks], fontsize=13)
    ax.set_xlim(-0.5, n - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.tick_params(axis="y", labelsize=13)
    ax.grid(axis="y", color=RULE, lw=1)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("Stories per day, last 30 days", loc="left", fontsize=15, color=INK, pad=12)
    if note:
        ax.text(0.03, 0.96, note, transform=ax.transAxes, ha="left", va="top", fontsize=14, color=MUTED)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _chart_note(facts: Facts, known: list[float]) -> str:
    if not any(known):
        return "No articles in these 30 days"
    if facts.history_days == 0:
        return "First day of history:\nno baseline yet"
    if facts.main_kind == "empty":
        return "No articles on this day"
    if facts.history_days < TREND_DAYS - 1:  # say why the left of the chart is blank
        start = facts.day - timedelta(days=facts.history_days)
        return f"History starts {start.day} {start:%b}"
    return ""


# ---------------------------------------------------------------------------------------------------- delivery


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    login: str | None = None
    password: str | None = None
    sender: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0

    @classmethod
    def from_mapping(cls, d: dict) -> SmtpSettings:
        """From the plain dict the DAG builds out of the `smtp_default` connection (keys as in the fields,
        `from` accepted for `sender`)."""
        if not d.get("host"):
            raise ConfigError("SMTP settings need a host")
        use_ssl = _flag(d.get("ssl"), False)
        try:
            port = int(d.get("port") or (465 if use_ssl else 25))
            timeout = float(d.get("timeout") or 30.0)
        except (TypeError, ValueError):
            raise ConfigError(
                f"SMTP port {d.get('port')!r} or timeout {d.get('timeout')!r} is not a number"
            ) from None
        return cls(
            host=str(d["host"]),
            port=port,
            login=d.get("login") or None,
            password=d.get("password") or None,
            sender=d.get("sender") or d.get("from") or None,
            starttls=_flag(d.get("starttls"), False),
            ssl=use_ssl,
            timeout=timeout,
        )

    @classmethod
    def from_env(cls, env=None) -> SmtpSettings | None:
        """NEWSMON_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS/SSL/TIMEOUT; None when no host is set."""
        env = os.environ if env is None else env
        if not env.get("NEWSMON_SMTP_HOST"):
            return None
        keys = ("host", "port", "password", "from", "starttls", "ssl", "timeout")
        d = {k: env.get(f"NEWSMON_SMTP_{k.upper()}") for k in keys}
        d["login"] = env.get("NEWSMON_SMTP_USER") or env.get("NEWSMON_SMTP_LOGIN")
        return cls.from_mapping(d)


def _flag(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("0", "false", "no", "off")


def resolve_recipients(explicit=None, settings: Settings | None = None, env=None) -> list[str]:
    """Explicit addresses (CLI --to, the Airflow Variable), else NEWSMON_DIGEST_TO, else settings digest.to."""
    env = os.environ if env is None else env
    if explicit:
        raw, origin = explicit, "the given recipients"
    elif env.get("NEWSMON_DIGEST_TO"):
        raw, origin = env["NEWSMON_DIGEST_TO"], "NEWSMON_DIGEST_TO"
    else:
        settings = settings or Settings.load()
        raw, origin = settings.section("digest").get("to") or [], "settings.yaml digest.to"
    items = raw.split(",") if isinstance(raw, str) else [p for item in raw for p in str(item).split(",")]
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        _, addr = parseaddr(item)
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", addr or ""):
            raise ConfigError(f"digest recipient {item!r} (from {origin}) is not an email address")
        if addr.lower() not in (o.lower() for o in out):
            out.append(addr)
    return out


def digest_message_id(day: date, recipient: str, sender: str, forced_at: datetime | None = None) -> str:
    """Deterministic per day and recipient, so a resend after a crash carries the same id and mail clients
    fold it into the first; a forced resend gets a fresh one."""
    domain = (parseaddr(sender)[1].rpartition("@")[2] or "newsmon.localhost").strip() or "newsmon.localhost"
    who = hashlib.sha1(recipient.lower().encode()).hexdigest()[:12]
    suffix = f".{forced_at:%Y%m%d%H%M%S%f}" if forced_at else ""
    return f"<newsmon-digest.{day.isoformat()}.{who}{suffix}@{domain}>"


@dataclass
class SendReport:
    day: date
    subject: str | None = None
    delivered: list[dict] = field(default_factory=list)  # {recipient, status, message_id, path}
    skipped: list[str] = field(default_factory=list)  # already in the ledger
    failed: dict[str, str] = field(default_factory=dict)  # recipient -> why

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "subject": self.subject,
            "delivered": self.delivered,
            "skipped": self.skipped,
            "failed": self.failed,
        }


def _digest_lock(paths: Paths, timeout: float = LOCK_TIMEOUT):
    """One sender at a time on this machine, so two runs cannot both find a recipient missing and both send."""
    from newsmon.locking import exclusive_lock

    return exclusive_lock(paths.data_dir / "digest.lock", timeout, "the digest sender")


def ledger_recipients(paths: Paths, day: date) -> set[str]:
    from newsmon.warehouse import open_warehouse

    with open_warehouse(paths) as con:
        rows = con.execute("SELECT recipient FROM digest_ledger WHERE day = ?", [day]).fetchall()
    return {r[0] for r in rows}


def _record(paths: Paths, day: date, recipient: str, message_id: str, subject: str, status: str) -> None:
    from newsmon.warehouse import open_warehouse

    with open_warehouse(paths) as con:
        con.execute(
            """INSERT INTO digest_ledger VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (day, recipient) DO UPDATE SET message_id = excluded.message_id,
                   subject = excluded.subject, sent_at = excluded.sent_at, status = excluded.status""",
            [day, recipient.lower(), message_id, subject, datetime.now(UTC), status],
        )


def _sender(smtp: SmtpSettings | None, settings: Settings) -> str:
    return (
        (smtp.sender if smtp else None)
        or os.environ.get("NEWSMON_DIGEST_FROM")
        or settings.section("digest").get("from")
        or DEFAULT_SENDER
    )


def send_digest(
    paths: Paths | None,
    day: date,
    recipients=None,
    force: bool = False,
    outbox: str | os.PathLike | None = None,
    smtp: SmtpSettings | dict | None = None,
    settings: Settings | None = None,
) -> SendReport:
    """Deliver the digest of `day` to every recipient not yet in the ledger (all of them with force).

    SMTP settings: `smtp` (the DAG passes the Airflow connection), else NEWSMON_SMTP_*; with neither, or with
    `outbox`, the message is written as a .eml file. Raises DigestSendError after recording the successes when
    any recipient failed, so a retry sends to the missing ones only.
    """
    paths = paths or get_paths()
    settings = settings or Settings.load()
    smtp = SmtpSettings.from_mapping(smtp) if isinstance(smtp, dict) else (smtp or SmtpSettings.from_env())
    outbox_dir = Path(outbox) if outbox else (None if smtp else paths.outbox)
    to = resolve_recipients(recipients, settings)
    if not to:
        if outbox_dir is None:
            raise ConfigError(
                "no digest recipients: set NEWSMON_DIGEST_TO, the Airflow Variable newsmon_digest_to "
                "or digest.to in settings.yaml"
            )
        log.warning(
            "no digest recipients configured; writing the digest for %s to %s", OUTBOX_RECIPIENT, outbox_dir
        )
        to = [OUTBOX_RECIPIENT]
    report = SendReport(day=day)
    with _digest_lock(paths):
        done = set() if force else ledger_recipients(paths, day)
        report.skipped = [r for r in to if r.lower() in done]
        pending = [r for r in to if r.lower() not in done]
        if not pending:
            log.info("digest for %s already delivered to all %d recipients; nothing to send", day, len(to))
            return report
        level = settings.section("digest").get("pair_level") or DEFAULT_PAIR_LEVEL
        manage_url = digest_manage_url(settings)
        digest = build_digest(paths.analyst_db, day, pending, pair_level=level, manage_url=manage_url)
        report.subject = digest.subject
        sender = _sender(smtp, settings)
        forced_at = datetime.now(UTC) if force else None
        messages = [
            (r, digest.message(r, sender, digest_message_id(day, r, sender, forced_at))) for r in pending
        ]

        def accepted(recipient: str, msg: EmailMessage, status: str, where: str | None) -> None:
            _record(paths, day, recipient, msg["Message-ID"], digest.subject, status)
            report.delivered.append(
                {"recipient": recipient, "status": status, "message_id": msg["Message-ID"], "path": where}
            )

        if outbox_dir is not None:
            _write_outbox(outbox_dir, day, messages, accepted)
        else:
            report.failed = _smtp_deliver(smtp, sender, messages, accepted)
    if report.failed:
        raise DigestSendError(
            f"digest for {day} not accepted for {len(report.failed)} of {len(pending)} recipients: "
            + "; ".join(f"{r}: {why}" for r, why in report.failed.items())
        )
    log.info("digest for %s: %s", day, report.as_dict())
    return report


def _outbox_name(day: date, recipient: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9@._-]+", "_", recipient.lower())
    return f"digest-{day.isoformat()}-{safe}.eml"


def _write_outbox(directory: Path, day: date, messages, accepted: Callable) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for recipient, msg in messages:
        final = directory / _outbox_name(day, recipient)
        tmp = directory / f".{final.name}.tmp-{os.getpid()}"
        tmp.write_bytes(msg.as_bytes())
        os.replace(tmp, final)
        log.info("no SMTP server configured: digest for %s to %s written to %s", day, recipient, final)
        accepted(recipient, msg, "outbox", str(final))


def _smtp_connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
    if smtp.login and smtp.password:
        client.login(smtp.login, smtp.password)
    return client


def _smtp_deliver(smtp: SmtpSettings, sender: str, messages, accepted: Callable) -> dict[str, str]:
    """Send each recipient their own message over one connection; returns {recipient: why} for failures."""
    failed: dict[str, str] = {}
    envelope_from = parseaddr(sender)[1] or sender
    try:
        client = _smtp_connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        why = f"cannot reach SMTP server {smtp.host}:{smtp.port}: {exc}"
        return {r: why for r, _ in messages}
    try:
        for i, (recipient, msg) in enumerate(messages):
            try:
                refused = client.send_message(msg, from_addr=envelope_from, to_addrs=[recipient])
            except smtplib.SMTPRecipientsRefused as exc:
                failed[recipient] = "; ".join(
                    f"{c} {m.decode(errors='replace')}" for c, m in exc.recipients.values()
                )
                _reset(client)
                continue
            except smtplib.SMTPResponseException as exc:
                failed[recipient] = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                _reset(client)
                continue
            except (
                smtplib.SMTPException,
                OSError,
            ) as exc:  # connection lost: nobody after this got it either
                for r, _ in messages[i:]:
                    failed[r] = f"connection lost: {exc}"
                break
            if refused:
                failed[recipient] = str(refused)
                continue
            log.info("digest accepted by %s:%s for %s", smtp.host, smtp.port, recipient)
            accepted(recipient, msg, "sent", None)
    finally:
        with suppress(Exception):
            client.quit()
    return failed


def _reset(client: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPException, OSError):
        client.rset()


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------------------------------------------- CLI


def yesterday_utc(now: datetime | None = None) -> date:
    """The last complete UTC day relative to `now`."""
    now = now or datetime.now(UTC)
    return (now.astimezone(UTC) - timedelta(days=1)).date()


def parse_day(raw: str, what: str = "day") -> date:
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not a date (YYYY-MM-DD)") from None


def check_digest_day(day: date, now: datetime | None = None) -> None:
    """A digest speaks of a day that has happened: a future day is refused, today gets a warning."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    if day > today:
        raise ConfigError(
            f"--date {day} is in the future (today is {today} UTC); the digest describes a day that has ended"
        )
    if day == today:
        print(
            f"newsmon digest: warning: {day} is today (UTC) and not over yet; its figures are partial",
            file=sys.stderr,
        )


def cli_digest(args) -> int:
    """newsmon digest --date D [--to ADDR] [--force] [--outbox DIR] [--preview FILE.html]"""
    day = parse_day(args.date, "--date") if getattr(args, "date", None) else yesterday_utc()
    check_digest_day(day)
    paths = get_paths()
    settings = Settings.load()
    if getattr(args, "preview", None):
        level = settings.section("digest").get("pair_level") or DEFAULT_PAIR_LEVEL
        digest = build_digest(
            paths.analyst_db, day, args.to, pair_level=level, manage_url=digest_manage_url(settings)
        )
        out = Path(args.preview)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(digest.preview_html(), encoding="utf-8")
        print(f"{digest.subject}\npreview written to {out}")
        return 0
    try:
        report = send_digest(
            paths, day, recipients=args.to, force=args.force, outbox=args.outbox, settings=settings
        )
    except DigestSendError as exc:
        print(f"newsmon digest: {exc}", file=sys.stderr)
        return 1
    for d in report.delivered:
        where = f" -> {d['path']}" if d["path"] else ""
        print(f"{d['status']}: {d['recipient']}{where}")
    for r in report.skipped:
        print(f"already sent: {r} (use --force to send again)")
    if report.subject:
        print(f"subject: {report.subject}")
    return 0
