"""The digest's facts: what the analyst database says about one day, as plain dataclasses.

`load_facts` opens the analyst database read-only through newsmon.reader (which holds the SQL) and returns a
`Facts`: the day's totals, each country's and pair's stories against its trailing baseline, the spikes, the top
stories behind them with a sentence each, how ties moved, and feed health. The chart and both text parts of the
mail are made from these facts only.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from newsmon import reader
from newsmon.config import ConfigError

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
TIE_RELATIONS = 2  # strongest relations shown per pair


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


def _trailing_mean(series: list[float | None], n: int) -> float | None:
    """Mean of the n values before the last one, skipping days before history began."""
    before = [v for v in series[:-1][-n:] if v is not None] if n else []
    return sum(before) / len(before) if before else None


def _figures(
    con, kind: str, defaults: tuple[str, ...], day: date, window: list[date], start, level: str | None = None
) -> list[Figure]:
    by_key: dict[str, dict[date, dict]] = {k: {} for k in defaults}
    for r in reader.daily_rows(con, kind, window[0], window[-1], level):
        by_key.setdefault(r["key"], {})[r["day"]] = r
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
    keys = ("articles", "stories", "sources", "feeds_ok", "feeds_failed")
    row = reader.day_total(con, day)
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


def _top_stories(con, day: date, fig: Figure, level: str, exclude: set[str], limit: int) -> list[Story]:
    """The day's biggest stories for a country or pair, without those already listed."""
    codes = fig.key.split("-")
    rows = reader.lead_stories(con, day, fig.key, level, limit + len(exclude))
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
    rows = reader.evidence_rows(con, article_ids, codes)
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


# ---------------------------------------------------------------------------------------------------- ties, feeds


def _ties(con, day: date) -> list[Tie]:
    """Pairs with relations on `day`: the cooperation share against its baseline, and the strongest relations
    (most stories) with one sentence each, from the outlet whose story has most copies."""
    ties = []
    for r in reader.cooperation_rows(con, day):
        tie = Tie(r["pair"], r["cooperation_stories"], r["conflict_stories"], r["share"], r["share_28d"])
        for rel in reader.strongest_relations(con, day, tie.pair, TIE_RELATIONS):
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
    rows = reader.feed_health_rows(con)
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
    con = reader.open_analyst(analyst_db)
    try:
        return reader.any_articles(con)
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
    con = reader.open_analyst(analyst_db)
    try:
        present = reader.table_names(con)
        missing = [
            t for t in ("daily_total", "daily_country", "daily_pair", "daily_series") if t not in present
        ]
        if missing:
            raise ConfigError(
                f"{analyst_db} has no {', '.join(missing)}: run `newsmon daily` to compute the daily tables"
            )
        start = reader.history_start(con)
        window = [day - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
        history = max(0, (day - start).days) if start else 0
        facts = Facts(
            day=day,
            history_days=history,
            baseline_days=min(history, BASELINE_DAYS),
            total=_total(con, day),
            countries=_figures(con, "country", DEFAULT_COUNTRIES, day, window, start),
            pairs=_figures(con, "pair", DEFAULT_PAIRS, day, window, start, level=pair_level),
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
