"""Data-quality gates: checks that fail an ingest run visibly when something is wrong in bulk.

`check_ingest(con, run_id=..., since=...)` runs every gate over the articles of one run (or since a time) and
raises `QualityGateFailed` listing each failed gate with what to look at. It only reads, so it works on the
warehouse or on the analyst database; the ingest DAG runs it on the analyst database (`check_analyst_db`, opened
by newsmon.reader, whose named queries the gates ask). Thresholds come from the `quality:` section of
settings.yaml.

Gates:
- `no_articles`: every feed of the run failed, or no article at all arrived from any feed for `no_articles_hours`;
- `extraction`: too many articles fell back to the feed's summary because the page could not be used;
- `future_dates`: articles dated in the future (a feed or page giving a wrong timezone or format);
- `mojibake`: text decoded with the wrong character set: UTF-8 read as Latin-1, cp1251, KOI8, cp866 or MacRoman
  ("Ã©", "â€™", "РџСЂРёРІРµС‚", "п÷п╟", "ä¸­"), GBK or cp1251 read as Latin-1 ("ÖÐ¹ú"), U+FFFD;
- `mentions`: mentions collapsing to zero against the previous days (a broken watchlist or tagger).
- `batches`: staged batches the loader could not read and set aside in staging/failed/ (until handled).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta

import duckdb

from newsmon import reader
from newsmon.config import ConfigError, Settings

log = logging.getLogger(__name__)

# UTF-8 read as Latin-1/cp1252 turns é into "Ã©", ' into "â€™", Cyrillic о into "Ð¾"; U+FFFD marks bytes that
# could not be decoded at all. RE2 syntax (DuckDB's regexp functions).
MOJIBAKE_RE = (
    r"(?:Ã|Â|Ð|Ñ|â€)[\x{80}-\x{bf}\x{152}-\x{17e}\x{2c6}\x{2dc}\x{2013}-\x{203a}\x{20ac}\x{2122}]|\x{fffd}"
)
MOJIBAKE_MIN_HITS = 2  # per article: one odd pair can be a real name; two is a decoding error


def _chars(codec: str, first: int, last: int, keep: str = "") -> str:
    """An RE2 class body: the characters bytes first..last become when read as `codec`, less those in `keep`."""
    found = set()
    for byte in range(first, last + 1):
        try:
            found.add(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            continue
    return "".join(f"\\x{{{ord(c):x}}}" for c in sorted(found - set(keep)))


# Letters and marks real Russian and Ukrainian text has where misread UTF-8 has its second byte.
_REAL_CYRILLIC = "ЁёІіЇїЄєҐґ«»\xa0\xad"
# Symbols that appear between or beside Cyrillic letters only when legacy bytes were read with the wrong table
# (cp866 as cp1251, KOI8 as Mac Cyrillic ...). Not: quotes, °, №, superscripts (м²), §, ·, soft hyphen.
_ODD_SYMBOLS = _chars("latin-1", 0xA1, 0xBF, keep="«»\xad°²³¹§·") + "".join(
    f"\\x{{{ord(c):x}}}" for c in "†‡•‰™≈≠≤≥∞÷∂∑∏√∫∆◊Ω"
)
# Misreadings that show as odd pairs wherever they occur: any two in an article are a decoding error.
MOJIBAKE_SPARSE_RE = "|".join(
    [
        MOJIBAKE_RE,
        # a 3-byte UTF-8 character (Chinese, Japanese, curly quotes) read as Latin-1/cp1252: 中 -> "ä¸­"
        f"[{_chars('latin-1', 0xE0, 0xEF)}][{_chars('cp1252', 0x80, 0xBF)}{_chars('latin-1', 0x80, 0x9F)}]{{2}}",
        # UTF-8 read as KOI8-R/U or cp866/cp1125: Cyrillic and Chinese turn into letters among box drawing
        r"\p{L}[\x{2500}-\x{259f}]|[\x{2500}-\x{259f}]\p{L}",
    ]
)
# Misreadings whose pairs real text also has now and then ("Рі" in Ukrainian): they count only when dense.
MOJIBAKE_DENSE_RE = "|".join(
    [
        # UTF-8 Cyrillic read as cp1251: Привет -> "РџСЂРёРІРµС‚"
        f"[РС][{_chars('cp1251', 0x80, 0xBF, keep=_REAL_CYRILLIC)}]",
        # UTF-8 Chinese read as cp1251: 中 -> "дё­"
        f"[{_chars('cp1251', 0xE0, 0xEF)}][{_chars('cp1251', 0x80, 0xBF, keep=_REAL_CYRILLIC)}]{{2}}",
        # UTF-8 Cyrillic read as MacRoman or Mac Cyrillic: Привет -> "–ü—Ä–∏–≤–µ—Ç"
        f"[–—][{_chars('mac_roman', 0x80, 0xBF)}{_chars('mac_cyrillic', 0x80, 0xBF)}]",
        # UTF-8 Chinese read as MacRoman: 中 -> "‰∏≠"
        f"[{_chars('mac_roman', 0xE0, 0xEF)}][{_chars('mac_roman', 0x80, 0xBF)}]{{2}}",
        # GBK, Big5, cp1251 or KOI8 text read as Latin-1/cp1252: 中国 -> "ÖÐ¹ú", Привет -> "Ïðèâåò"
        f"[{_chars('cp1252', 0x80, 0xFF)}{_chars('latin-1', 0x80, 0x9F)}]{{4}}",
        # cp1251 and KOI8 read as each other scramble the case inside words: "рБТПНОПЕ"
        "[а-яё][А-ЯЁ]{2}",
        rf"\p{{Cyrillic}}[{_ODD_SYMBOLS}]|[{_ODD_SYMBOLS}]\p{{Cyrillic}}",
    ]
)
MOJIBAKE_DENSE_SHARE = 0.03  # dense hits per character of a title or text (misread Russian: about 0.4)


@dataclass
class QualitySettings:
    no_articles_hours: float = 24.0  # fail when no article arrived from any feed for this long
    max_extraction_failure_rate: float = 0.5  # share of articles that fell back to the feed summary
    min_articles_for_rates: int = 20  # rates are judged only over at least this many articles
    future_tolerance_hours: float = 6.0
    max_future_articles: int = 0
    max_mojibake_share: float = 0.02
    mention_history_days: int = 7
    mention_min_expected: float = 8.0  # expected mentioning articles before zero counts as a collapse

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> QualitySettings:
        raw = (settings or Settings.load()).section("quality")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"settings.yaml quality: unknown keys {unknown}; known: {sorted(known)}")
        values = {}
        for key, value in raw.items():
            kind = type(cls.__dataclass_fields__[key].default)
            try:
                values[key] = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"settings.yaml quality.{key}: {value!r} is not a {kind.__name__}"
                ) from None
        return cls(**values)


@dataclass
class GateResult:
    name: str
    ok: bool
    message: str  # what was measured; on failure, what to look at
    figures: dict = field(default_factory=dict)


@dataclass
class QualityReport:
    scope: str  # "run <id>" or "since <time>"
    articles: int
    gates: list[GateResult]

    @property
    def failures(self) -> list[GateResult]:
        return [g for g in self.gates if not g.ok]

    def as_dict(self) -> dict:
        return {
            "scope": self.scope,
            "articles": self.articles,
            "gates": {g.name: {"ok": g.ok, "message": g.message, **g.figures} for g in self.gates},
        }


class QualityGateFailed(RuntimeError):
    """One or more gates failed; the message lists each with what to look at."""

    def __init__(self, report: QualityReport):
        self.report = report
        lines = [f"{len(report.failures)} data-quality gate(s) failed for {report.scope}:"]
        lines += [f"  [{g.name}] {g.message}" for g in report.failures]
        super().__init__("\n".join(lines))


@dataclass
class _Scope:
    label: str
    start: datetime  # articles fetched at or after this time belong to the scope
    run_id: str | None


def check_ingest(
    con: duckdb.DuckDBPyConnection,
    run_id: str | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
    settings: QualitySettings | None = None,
) -> QualityReport:
    """Run every gate over one run's articles (or those fetched since a time). Raises QualityGateFailed."""
    now = _utc(now or datetime.now(UTC))
    qs = settings or QualitySettings.from_settings()
    scope = _scope(con, run_id, since, now)
    n = reader.articles_fetched(con, scope.start, now)
    gates = [
        _no_articles(con, scope, now, qs),
        _extraction(con, scope, now, qs, n),
        _future_dates(con, scope, now, qs),
        _mojibake(con, scope, now, qs, n),
        _mentions(con, scope, now, qs, n),
        _failed_batches(con),
    ]
    report = QualityReport(scope.label, n, gates)
    for g in gates:
        log.info("quality gate %s: %s: %s", g.name, "ok" if g.ok else "FAILED", g.message)
    if report.failures:
        raise QualityGateFailed(report)
    return report


def _scope(con, run_id: str | None, since: datetime | None, now: datetime) -> _Scope:
    if run_id is not None:
        start = reader.run_start(con, run_id)
        if start is None:  # no feed was due in this run: only the look-back gates have anything to judge
            return _Scope(f"run {run_id} (no feeds fetched)", now, run_id)
        # Articles of a run are fetched after its feeds; a minute of slack covers clock steps between shards.
        return _Scope(f"run {run_id}", _utc(start) - timedelta(minutes=1), run_id)
    if since is None:
        raise ValueError("check_ingest needs run_id or since")
    return _Scope(f"articles fetched since {_utc(since):%Y-%m-%d %H:%M} UTC", _utc(since), None)


def _no_articles(con, scope: _Scope, now: datetime, qs: QualitySettings) -> GateResult:
    if scope.run_id is not None:
        statuses = reader.run_fetch_statuses(con, scope.run_id)
        fetched = sum(n for s, n in statuses.items() if s not in ("not_due", "retired"))
        if fetched and statuses.get("failed", 0) == fetched:
            return GateResult(
                "no_articles",
                False,
                f"all {fetched} feeds fetched in this run failed: look at the network and proxy settings of "
                "the workers, then `newsmon feeds` and the fetch_shard logs for the errors.",
                {"feeds_failed": fetched},
            )
    window = now - timedelta(hours=qs.no_articles_hours)
    recent = reader.articles_since(con, window)
    feeds = reader.feeds_fetched_since(con, window)
    if recent == 0 and feeds[0] > 0:
        return GateResult(
            "no_articles",
            False,
            f"no article arrived from any of {feeds[0]} feeds in the last {qs.no_articles_hours:g} h "
            f"({feeds[1]} failed fetches): look at feed health on the News monitor page, the fetch_shard logs "
            "and `newsmon feeds`.",
            {"articles_window": 0, "feeds": feeds[0]},
        )
    return GateResult(
        "no_articles",
        True,
        f"{recent} articles in the last {qs.no_articles_hours:g} h",
        {"articles_window": recent},
    )


def _extraction(con, scope: _Scope, now: datetime, qs: QualitySettings, n: int) -> GateResult:
    failed = reader.summary_fallbacks(con, scope.start, now)
    rate = failed / n if n else 0.0
    figures = {"fallbacks": failed, "rate": round(rate, 3)}
    if n < qs.min_articles_for_rates or rate <= qs.max_extraction_failure_rate:
        return GateResult("extraction", True, f"{failed} of {n} articles used the feed summary", figures)
    reasons = reader.fallback_reasons(con, scope.start, now)
    feeds = reader.fallback_feeds(con, scope.start, now)
    return GateResult(
        "extraction",
        False,
        f"{rate:.0%} of {n} articles fell back to the feed summary (limit {qs.max_extraction_failure_rate:.0%}); "
        f"reasons: {_pairs(reasons)}; worst feeds: {', '.join(f'{f} {a}/{b}' for f, a, b in feeds)}. "
        "Look at the page fetches (blocked, timeouts, robots) and the extractor in the fetch_shard logs.",
        figures,
    )


def _future_dates(con, scope: _Scope, now: datetime, qs: QualitySettings) -> GateResult:
    limit = now + timedelta(hours=qs.future_tolerance_hours)
    rows = reader.future_dated(con, scope.start, now, limit)
    if len(rows) <= qs.max_future_articles:
        return GateResult(
            "future_dates", True, f"{len(rows)} articles dated in the future", {"future": len(rows)}
        )
    examples = "; ".join(
        f"{feed} {url} dated {_utc(ts):%Y-%m-%d %H:%M} (from {src})" for feed, url, ts, src in rows[:3]
    )
    return GateResult(
        "future_dates",
        False,
        f"{len(rows)} articles are dated after {limit:%Y-%m-%d %H:%M} UTC, e.g. {examples}. "
        "Look at those feeds' date format and timezone, and at newsmon.pipeline.choose_published.",
        {"future": len(rows)},
    )


def _mojibake(con, scope: _Scope, now: datetime, qs: QualitySettings, n: int) -> GateResult:
    rows = reader.mojibake_articles(
        con, scope.start, now, MOJIBAKE_SPARSE_RE, MOJIBAKE_DENSE_RE, MOJIBAKE_MIN_HITS, MOJIBAKE_DENSE_SHARE
    )
    share = len(rows) / n if n else 0.0
    figures = {"mojibake": len(rows), "share": round(share, 3)}
    if not rows or share <= qs.max_mojibake_share:
        return GateResult("mojibake", True, f"{len(rows)} of {n} articles show mojibake", figures)
    by_feed: dict[str, int] = {}
    for feed, _, _ in rows:
        by_feed[feed] = by_feed.get(feed, 0) + 1
    worst = sorted(by_feed.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return GateResult(
        "mojibake",
        False,
        f"{len(rows)} of {n} articles ({share:.0%}, limit {qs.max_mojibake_share:.0%}) contain mis-decoded "
        f"text such as 'Ã©', 'â€™', 'РџСЂ' or 'ä¸­', mostly from {_pairs(worst)}; e.g. {rows[0][1]}. Look at the charset "
        "those sites declare (HTTP header, meta tag) and newsmon.extract.decode_html.",
        figures,
    )


def _mentions(con, scope: _Scope, now: datetime, qs: QualitySettings, n: int) -> GateResult:
    history_start = scope.start - timedelta(days=qs.mention_history_days)
    now_rows = reader.mentioning_articles(con, scope.start, now)
    past_n, past = reader.mentioning_articles_before(con, history_start, scope.start)
    collapsed = []
    for country, past_count in past:
        expected = n * past_count / past_n if past_n else 0.0
        if expected >= qs.mention_min_expected and now_rows.get(country, 0) == 0:
            collapsed.append((country, past_count / past_n, expected))
    figures = {"mentioning": dict(sorted(now_rows.items()))}
    if not collapsed:
        return GateResult(
            "mentions", True, f"articles mentioning each country: {_pairs(sorted(now_rows.items()))}", figures
        )
    detail = ", ".join(
        f"{c}: 0 articles, expected about {e:.0f} ({s:.0%} of articles before)" for c, s, e in collapsed
    )
    return GateResult(
        "mentions",
        False,
        f"mentions collapsed to zero over {n} articles: {detail}, against the previous "
        f"{qs.mention_history_days} days. Look at the watchlist file and its version, and the tagger "
        "(`newsmon tag` on a sample article).",
        figures,
    )


def _pairs(items) -> str:
    return ", ".join(f"{k} ({v})" for k, v in items) or "none"


def _failed_batches(con) -> GateResult:
    rows = reader.failed_batch_rows(con)
    if not rows:
        return GateResult("batches", True, "every staged batch was loaded", {"failed_batches": 0})
    listed = "; ".join(f"{name} ({reason})" for name, reason in rows[:3]) + (" ..." if len(rows) > 3 else "")
    return GateResult(
        "batches",
        False,
        f"{len(rows)} staged batches could not be loaded and are in staging/failed/: {listed}. Their articles "
        "are missing: repair a batch and move it back to staging/, or delete it to accept the loss.",
        {"failed_batches": len(rows)},
    )


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def check_analyst_db(db_path, run_id: str | None = None, since: datetime | None = None) -> QualityReport:
    """check_ingest over the analyst database, opened read-only through newsmon.reader and closed afterwards."""
    con = reader.open_analyst(db_path)
    try:
        return check_ingest(con, run_id=run_id, since=since)
    finally:
        con.close()
