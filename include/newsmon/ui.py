"""The News monitor page: data from the analyst database, rendered as one self-contained HTML page.

The Airflow plugin (plugins/newsmon_plugin.py) only handles routing and authentication and calls `render_page`.
Everything here is plain Python: it reads the analyst database through newsmon.reader (read-only, one connection
per request, closed before returning) and the digest outbox folder; the HTML comes from templates/page.html and
the charts, inline SVG, from templates/chart.svg (Jinja2, autoescaped), so the page fetches nothing from anywhere
and works offline.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from markupsafe import Markup

from newsmon import reader
from newsmon.config import Paths
from newsmon.templating import render

TREND_DAYS = 30
STORY_DAYS = 2  # top stories: the latest day with figures and the day before
PAIR_LEVELS = ("sentence", "paragraph", "article")
DEFAULT_PAIR_LEVEL = "sentence"
COLORS = {
    "CN": "#d62728",
    "RU": "#1f77b4",
    "US": "#2ca02c",
    "CN-RU": "#9467bd",
    "CN-US": "#ff7f0e",
    "RU-US": "#17becf",
    "CN-RU-US": "#8c564b",
}
OTHER_COLORS = ("#e377c2", "#7f7f7f", "#bcbd22", "#393b79", "#637939")


@dataclass
class PageData:
    db_path: str
    generated_at: datetime
    published_at: datetime | None = None  # when the analyst database file was last replaced
    pair_level: str = DEFAULT_PAIR_LEVEL
    day: date | None = None  # the latest day with figures (may be today, not over yet)
    figures_day: date | None = None  # the day of the figures table: the last complete UTC day with figures
    history_days: int | None = None  # days of history the figures' baselines really cover (at most 28)
    failing_after: int = 3  # consecutive failures before a feed is flagged and operators are mailed
    hidden_feeds: int = 0  # feeds with health rows that the last run's feed list no longer has
    days: list[date] = field(default_factory=list)
    country_series: dict[str, list[float | None]] = field(default_factory=dict)  # stories per day
    pair_series: dict[str, list[float | None]] = field(default_factory=dict)
    spikes: dict[str, list[bool]] = field(default_factory=dict)
    today: list[dict] = field(default_factory=list)  # country and pair figures of `day` against baseline
    totals: dict = field(default_factory=dict)
    stories: list[dict] = field(default_factory=list)
    feeds: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    digest: dict | None = None
    missing: list[str] = field(default_factory=list)  # sections whose tables are not published yet

    def as_dict(self) -> dict:
        def iso(v):
            return v.isoformat() if isinstance(v, date | datetime) else v

        def clean(rows: list[dict]) -> list[dict]:
            return [{k: iso(v) for k, v in r.items()} for r in rows]

        return {
            "db_path": self.db_path,
            "generated_at": iso(self.generated_at),
            "published_at": iso(self.published_at),
            "pair_level": self.pair_level,
            "day": iso(self.day),
            "figures_day": iso(self.figures_day),
            "history_days": self.history_days,
            "hidden_feeds": self.hidden_feeds,
            "days": [d.isoformat() for d in self.days],
            "country_series": self.country_series,
            "pair_series": self.pair_series,
            "today": clean(self.today),
            "totals": {k: iso(v) for k, v in self.totals.items()},
            "stories": clean(self.stories),
            "feeds": clean(self.feeds),
            "flags": self.flags,
            "alerts": clean(self.alerts),
            "digest": {k: iso(v) for k, v in self.digest.items()} if self.digest else None,
            "missing": self.missing,
        }


# ---------------------------------------------------------------------------------------------------- data


def load_page_data(
    paths: Paths, now: datetime | None = None, pair_level: str = DEFAULT_PAIR_LEVEL
) -> PageData:
    """Everything the page shows. Opens the analyst database read-only and closes it before returning."""
    if pair_level not in PAIR_LEVELS:
        raise ValueError(f"pair level must be one of {', '.join(PAIR_LEVELS)}, not {pair_level!r}")
    now = now or datetime.now(UTC)
    db = paths.analyst_db
    data = PageData(str(db), now, pair_level=pair_level)
    if db.exists():
        data.published_at = datetime.fromtimestamp(db.stat().st_mtime, UTC)
        con = reader.open_analyst(db)
        try:
            tables = reader.table_names(con)
            _load_trends(con, data, tables, now)
            _load_stories(con, data, tables)
            _load_health(con, data, tables, now, paths)
            data.digest = _latest_digest(con, paths.outbox, tables)
        finally:
            con.close()
    else:
        data.missing.append("analyst database")
        data.digest = _latest_digest(None, paths.outbox, set())
    return data


def _load_trends(con, data: PageData, tables: set[str], now: datetime) -> None:
    if not {"daily_country", "daily_pair", "daily_series"} <= tables:
        data.missing.append("daily tables")
        return
    last = reader.last_figures_day(con)
    if last is None:
        data.missing.append("daily tables")
        return
    data.day = last
    data.days = [last - timedelta(days=i) for i in range(TREND_DAYS - 1, -1, -1)]
    start = data.days[0]
    # the first day with articles: earlier days are drawn as a gap, not as zero
    first = reader.history_start(con) if "daily_total" in tables else None
    _fill_series(data, data.country_series, reader.daily_rows(con, "country", start, last), first)
    _fill_series(data, data.pair_series, reader.daily_rows(con, "pair", start, last, data.pair_level), first)
    # The figures table speaks of a day that is over: today's rows (if any) are partial, so the last complete
    # day is shown, and named; only when nothing else exists is the partial day shown, labelled as such.
    complete = reader.last_figures_day(con, before=now.astimezone(UTC).date())
    data.figures_day = complete or last
    figures = reader.figures_of_day(con, data.figures_day, data.pair_level)
    data.today = [{k: v for k, v in r.items() if k != "history_days"} for r in figures]
    data.history_days = max((r["history_days"] or 0 for r in figures), default=0)
    if "daily_total" in tables:
        data.totals = reader.totals_of_day(con, data.figures_day)


def _fill_series(data: PageData, target: dict, rows: list[dict], first: date | None) -> None:
    """Stories per day; a day without a row is 0, a day before the history starts is a gap (None)."""
    index = {d: i for i, d in enumerate(data.days)}
    blank = [None if first is not None and d < first else 0.0 for d in data.days]
    for r in rows:
        series = target.setdefault(r["key"], list(blank))
        marks = data.spikes.setdefault(r["key"], [False] * len(data.days))
        series[index[r["day"]]] = float(r["stories"])
        marks[index[r["day"]]] = bool(r["spike"])


def _load_stories(con, data: PageData, tables: set[str], limit: int = 10) -> None:
    if "articles" not in tables:
        data.missing.append("articles")
        return
    day = data.day or reader.last_article_day(con)
    if day is None:
        return
    data.stories = reader.recent_stories(con, day - timedelta(days=STORY_DAYS - 1), day, limit)


def _load_health(con, data: PageData, tables: set[str], now: datetime, paths: Paths) -> None:
    if "feed_health" not in tables:
        data.missing.append("feed health")
        return
    has_articles = "articles" in tables
    rows = reader.feed_health_rows(con, week=(now - timedelta(days=7), now) if has_articles else None)
    # The page's row: the columns it shows, in this order, the last status named plain `status`.
    keys = ("feed", "source", "status", "last_success_at", "last_new_item_at", "consecutive_failures")
    keys += ("items_per_day", "last_error", "retired")
    feeds = [{k: r["last_status" if k == "status" else k] for k in keys} for r in rows]
    from newsmon.feedlist import listed_feed_names
    from newsmon.health import HealthSettings

    listed = listed_feed_names(paths)  # the feed list of the last run; None when no run recorded one
    data.feeds = [f for f in feeds if listed is None or f["feed"] in listed]
    data.hidden_feeds = len(feeds) - len(data.feeds)
    data.failing_after = HealthSettings.from_settings().failing_after
    if has_articles:
        from newsmon.health import feed_flags, latest_alerts

        shown = {f["feed"] for f in data.feeds}
        data.flags = [f.as_dict() for f in feed_flags(con, now) if f.feed in shown]
        data.alerts = latest_alerts(con, (now - timedelta(days=7)).date())
    flagged: dict[str, list[str]] = {}
    for f in data.flags:
        flagged.setdefault(f["feed"], []).append(f["kind"])
    for feed in data.feeds:
        feed["flags"] = flagged.get(feed["feed"], [])


def _latest_digest(con, outbox: Path, tables: set[str]) -> dict | None:
    """The newest digest: the latest .eml in the outbox, or the newest ledger row when mail went out by SMTP."""
    files = sorted(outbox.glob("digest-*.eml"), key=lambda p: p.stat().st_mtime) if outbox.exists() else []
    ledger = None
    if con is not None and "digest_ledger" in tables:
        ledger = reader.latest_ledger_row(con)
    newest_file = files[-1] if files else None
    if newest_file is not None:
        file_time = datetime.fromtimestamp(newest_file.stat().st_mtime, UTC)
        if ledger is None or ledger[2] is None or file_time >= ledger[2]:
            return _digest_from_file(newest_file, file_time)
    if ledger is not None:
        day, subject, sent_at, status, recipients = ledger
        return {
            "source": "ledger",
            "day": day,
            "subject": subject,
            "sent_at": sent_at,
            "status": status,
            "recipients": recipients,
            "text": None,
        }
    return None


def _digest_from_file(path: Path, file_time: datetime) -> dict:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    return {
        "source": "outbox",
        "file": path.name,
        "subject": str(msg["Subject"] or ""),
        "sent_at": file_time,
        "status": "outbox",
        "text": text,
    }


# ---------------------------------------------------------------------------------------------------- charts


def line_chart_svg(
    title: str,
    days: list[date],
    series: dict[str, list[float | None]],
    spikes: dict[str, list[bool]] | None = None,
    width: int = 620,
    height: int = 240,
    level: str = DEFAULT_PAIR_LEVEL,
) -> str:
    """A line chart as inline SVG (templates/chart.svg): one line per series, a ring on spike days, a legend."""
    left, right, top, bottom = 44, 96, 26, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series.values() for v in s if v is not None]
    peak = _nice_ceiling(max(values, default=0.0))
    n = max(len(days), 2)

    def x(i: int) -> str:
        return f"{left + plot_w * i / (n - 1):.1f}"

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    lines = []
    for j, (name, points) in enumerate(sorted(series.items())):
        rings = [
            # a ring leads to the stories behind it (the explorer's day view)
            {
                "href": f"day?day={days[i]}&key={name}&level={level}",
                "x": x(i),
                "y": f"{y(points[i]):.1f}",
                "day": days[i],
            }
            for i, hit in enumerate((spikes or {}).get(name, []))
            if hit and points[i] is not None
        ]
        lines.append(
            {
                "name": name,
                "color": series_color(name, j),
                "points": " ".join(f"{x(i)},{y(v):.1f}" for i, v in enumerate(points) if v is not None),
                "rings": rings,
                "legend_y": top + 14 + 18 * j,
            }
        )
    return render(
        "chart.svg",
        title=title,
        width=width,
        height=height,
        left=left,
        right_edge=left + plot_w,
        legend_x=width - right + 12,
        grid=[
            {
                "y": f"{y(peak * k / 4):.1f}",
                "label_y": f"{y(peak * k / 4) + 4:.1f}",
                "label": f"{peak * k / 4:g}",
            }
            for k in range(5)
        ],
        ticks=[
            {"x": x(i), "label": f"{d:%b %d}"} for i, d in enumerate(days) if (len(days) - 1 - i) % 7 == 0
        ],
        empty=None if values else {"x": left + plot_w / 2, "y": top + plot_h / 2},
        lines=lines,
    )


def series_color(name: str, index: int) -> str:
    return COLORS.get(name, OTHER_COLORS[index % len(OTHER_COLORS)])


def _nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above v, so gridlines get round labels."""
    if v <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 < v:
        scale *= 10
    while scale > v:
        scale /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= v:
            return step * scale
    return 10 * scale


# ---------------------------------------------------------------------------------------------------- html

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:16px 24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.meta{color:#5b6473;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #e3e7ee;border-radius:6px;background:#fbfcfe}
.chart-title{font-size:13px;font-weight:600;fill:#1d2330}.tick,.legend{font-size:11px;fill:#5b6473}
.legend{fill:#1d2330}.grid{stroke:#e6e9ef;stroke-width:1}.empty{font-size:13px;fill:#8a93a3}
table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{padding:4px 10px;border-bottom:1px solid #edf0f4;text-align:left}
th{background:#f3f5f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37}.bad{color:#b42318;font-weight:600}.warn{color:#9a6700;font-weight:600}
.tag{display:inline-block;padding:0 6px;border-radius:8px;font-size:11px;margin-right:3px;color:#fff}
.tag.failing{background:#b42318}.tag.silent{background:#9a6700}.tag.extraction{background:#6f42c1}
.flag{margin:3px 0}.note{color:#5b6473;font-style:italic}pre{white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:10px;border-radius:6px;max-height:420px;overflow:auto}
a{color:#0b57d0}
"""

# The page needs exactly one thing, its own inline <style> (the charts are inline SVG with presentation
# attributes; there is no script, image, font or request of any kind). So the policy allows that one stylesheet
# by its hash and nothing else, and only the Airflow UI (same origin) may frame the page.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; "
        f"style-src 'sha256-{base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()}'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "no-referrer",  # story links must not tell publishers where the reader came from
}


def render_page(data: PageData) -> str:
    """The page's HTML (templates/page.html), every value autoescaped."""
    failing = _failing_now(data)
    return render(
        "page.html",
        css=Markup(CSS),  # our constant; its hash is in the Content-Security-Policy
        d=data,
        published=(
            f"published {data.published_at:%Y-%m-%d %H:%M} UTC" if data.published_at else "not published yet"
        ),
        generated=f"{data.generated_at:%Y-%m-%d %H:%M}",
        levels=PAIR_LEVELS,
        charts=[Markup(svg) for svg in _charts(data)],  # rendered (and escaped) by templates/chart.svg
        figures_title=_figures_title(data),
        baseline_label=_baseline_label(data),
        waiting=[f for f in failing if "failing" not in f["flags"]],
        feeds=[_feed_row(f, data.failing_after) for f in data.feeds],
        num=_num,
        ratio=_ratio,
        time=utc_minute,
        is_http=_is_http,
    )


def _charts(data: PageData) -> tuple[str, str]:
    countries = line_chart_svg("Countries", data.days, data.country_series, data.spikes)
    pairs = line_chart_svg(
        f"Pairs (co-mentioned in one {data.pair_level})",
        data.days,
        data.pair_series,
        data.spikes,
        level=data.pair_level,
    )
    return countries, pairs


def _baseline_label(data: PageData) -> str:
    """The baseline named by the history it really covers: '17-day mean' while fewer than 28 days exist."""
    days = min(28, data.history_days or 0)
    return f"{days}-day mean" if days else "mean (no history yet)"


def _figures_title(data: PageData) -> str:
    if not data.figures_day:
        return "Figures of the last complete day"
    partial = data.figures_day >= data.generated_at.astimezone(UTC).date()
    which = "today so far: the day is not over" if partial else "the last complete day"
    days = min(28, data.history_days or 0)
    baseline = f"the {days} days before" if days else "no earlier days yet"
    return f"Figures for {data.figures_day:%a %d %b %Y} ({which}) against {baseline}"


def _failing_now(data: PageData) -> list[dict]:
    """Feeds whose last fetch failed, flagged or not yet: a failure shows at once, not 3 runs later."""
    return [f for f in data.feeds if (f["consecutive_failures"] or 0) > 0 and not f["retired"]]


def _failure_text(f: dict, failing_after: int) -> str:
    n = f["consecutive_failures"] or 0
    if n >= failing_after:
        return f"failed {n} times in a row (alerted)"
    return f"failing: {n} of {failing_after} before alert"


def _feed_row(f: dict, failing_after: int) -> dict:
    """A feed's row: its status in words and the class that colours it."""
    status = f["status"] or "never fetched"
    failing = (f["consecutive_failures"] or 0) > 0 and not f["retired"]
    css = "bad" if failing or status == "failed" else ("warn" if f["retired"] else "ok")
    shown = "retired" if f["retired"] else (_failure_text(f, failing_after) if failing else status)
    return f | {"css": css, "shown": shown}


def _num(v, digits: int = 1) -> str:
    return "–" if v is None or v != v else f"{v:.{digits}f}"


def _ratio(v) -> str:
    return "–" if v is None or v != v else f"×{v:.2f}"


def utc_minute(v) -> str:
    """A timestamp as the page and the explorer show it (UTC, to the minute); '–' for none; other values as text."""
    if v is None:
        return "–"
    if isinstance(v, datetime):
        v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
        return f"{v:%Y-%m-%d %H:%M}"
    return str(v)


def _is_http(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://"))
