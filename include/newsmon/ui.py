"""The News monitor page: data from the analyst database, rendered as one self-contained HTML page.

The Airflow plugin (plugins/newsmon_plugin.py) only handles routing and authentication and calls `render_page`.
Everything here is plain Python: it reads the analyst database read-only (one connection per request, closed
before returning), the digest outbox folder, and draws the charts as inline SVG, so the page fetches nothing from
anywhere and works offline.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from newsmon.config import Paths

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
        con = duckdb.connect(str(db), read_only=True)
        try:
            con.execute("SET TimeZone = 'UTC'")
            tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            tables |= {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
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
    if not {"daily_country", "daily_pair"} <= tables:
        data.missing.append("daily tables")
        return
    last = con.execute("SELECT max(day) FROM daily_country").fetchone()[0]
    if last is None:
        data.missing.append("daily tables")
        return
    data.day = last
    data.days = [last - timedelta(days=i) for i in range(TREND_DAYS - 1, -1, -1)]
    start = data.days[0]
    rows = con.execute(
        "SELECT country, day, stories, spike FROM daily_country WHERE day BETWEEN ? AND ? ORDER BY country, day",
        [start, last],
    ).fetchall()
    first = None  # the first day with articles: earlier days are drawn as a gap, not as zero
    if "daily_total" in tables:
        first = con.execute("SELECT min(day) FROM daily_total WHERE articles > 0").fetchone()[0]
    _fill_series(data, data.country_series, rows, first)
    rows = con.execute(
        """SELECT pair, day, stories, spike FROM daily_pair WHERE level = ? AND day BETWEEN ? AND ?
           ORDER BY pair, day""",
        [data.pair_level, start, last],
    ).fetchall()
    _fill_series(data, data.pair_series, rows, first)
    # The figures table speaks of a day that is over: today's rows (if any) are partial, so the last complete
    # day is shown, and named; only when nothing else exists is the partial day shown, labelled as such.
    today_utc = now.astimezone(UTC).date()
    complete = con.execute("SELECT max(day) FROM daily_country WHERE day < ?", [today_utc]).fetchone()[0]
    data.figures_day = complete or last
    keys = ("name", "kind", "articles", "stories", "mean_7d", "mean_28d", "ratio_28d", "z_28d", "spike")
    figures = con.execute(
        """SELECT country, 'country', articles, stories, mean_7d, mean_28d, ratio_28d, z_28d, spike, history_days
           FROM daily_country WHERE day = $day
           UNION ALL
           SELECT pair, 'pair', articles, stories, mean_7d, mean_28d, ratio_28d, z_28d, spike, history_days
           FROM daily_pair WHERE day = $day AND level = $level
           ORDER BY 2, 1""",
        {"day": data.figures_day, "level": data.pair_level},
    ).fetchall()
    data.today = [dict(zip(keys, r[:-1], strict=True)) for r in figures]
    data.history_days = max((r[-1] or 0 for r in figures), default=0)
    if "daily_total" in tables:
        row = con.execute(
            """SELECT articles, stories, sources,
                      (SELECT avg(stories) FROM daily_total WHERE day >= $day - INTERVAL 28 DAY AND day < $day
                         AND day >= (SELECT min(day) FROM daily_total WHERE articles > 0))
               FROM daily_total WHERE day = $day""",
            {"day": data.figures_day},
        ).fetchone()
        if row:
            data.totals = dict(zip(("articles", "stories", "sources", "stories_mean_28d"), row, strict=True))


def _fill_series(data: PageData, target: dict, rows, first: date | None) -> None:
    """Stories per day; a day without a row is 0, a day before the history starts is a gap (None)."""
    index = {d: i for i, d in enumerate(data.days)}
    blank = [None if first is not None and d < first else 0.0 for d in data.days]
    for name, day, stories, spike in rows:
        series = target.setdefault(name, list(blank))
        marks = data.spikes.setdefault(name, [False] * len(data.days))
        series[index[day]] = float(stories)
        marks[index[day]] = bool(spike)


def _load_stories(con, data: PageData, tables: set[str], limit: int = 10) -> None:
    if "articles" not in tables:
        data.missing.append("articles")
        return
    day = data.day or con.execute("SELECT max(day) FROM articles").fetchone()[0]
    if day is None:
        return
    # Group the recent articles by story first, then fetch the titles of the originals by id: joining the whole
    # articles table on story_id would read every title and URL of the history.
    rows = con.execute(
        """WITH recent AS (
               SELECT story_id, title, url, source, countries, coalesce(published_at, fetched_at) AS ts
               FROM articles WHERE day BETWEEN $first AND $last),
           stories AS (
               SELECT story_id, count(*) AS copies, count(DISTINCT source) AS outlets,
                      list_sort(list_distinct(flatten(list(countries)))) AS countries, min(ts) AS first_seen,
                      arg_min(title, ts) AS title, arg_min(url, ts) AS url
               FROM recent GROUP BY story_id),
           top AS (
               SELECT * FROM stories WHERE len(countries) > 0
               ORDER BY outlets DESC, copies DESC, first_seen DESC, story_id LIMIT $limit),
           originals AS (
               SELECT article_id, title, url FROM articles WHERE article_id IN (SELECT story_id FROM top))
           SELECT t.story_id, coalesce(o.title, t.title), coalesce(o.url, t.url), t.copies, t.outlets,
                  t.countries, t.first_seen
           FROM top t LEFT JOIN originals o ON o.article_id = t.story_id
           ORDER BY t.outlets DESC, t.copies DESC, t.first_seen DESC, t.story_id""",
        {"first": day - timedelta(days=STORY_DAYS - 1), "last": day, "limit": limit},
    ).fetchall()
    keys = ("story_id", "title", "url", "copies", "outlets", "countries", "first_seen")
    data.stories = [dict(zip(keys, r, strict=True)) for r in rows]


def _load_health(con, data: PageData, tables: set[str], now: datetime, paths: Paths) -> None:
    if "feed_health" not in tables:
        data.missing.append("feed health")
        return
    has_articles = "articles" in tables
    per_day = (
        "(SELECT count(*) / 7.0 FROM articles a WHERE a.feed = h.feed"
        " AND coalesce(a.published_at, a.fetched_at) BETWEEN $week AND $now)"
        if has_articles
        else "NULL"
    )
    rows = con.execute(
        f"""SELECT feed, source, last_status, last_success_at, last_new_item_at, consecutive_failures,
                   {per_day} AS items_per_day, last_error, retired
            FROM feed_health h ORDER BY feed""",
        {"week": now - timedelta(days=7), "now": now} if has_articles else {},
    ).fetchall()
    keys = (
        "feed",
        "source",
        "status",
        "last_success_at",
        "last_new_item_at",
        "consecutive_failures",
        "items_per_day",
        "last_error",
        "retired",
    )
    from newsmon.feedlist import listed_feed_names
    from newsmon.health import HealthSettings

    listed = listed_feed_names(paths)  # the feed list of the last run; None when no run recorded one
    feeds = [dict(zip(keys, r, strict=True)) for r in rows]
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
        ledger = con.execute(
            "SELECT day, subject, sent_at, status, count(*) OVER (PARTITION BY day) FROM digest_ledger "
            "ORDER BY sent_at DESC LIMIT 1"
        ).fetchone()
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
    """A line chart as inline SVG: one line per series, a ring on spike days, a legend, day labels."""
    left, right, top, bottom = 44, 96, 26, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series.values() for v in s if v is not None]
    peak = _nice_ceiling(max(values, default=0.0))
    n = max(len(days), 2)

    def x(i: int) -> float:
        return left + plot_w * i / (n - 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{_e(title)}">',
        f'<text x="{left}" y="16" class="chart-title">{_e(title)}</text>',
    ]
    for k in range(5):
        v = peak * k / 4
        out.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{v:g}</text>'
        )
    for i, d in enumerate(days):
        if (len(days) - 1 - i) % 7 == 0:
            out.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" class="tick" text-anchor="middle">{d:%b %d}</text>'
            )
    if not values:
        out.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" class="empty" text-anchor="middle">'
            "no data yet</text>"
        )
    for j, (name, points) in enumerate(sorted(series.items())):
        color = series_color(name, j)
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(points) if v is not None)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2" '
            f'data-series="{_e(name)}"><title>{_e(name)}</title></polyline>'
        )
        for i, hit in enumerate((spikes or {}).get(name, [])):
            if hit and points[i] is not None:
                # a ring leads to the stories behind it (the explorer's day view)
                href = _e(f"day?day={days[i]}&key={name}&level={level}")
                out.append(
                    f'<a href="{href}" target="_self"><circle cx="{x(i):.1f}" cy="{y(points[i]):.1f}" r="5" '
                    f'fill="none" stroke="{color}" stroke-width="2" class="spike">'
                    f"<title>{_e(name)} spike on {days[i]}: open its stories</title></circle></a>"
                )
        ly = top + 14 + 18 * j
        out.append(
            f'<line x1="{width - right + 12}" y1="{ly - 4}" x2="{width - right + 30}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="3"/><text x="{width - right + 36}" y="{ly}" class="legend">'
            f"{_e(name)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


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
    sections = [
        _header(data),
        _section("Trends: last 30 days (stories per day; rings mark spikes)", _charts(data)),
        _section(_figures_title(data), _today(data)),
        _section("Top stories of the last two days (by number of outlets)", _stories(data)),
        _section("Feed health", _flags(data) + _feeds(data) + _alerts(data)),
        _section("Latest digest", _digest(data)),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>News monitor</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body>{''.join(sections)}</body></html>"
    )


def _header(data: PageData) -> str:
    published = (
        f"published {data.published_at:%Y-%m-%d %H:%M} UTC" if data.published_at else "not published yet"
    )
    levels = " · ".join(
        f"<b>{lv}</b>" if lv == data.pair_level else f'<a href="?level={lv}">{lv}</a>' for lv in PAIR_LEVELS
    )
    missing = (
        f'<p class="note">Not available yet: {_e(", ".join(data.missing))}. The ingest and daily DAGs publish them '
        f"to {_e(data.db_path)}.</p>"
        if data.missing
        else ""
    )
    return (
        '<h1>News monitor</h1><p class="meta"><a href="explore">Open the explorer</a>: any range, country or pair, '
        "the stories behind every point, topic search.</p>"
        f'<div class="meta">China, Russia and the United States in the news. Analyst database {_e(data.db_path)} '
        f"({published}); page generated {data.generated_at:%Y-%m-%d %H:%M} UTC. Co-mention level: {levels}</div>"
        f"{missing}"
    )


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _charts(data: PageData) -> str:
    countries = line_chart_svg("Countries", data.days, data.country_series, data.spikes)
    pairs = line_chart_svg(
        f"Pairs (co-mentioned in one {data.pair_level})",
        data.days,
        data.pair_series,
        data.spikes,
        level=data.pair_level,
    )
    return f'<div class="charts">{countries}{pairs}</div>'


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


def _today(data: PageData) -> str:
    if not data.today:
        return '<p class="note">No daily figures yet.</p>'
    t = data.totals
    total = ""
    if t:
        total = (
            f"<p>{t['articles']} articles, {t['stories']} stories from {t['sources']} outlets "
            f"({_baseline_label(data)} {_num(t.get('stories_mean_28d'))} stories).</p>"
        )
    rows = "".join(
        f"<tr><td>{_e(r['name'])}</td><td class='num'>{r['stories']}</td><td class='num'>{r['articles']}</td>"
        f"<td class='num'>{_num(r['mean_7d'])}</td><td class='num'>{_num(r['mean_28d'])}</td>"
        f"<td class='num'>{_ratio(r['ratio_28d'])}</td><td class='num'>{_num(r['z_28d'], 2)}</td>"
        f"<td>{'<span class=bad>spike</span>' if r['spike'] else ''}</td></tr>"
        for r in data.today
    )
    return (
        f"{total}<table><tr><th>country / pair</th><th>stories</th><th>articles</th><th>7-day mean</th>"
        f"<th>{_baseline_label(data)}</th><th>vs that mean</th><th>z</th><th></th></tr>{rows}</table>"
    )


def _stories(data: PageData) -> str:
    if not data.stories:
        return '<p class="note">No stories yet.</p>'
    rows = []
    for s in data.stories:
        title = _e(s["title"] or "(untitled)")
        link = (
            f'<a href="{_e(s["url"])}" rel="noreferrer noopener" target="_blank">{title}</a>'
            if _is_http(s["url"])
            else title
        )
        rows.append(
            f"<tr><td>{_time(s['first_seen'])}</td><td>{link}</td><td>{_e(', '.join(s['countries']))}</td>"
            f"<td class='num'>{s['outlets']}</td>"
            f"<td class='num'>{s['copies']}</td></tr>"
        )
    return f"<table><tr><th>first seen</th><th>story</th><th>countries</th><th>outlets</th><th>copies</th></tr>{''.join(rows)}</table>"


def _failing_now(data: PageData) -> list[dict]:
    """Feeds whose last fetch failed, flagged or not yet: a failure shows at once, not 3 runs later."""
    return [f for f in data.feeds if (f["consecutive_failures"] or 0) > 0 and not f["retired"]]


def _flags(data: PageData) -> str:
    if not data.feeds:
        return ""
    failing = _failing_now(data)
    waiting = [f for f in failing if "failing" not in f["flags"]]
    parts = []
    if data.flags:
        parts.append(
            "".join(
                f'<div class="flag"><span class="tag {_e(f["kind"])}">{_e(f["kind"])}</span>{_e(f["message"])}</div>'
                for f in data.flags
            )
        )
    if waiting:
        parts.append(
            f'<p class="warn">{len(waiting)} of {len(data.feeds)} feeds failing now, not yet flagged '
            f"(operators are mailed after {data.failing_after} failures in a row): "
            + ", ".join(
                f"{_e(f['feed'])} ({f['consecutive_failures']} of {data.failing_after})" for f in waiting
            )
            + "</p>"
        )
    if not parts:
        parts.append(
            f'<p class="ok">All {len(data.feeds)} feeds fetched fine at their last try; none is flagged.</p>'
        )
    return "".join(parts)


def _failure_text(f: dict, failing_after: int) -> str:
    n = f["consecutive_failures"] or 0
    if n >= failing_after:
        return f"failed {n} times in a row (alerted)"
    return f"failing: {n} of {failing_after} before alert"


def _feeds(data: PageData) -> str:
    if not data.feeds:
        return '<p class="note">No feed health yet.</p>'
    rows = []
    for f in data.feeds:
        status = f["status"] or "never fetched"
        failing = (f["consecutive_failures"] or 0) > 0 and not f["retired"]
        css = "bad" if failing or status == "failed" else ("warn" if f["retired"] else "ok")
        shown = "retired" if f["retired"] else (_failure_text(f, data.failing_after) if failing else status)
        tags = "".join(f'<span class="tag {_e(k)}">{_e(k)}</span>' for k in f["flags"])
        rows.append(
            f"<tr><td>{_e(f['feed'])} {tags}</td><td class='{css}'>{_e(shown)}</td>"
            f"<td>{_time(f['last_success_at'])}</td><td>{_time(f['last_new_item_at'])}</td>"
            f"<td class='num'>{f['consecutive_failures'] or 0}</td><td class='num'>{_num(f['items_per_day'])}</td>"
            f"<td>{_e((f['last_error'] or '')[:120])}</td></tr>"
        )
    hidden = (
        f'<p class="note">{data.hidden_feeds} feed(s) not in the feed list of the last run are hidden.</p>'
        if data.hidden_feeds
        else ""
    )
    return (
        "<table><tr><th>feed</th><th>status</th><th>last success</th><th>last new item</th>"
        f"<th>consecutive failures</th><th>items per day (7 days)</th><th>last error</th></tr>{''.join(rows)}</table>"
        + hidden
    )


def _alerts(data: PageData) -> str:
    if not data.alerts:
        return ""
    items = []
    for a in data.alerts:
        recovered = f" (recovered {_time(a['cleared_at'])})" if a.get("cleared_at") else ""
        items.append(
            f"<li>{_time(a['sent_at'])} <span class='tag {_e(a['kind'])}'>{_e(a['kind'])}</span>"
            f"{_e(a['feed'])}{recovered}</li>"
        )
    return f"<p>Alert emails in the last 7 days:</p><ul class='meta'>{''.join(items)}</ul>"


def _digest(data: PageData) -> str:
    d = data.digest
    if not d:
        return '<p class="note">No digest sent yet.</p>'
    when = _time(d.get("sent_at"))
    head = (
        f"<p><b>{_e(d.get('subject') or '(no subject)')}</b><br><span class='meta'>{_e(d['status'])} {when}"
    )
    head += f" · {_e(d['file'])}" if d.get("file") else f" · {d.get('recipients', 0)} recipient(s)"
    head += "</span></p>"
    return head + (f"<pre>{_e(d['text'])}</pre>" if d.get("text") else "")


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


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


def _time(v) -> str:
    return _e(utc_minute(v))


def _is_http(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://"))
