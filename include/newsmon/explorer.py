"""The explorer: a time range, a country or pair, and every point leading to the stories behind it.

Pages (served by the Airflow plugin under /newsmon/, the same login as the UI; `make_router` builds them):

- /explore?range=30|7|90|365|custom&start=&end=&key=CN-RU&level=sentence: the daily series of one key with its
  baseline band (the mean of the 28 days before +- 2 standard deviations), spikes marked; a server-rendered SVG
  chart (each point a link) that uPlot (vendored in newsmon/static, served by the plugin) replaces with an
  interactive one with hover values when scripts run. A topic search box (newsmon.search) sits beside it.
- /day?day=&key=&level=: the stories behind a point, grouped, with outlet, headline, evidence sentences (the
  country names highlighted) and every copy.
- /story?id=: all copies of a story, the mentions with their sentences, and the cleaning provenance.
- /feed?name=: a feed's status over its runs, items per day, errors and flags with the rule that raised them.
- /relations?pair=CN-US and /relations-day?day=&pair=: per direction the four relation classes a day and the
  cooperation share against its baseline, then a day's relations with their sentences (newsmon.explorer_relations).
- a pipeline strip on /explore: the last runs of the three DAGs and the quality-gate verdict, linking into the
  Airflow grid (the plugin supplies the runs; this module imports no Airflow).

Everything reads the analyst database through newsmon.reader (read-only, closed before the answer goes out).
HTML comes from Jinja2 templates in templates/explorer/, rendered by newsmon.templating (the environment of the
page and the digest, with autoescaping; a missing key is blank here); the CSP header below is the explorer's own.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from newsmon import templating
from newsmon.config import PACKAGE_DIR, Paths
from newsmon.reader import ReaderError, checked_country, checked_pair, known_keys, open_analyst

RANGES = (7, 30, 90, 365)
DEFAULT_RANGE = 30
LEVELS = ("sentence", "paragraph", "article")
BAND_SD = 2.0  # the baseline band: mean of the 28 days before +- this many standard deviations
STATIC_DIR = PACKAGE_DIR / "static"
STATIC_FILES = {  # name -> media type: the only files /static/ serves
    "uplot/uPlot.iife.min.js": "text/javascript",
    "uplot/uPlot.min.css": "text/css",
    "uplot/LICENSE": "text/plain",
    "explorer.js": "text/javascript",
    "relations.js": "text/javascript",
    "explorer.css": "text/css",
}
# Scripts and stylesheets from this origin only (the vendored uPlot and explorer.js); nothing inline, nothing
# from elsewhere; forms (the selectors, the search box) submit to this page only.
EXPLORER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


def render(template: str, **context) -> str:
    """An explorer page from templates/explorer/, through the page's and the digest's Jinja2 environment."""
    return templating.explorer_environment().get_template(f"explorer/{template}").render(**context)


# ---------------------------------------------------------------------------------------------------- inputs


def parse_key(con, key: str | None) -> str:
    """A country or pair as the tables store it; unknown keys are refused with the known ones listed."""
    key = (key or "CN-RU").strip()
    return checked_pair(con, key, "key") if "-" in key or "/" in key else checked_country(con, key, "key")


def parse_level(level: str | None) -> str:
    level = level or "sentence"
    if level not in LEVELS:
        raise ReaderError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


def parse_day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReaderError(f"{what} must be a date like 2026-11-30, not {value!r}") from None


def date_range(con, range_: str | None, start: str | None, end: str | None) -> tuple[date, date, str]:
    """(start, end, range label): a preset ending on the latest day, or a custom start..end."""
    latest = con.execute("SELECT max(day) FROM daily_total").fetchone()[0]
    if latest is None:
        raise ReaderError("no daily figures yet; run `newsmon run --once`")
    if (range_ or "") == "custom" or (start and end and not range_):
        lo, hi = parse_day(start, "start"), parse_day(end, "end")
        if not lo or not hi:
            raise ReaderError("a custom range needs both start and end")
        if hi < lo:
            raise ReaderError(f"end {hi} is before start {lo}")
        if (hi - lo).days > 3660:
            raise ReaderError("a range of more than ten years is surely a typo")
        return lo, hi, "custom"
    try:
        days = int(range_ or DEFAULT_RANGE)
    except ValueError:
        raise ReaderError(
            f"range must be one of {', '.join(map(str, RANGES))} or custom, not {range_!r}"
        ) from None
    if days not in RANGES:
        raise ReaderError(f"range must be one of {', '.join(map(str, RANGES))} or custom, not {range_!r}")
    return latest - timedelta(days=days - 1), latest, str(days)


# ---------------------------------------------------------------------------------------------------- data


def series_points(con, key: str, level: str, start: date, end: date) -> list[dict]:
    """One point per day: stories, the baseline (mean of the 28 days before) and its band, spike flag."""
    rows = con.execute(
        """SELECT s.day, s.stories, s.articles, s.mean_28d, d.std_28d, s.z_28d, s.ratio_28d, s.spike,
                  s.history_days
           FROM series(?, ?, ?, lvl := ?) s
           LEFT JOIN daily_series d ON d.day = s.day AND d.key = s.key AND d.level = s.level
           ORDER BY s.day""",
        [key, start, end, level],
    ).fetchall()
    points = []
    for day, stories, articles, mean, std, z, ratio, spike, history in rows:
        lo = hi = None
        if mean is not None:
            spread = BAND_SD * (std or 0.0)
            lo, hi = max(0.0, mean - spread), mean + spread
        points.append(
            {
                "day": day,
                "stories": stories,
                "articles": articles,
                "mean": mean,
                "band_lo": lo,
                "band_hi": hi,
                "z": z,
                "ratio": ratio,
                "spike": bool(spike),
                "history_days": history,
            }
        )
    if "-" not in key:
        _mark_mentions_only(con, key, points)
    return points


def _mark_mentions_only(con, country: str, points: list[dict]) -> None:
    """A country's spike is of passing mentions when the stories about it did not spike (daily_country.spike_about)."""
    if not points:
        return
    about = {
        day: (n, bool(spike))
        for day, n, spike in con.execute(
            "SELECT day, stories_about, spike_about FROM daily_country WHERE country = ? AND day BETWEEN ? AND ?",
            [country, points[0]["day"], points[-1]["day"]],
        ).fetchall()
    }
    for p in points:
        n, spike_about = about.get(p["day"], (None, False))
        p["stories_about"] = n
        p["mentions_only"] = p["spike"] and not spike_about


def lead_spikes(con, start: date, end: date) -> list[dict]:
    """The range's spikes as the digest orders them: stories about a country first, then pairs co-mentioned in a
    sentence, then country spikes of passing mentions (labelled as such); newest first within each."""
    about, pairs, passing = [], [], []
    for day, country, stories, mean, z, _spike, n_about, mean_about, z_about, spike_about in con.execute(
        """SELECT day, country, stories, mean_28d, z_28d, spike, stories_about, mean_28d_about, z_28d_about,
                  spike_about
           FROM daily_country WHERE day BETWEEN ? AND ? AND (spike OR spike_about)
           ORDER BY day DESC, country""",
        [start, end],
    ).fetchall():
        link = f"day?day={day}&key={country}&level=sentence"
        if spike_about:
            about.append({"kind": "about", "day": day, "key": country, "stories": n_about, "mean": mean_about,
                          "z": z_about, "link": link})  # fmt: skip
        else:
            passing.append({"kind": "mentions", "day": day, "key": country, "stories": stories, "mean": mean,
                            "z": z, "about": n_about, "link": link})  # fmt: skip
    for day, pair, stories, mean, z in con.execute(
        """SELECT day, pair, stories, mean_28d, z_28d FROM daily_pair
           WHERE level = 'sentence' AND spike AND day BETWEEN ? AND ? ORDER BY day DESC, z_28d DESC, pair""",
        [start, end],
    ).fetchall():
        pairs.append({"kind": "pair", "day": day, "key": pair, "stories": stories, "mean": mean, "z": z,
                      "link": f"day?day={day}&key={pair}&level=sentence"})  # fmt: skip
    return about + pairs + passing


def explore_data(con, key: str, level: str, start: date, end: date) -> dict:
    countries, pairs = known_keys(con)
    points = series_points(con, key, level, start, end)
    history = max((p["history_days"] or 0 for p in points), default=0)
    return {
        "key": key,
        "level": level,
        "is_pair": "-" in key,
        "start": start,
        "end": end,
        "points": points,
        "spikes": [p for p in points if p["spike"]],
        "countries": countries,
        "pairs": pairs,
        "ranges": RANGES,
        "levels": LEVELS,
        "baseline_days": min(28, history),
        "total": sum(p["stories"] for p in points),
        "lead": lead_spikes(con, start, end),
        "relations_pair": key if key.count("-") == 1 else None,
    }


def chart_json(data: dict, link: Callable[[date], str]) -> str:
    """The series for uPlot: unix seconds, stories, band low/high, baseline, spike flags and day links."""
    pts = data["points"]
    payload = {
        "key": data["key"],
        "x": [int(datetime.combine(p["day"], datetime.min.time(), UTC).timestamp()) for p in pts],
        "stories": [p["stories"] for p in pts],
        "mean": [p["mean"] for p in pts],
        "lo": [p["band_lo"] for p in pts],
        "hi": [p["band_hi"] for p in pts],
        "spike": [p["spike"] for p in pts],
        "links": [link(p["day"]) for p in pts],
    }
    # Embedded as <script type="application/json">: never executed, and `</` cannot end the element early.
    return json.dumps(payload).replace("</", "<\\/")


def chart_svg(data: dict, link: Callable[[date], str], width: int = 900, height: int = 300) -> str:
    """The same chart without script: line, baseline band, spikes ringed; every day is a link to its day view."""
    pts = data["points"]
    left, right, top, bottom = 44, 16, 16, 30
    pw, ph = width - left - right, height - top - bottom
    peak = max([p["stories"] for p in pts] + [p["band_hi"] or 0 for p in pts] + [1])
    peak = _nice(peak)
    n = max(len(pts), 2)

    def x(i):
        return left + pw * i / (n - 1)

    def y(v):
        return top + ph * (1 - v / peak)

    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{e(data["key"])} stories per day">'
    ]
    for k in range(5):
        v = peak * k / 4
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{v:g}</text>'
        )
    band = [(i, p) for i, p in enumerate(pts) if p["band_hi"] is not None]
    if band:
        upper = " ".join(f"{x(i):.1f},{y(p['band_hi']):.1f}" for i, p in band)
        lower = " ".join(f"{x(i):.1f},{y(p['band_lo']):.1f}" for i, p in reversed(band))
        out.append(f'<polygon points="{upper} {lower}" class="band"><title>usual range</title></polygon>')
        out.append(
            '<polyline class="mean" points="'
            + " ".join(f"{x(i):.1f},{y(p['mean']):.1f}" for i, p in band)
            + '"/>'
        )
    out.append(
        '<polyline class="line" points="'
        + " ".join(f"{x(i):.1f},{y(p['stories']):.1f}" for i, p in enumerate(pts))
        + '"/>'
    )
    step = max(1, len(pts) // 8)
    for i, p in enumerate(pts):
        if (len(pts) - 1 - i) % step == 0:
            out.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" class="tick" text-anchor="middle">{p["day"]:%b %d}</text>'
            )
        label = f"{p['day']}: {p['stories']} stories" + (
            f", baseline {p['mean']:.1f}" if p["mean"] is not None else ""
        )
        cls = "pt spike" if p["spike"] else "pt"
        if p.get("mentions_only"):  # named in passing, not written about: a dashed ring
            cls += " mentions-only"
            label += f"; a spike of mentions only: {p['stories_about']} of them about it"
        out.append(
            f'<a href="{e(link(p["day"]))}" data-day="{p["day"]}"><circle cx="{x(i):.1f}" cy="{y(p["stories"]):.1f}" '
            f'r="{6 if p["spike"] else 3}" class="{cls}"><title>{e(label)}</title></circle></a>'
        )
    out.append("</svg>")
    return "".join(out)


def _nice(v: float) -> float:
    scale = 10 ** math.floor(math.log10(v)) if v > 0 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * scale >= v:
            return step * scale
    return 10 * scale


def day_data(con, key: str, level: str, day: date, limit: int = 50) -> dict:
    """The stories behind one point: top_stories() (the macro docs/analysts.md shows), each with its copies."""
    stories = [
        dict(
            zip(
                ("story_id", "title", "source", "url", "published_at", "copies", "sources", "evidence"),
                r,
                strict=True,
            )
        )
        for r in con.execute(
            "SELECT * FROM top_stories(?, ?, n := ?, lvl := ?)", [key, day, limit, level]
        ).fetchall()
    ]
    ids = [s["story_id"] for s in stories]
    copies: dict[str, list[dict]] = {}
    surfaces: dict[str, set[str]] = {}
    if ids:
        rows = con.execute(
            """SELECT a.story_id, a.article_id, a.source, a.title, a.url, coalesce(a.published_at, a.fetched_at),
                      a.dup_reason, a.is_wire, a.language
               FROM articles a WHERE a.day = ? AND list_contains(?, a.story_id)
               ORDER BY coalesce(a.published_at, a.fetched_at), a.article_id""",
            [day, ids],
        ).fetchall()
        for story_id, aid, source, title, url, seen, dup, wire, lang in rows:
            copies.setdefault(story_id, []).append(
                {"article_id": aid, "source": source, "title": title, "url": url, "seen_at": seen,
                 "dup_reason": dup, "is_wire": wire, "language": lang}
            )  # fmt: skip
        for story_id, surface in con.execute(
            """SELECT DISTINCT a.story_id, m.surface FROM mentions m JOIN articles a USING (article_id)
               WHERE a.day = ? AND list_contains(?, a.story_id)""",
            [day, ids],
        ).fetchall():
            surfaces.setdefault(story_id, set()).add(surface)
    for s in stories:
        s["copies_list"] = copies.get(s["story_id"], [])
        s["evidence_html"] = [highlight(ev, surfaces.get(s["story_id"], set())) for ev in s["evidence"] or []]
    point = next(iter(series_points(con, key, level, day, day)), None)
    return {"key": key, "level": level, "day": day, "stories": stories, "point": point}


def highlight(sentence: str, surfaces: set[str]) -> str:
    """The sentence as HTML with each mention surface (a country name, demonym, capital ...) in <mark>."""
    words = sorted((w for w in surfaces if w and len(w) > 1), key=len, reverse=True)
    if not words:
        return html.escape(sentence)
    pattern = re.compile("|".join(re.escape(w) for w in words))
    out, last = [], 0
    for m in pattern.finditer(sentence):
        out.append(html.escape(sentence[last : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(sentence[last:]))
    return "".join(out)


STORY_COLUMNS = (
    "article_id", "source", "feed", "title", "url", "published_at", "published_from", "fetched_at", "day",
    "language", "text_source", "fetch_error", "duplicate_of", "dup_reason", "is_wire", "removed_structure",
    "removed_phrases", "removed_repetition", "extractor_version", "watchlist_version", "countries",
)  # fmt: skip


def story_data(con, story_id: str) -> dict:
    rows = con.execute(
        f"SELECT {', '.join(STORY_COLUMNS)} FROM articles WHERE story_id = ? "
        "ORDER BY coalesce(published_at, fetched_at), article_id",
        [story_id],
    ).fetchall()
    if not rows:
        raise ReaderError(f"no story {story_id!r} in the analyst database")
    copies = [dict(zip(STORY_COLUMNS, r, strict=True)) for r in rows]
    lead = copies[0]
    mentions = [
        dict(zip(("country", "surface", "kind", "position", "evidence"), r, strict=True))
        for r in con.execute(
            "SELECT country, surface, kind, position, evidence FROM mentions WHERE article_id = ? ORDER BY seq",
            [lead["article_id"]],
        ).fetchall()
    ]
    surfaces = {m["surface"] for m in mentions}
    sentences: dict[str, dict] = {}
    for m in mentions:
        entry = sentences.setdefault(
            m["evidence"] or "", {"countries": set(), "html": highlight(m["evidence"] or "", surfaces)}
        )
        entry["countries"].add(m["country"])
    return {
        "story_id": story_id,
        "lead": lead,
        "copies": copies,
        "mentions": mentions,
        "sentences": sentences,
    }


def feed_data(con, name: str, now: datetime, days: int = 30) -> dict:
    health = con.execute("SELECT * FROM feed_health WHERE feed = ?", [name]).fetchone()
    if health is None:
        raise ReaderError(f"no feed {name!r} in the analyst database")
    columns = [d[0] for d in con.description]
    row = dict(zip(columns, health, strict=True))
    runs = [
        dict(
            zip(
                ("at", "status", "http_status", "error", "new_items", "pages_ok", "pages_failed"),
                r,
                strict=True,
            )
        )
        for r in con.execute(
            """SELECT "at", status, http_status, error, new_items, pages_ok, pages_failed FROM fetch_log
               WHERE feed = ? AND "at" >= ? ORDER BY "at" DESC LIMIT 200""",
            [name, now - timedelta(days=days)],
        ).fetchall()
    ]
    per_day = con.execute(
        """SELECT day, count(*) FROM articles WHERE feed = ? AND day >= ? GROUP BY day ORDER BY day""",
        [name, (now - timedelta(days=days)).date()],
    ).fetchall()
    from newsmon.health import HealthSettings, feed_flags

    hs = HealthSettings.from_settings()
    flags = [f.as_dict() for f in feed_flags(con, now, hs) if f.feed == name]
    rules = {
        "failing": f"{hs.failing_after} failed fetches in a row",
        "silent": f"no new item for {hs.silent_factor:g} x its usual gap (at least {hs.silent_floor_hours:g} h; "
        f"{hs.silent_default_hours:g} h while the cadence is unknown)",
        "extraction": f"share of pages without usable text up {hs.extraction_jump:.0%} on its own "
        f"{hs.extraction_history_days}-day share",
    }
    top = max((n for _, n in per_day), default=0)
    return {
        "feed": name,
        "health": row,
        "runs": runs,
        "per_day": [{"day": d, "count": n, "pct": round(100 * n / top) if top else 0} for d, n in per_day],
        "flags": [{**f, "rule": rules.get(f["kind"], "")} for f in flags],
        "failing_after": hs.failing_after,
        "days": days,
    }


# ---------------------------------------------------------------------------------------------------- router


def make_router(get_paths: Callable[[], Paths], pipeline_runs: Callable[[], list[dict]] | None = None):
    """The explorer's routes (FastAPI), mounted by the plugin behind Airflow's login; tests serve them bare."""
    from fastapi import APIRouter, Query
    from fastapi.responses import HTMLResponse, PlainTextResponse, Response

    router = APIRouter()

    def page(template: str, status: int = 200, **context) -> HTMLResponse:
        body = render(template, **context)
        headers = {"Content-Security-Policy": EXPLORER_CSP, "Cache-Control": "no-store"}
        return HTMLResponse(body, status_code=status, headers=headers)

    def refused(message: str, status: int = 400) -> HTMLResponse:
        return page("error.html", status=status, message=message)

    def with_db(fn):
        try:
            con = open_analyst(get_paths().analyst_db)
        except ReaderError as exc:
            return refused(str(exc), 404)
        try:
            return fn(con)
        except ReaderError as exc:
            return refused(str(exc))
        finally:
            con.close()

    @router.get("/explore", response_class=HTMLResponse)
    def explore(
        key: str = Query("CN-RU"),
        level: str = Query("sentence"),
        range: str = Query(str(DEFAULT_RANGE)),  # noqa: A002 (the URL parameter's name)
        start: str | None = None,
        end: str | None = None,
        q: str | None = None,
    ):
        def answer(con):
            k, lv = parse_key(con, key), parse_level(level)
            lo, hi, label = date_range(con, range, start, end)
            data = explore_data(con, k, lv, lo, hi)

            def link(d: date) -> str:
                return f"day?day={d}&key={k}&level={lv}"

            found = None
            if q and q.strip():
                from newsmon.search import search

                span = (hi - lo).days + 1
                kind = {"pair": k} if "-" in k else {"country": k}
                found = search(con, q, level=lv, days=span, end=hi, **kind)
            runs = pipeline_runs() if pipeline_runs else None
            relations = None
            if data[
                "relations_pair"
            ]:  # two countries: how their ties moved, beside how often they were named
                from newsmon import explorer_relations as rel

                rdata = rel.relations_data(con, k, lo, hi)
                relations = {
                    "data": rdata,
                    "svg": rel.share_svg(rdata, lambda d: f"relations-day?day={d}&pair={k}", height=160),
                }
            return page(
                "explore.html",
                relations=relations,
                data=data,
                range_label=label,
                svg=chart_svg(data, link),
                chart_json=chart_json(data, link),
                link=link,
                q=q or "",
                found=found,
                runs=runs,
            )

        return with_db(answer)

    @router.get("/day", response_class=HTMLResponse)
    def day_view(day: str, key: str = Query("CN-RU"), level: str = Query("sentence")):
        def answer(con):
            d = parse_day(day, "day")
            return page("day.html", **day_data(con, parse_key(con, key), parse_level(level), d))

        return with_db(answer)

    @router.get("/relations", response_class=HTMLResponse)
    def relations_view(
        pair: str = Query("CN-US"),
        range: str = Query(str(DEFAULT_RANGE)),  # noqa: A002 (the URL parameter's name)
        start: str | None = None,
        end: str | None = None,
    ):
        from newsmon import explorer_relations as rel

        def answer(con):
            key = rel.parse_pair(con, pair)
            lo, hi, label = date_range(con, range, start, end)
            data = rel.relations_data(con, key, lo, hi)

            def link(d: date) -> str:
                return f"relations-day?day={d}&pair={key}"

            return page(
                "relations.html",
                data=data,
                range_label=label,
                ranges=RANGES,
                pairs=[p for p in known_keys(con)[1] if p.count("-") == 1],
                classes=rel.CLASSES,
                labels=rel.CLASS_LABELS,
                name=rel.name,
                direction_svgs={d["id"]: rel.direction_svg(data, d, link) for d in data["directions"]},
                share_svg=rel.share_svg(data, link),
                charts_json=rel.charts_json(data, link),
            )

        return with_db(answer)

    @router.get("/relations-day", response_class=HTMLResponse)
    def relations_day_view(day: str, pair: str = Query("CN-US")):
        from newsmon import explorer_relations as rel

        def answer(con):
            d = parse_day(day, "day")
            if d is None:
                raise ReaderError("day must be a date like 2026-11-30")
            return page(
                "relations_day.html",
                name=rel.name,
                **rel.relation_day_data(con, rel.parse_pair(con, pair), d),
            )

        return with_db(answer)

    @router.get("/story", response_class=HTMLResponse)
    def story_view(id: str):  # noqa: A002 (the URL parameter's name)
        return with_db(lambda con: page("story.html", **story_data(con, id)))

    @router.get("/feed", response_class=HTMLResponse)
    def feed_view(name: str):
        return with_db(lambda con: page("feed.html", **feed_data(con, name, datetime.now(UTC))))

    @router.get("/static/{path:path}")
    def static(path: str):
        kind = STATIC_FILES.get(path)
        if kind is None:
            return PlainTextResponse("not found", status_code=404)
        body = (STATIC_DIR / path).read_bytes()
        return Response(body, media_type=kind, headers={"Cache-Control": "max-age=3600"})

    return router


def static_path(name: str) -> Path:
    return STATIC_DIR / name
