"""The explorer's relations pages: what two countries do or say to each other, day by day, down to the sentences.

- /relations?pair=CN-US&range=30: per direction (CN->US, US->CN) the stories a day of each of the four classes
  (daily_relation), and the pair's cooperation share against the 28 days before (daily_cooperation). Each chart
  is server-rendered SVG whose points are links; relations.js (uPlot) replaces them when scripts run.
- /relations-day?day=&pair=: the relations of that day between the two, grouped by direction and class, each
  with its evidence sentence (the cue marked), cue, reported flag, outlets and a link to the story view.

Data comes from the analyst database (docs/analysts.md: daily_relation, daily_cooperation, relation_evidence);
newsmon.explorer serves the pages and owns the shared inputs (range, day).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from newsmon.reader import ReaderError, checked_pair

CLASSES = ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")
CLASS_LABELS = {c: c.replace("_", " ") for c in CLASSES}
# One colour per class for the SVG (explorer.css .c-<class>) and uPlot: cooperation blue/green, conflict red/orange.
CLASS_COLOURS = {
    "verbal_cooperation": "#2563eb",
    "material_cooperation": "#15803d",
    "verbal_conflict": "#ea580c",
    "material_conflict": "#b42318",
}
NAMES = {"CN": "China", "RU": "Russia", "US": "the United States"}


def name(code: str) -> str:
    return NAMES.get(code, code)


def parse_pair(con, pair: str | None) -> str:
    """A pair of two countries as the tables store it (CN-US); three-country keys have no relations."""
    key = checked_pair(con, (pair or "CN-US").strip(), "pair")
    if key.count("-") != 1:
        raise ReaderError(f"relations are between two countries: pick a pair such as CN-US, not {key}")
    return key


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def relations_data(con, pair: str, start: date, end: date) -> dict:
    """Per direction and class the stories a day (zeros filled), and the cooperation share with its baseline."""
    a, b = pair.split("-")
    days = _days(start, end)
    index = {d: i for i, d in enumerate(days)}
    directions = []
    for source, target in ((a, b), (b, a)):
        series = {c: [0] * len(days) for c in CLASSES}
        spikes = {c: [False] * len(days) for c in CLASSES}
        for day, cls, stories, spike in con.execute(
            """SELECT day, class, stories, spike FROM daily_relation
               WHERE source = ? AND target = ? AND day BETWEEN ? AND ?""",
            [source, target, start, end],
        ).fetchall():
            if cls in series and day in index:
                series[cls][index[day]] = stories
                spikes[cls][index[day]] = bool(spike)
        directions.append(
            {
                "source": source,
                "target": target,
                "id": f"{source}-{target}",
                "series": series,
                "spikes": spikes,
                "totals": {c: sum(v) for c, v in series.items()},
            }
        )
    share: list[float | None] = [None] * len(days)
    baseline: list[float | None] = [None] * len(days)
    cooperation = conflict = 0
    for day, co, cf, s, s28 in con.execute(
        """SELECT day, cooperation_stories, conflict_stories, share, share_28d FROM daily_cooperation
           WHERE pair = ? AND day BETWEEN ? AND ?""",
        [pair, start, end],
    ).fetchall():
        if day in index:
            share[index[day]], baseline[index[day]] = s, s28
            cooperation, conflict = cooperation + co, conflict + cf
    return {
        "pair": pair,
        "a": a,
        "b": b,
        "start": start,
        "end": end,
        "days": days,
        "directions": directions,
        "share": share,
        "share_28d": baseline,
        "cooperation": cooperation,
        "conflict": conflict,
        "overall": cooperation / (cooperation + conflict) if cooperation + conflict else None,
    }


# ---------------------------------------------------------------------------------------------------- charts


def _unix(d: date) -> int:
    return int(datetime.combine(d, datetime.min.time(), UTC).timestamp())


def charts_json(data: dict, link: Callable[[date], str]) -> str:
    """Every chart of the page for relations.js: x in unix seconds, one list per series, a link per day."""
    x = [_unix(d) for d in data["days"]]
    payload = {
        "x": x,
        "links": [link(d) for d in data["days"]],
        "directions": [
            {
                "id": d["id"],
                "label": f"{d['source']} -> {d['target']}",
                "series": [
                    {
                        "label": CLASS_LABELS[c],
                        "class": c,
                        "color": CLASS_COLOURS[c],
                        "values": d["series"][c],
                    }
                    for c in CLASSES
                ],
            }
            for d in data["directions"]
        ],
        "share": data["share"],
        "share_28d": data["share_28d"],
    }
    # Embedded as <script type="application/json">: never executed, and `</` cannot end the element early.
    return json.dumps(payload).replace("</", "<\\/")


class _Frame:
    """The plot area of one SVG chart: day index -> x, value -> y."""

    def __init__(self, n: int, top_value: float, width: int, height: int) -> None:
        self.left, self.right, self.top, self.bottom = 44, 30, 14, 28  # room for the last day's label
        self.width, self.height, self.n, self.top_value = width, height, max(n, 2), top_value or 1
        self.pw, self.ph = width - self.left - self.right, height - self.top - self.bottom

    def x(self, i: int) -> float:
        return self.left + self.pw * i / (self.n - 1)

    def y(self, v: float) -> float:
        return self.top + self.ph * (1 - v / self.top_value)

    def axes(self, days: list[date], ticks: list[tuple[float, str]]) -> list[str]:
        out = [
            f'<line x1="{self.left}" x2="{self.left + self.pw}" y1="{self.y(v):.1f}" y2="{self.y(v):.1f}" '
            f'class="grid"/><text x="{self.left - 6}" y="{self.y(v) + 4:.1f}" class="tick" '
            f'text-anchor="end">{html.escape(label)}</text>'
            for v, label in ticks
        ]
        step = max(1, len(days) // 8)
        out += [
            f'<text x="{self.x(i):.1f}" y="{self.height - 9}" class="tick" text-anchor="middle">{d:%b %d}</text>'
            for i, d in enumerate(days)
            if (len(days) - 1 - i) % step == 0
        ]
        return out


def direction_svg(data: dict, direction: dict, link: Callable[[date], str], width=900, height=220) -> str:
    """Stories a day of each class, one line each; a point per day with relations links to that day's sentences."""
    days = data["days"]
    peak = max([v for c in CLASSES for v in direction["series"][c]] + [1])
    top = peak if peak <= 4 else 5 * -(-peak // 5)
    f = _Frame(len(days), top, width, height)
    e = html.escape
    label = f"{direction['source']} -> {direction['target']}: relation stories a day by class"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart rel-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{e(label)}" data-direction="{direction["id"]}">'
    ]
    out += f.axes(days, [(top * k / 4, f"{top * k / 4:g}") for k in range(5)])
    for c in CLASSES:
        values = direction["series"][c]
        points = " ".join(f"{f.x(i):.1f},{f.y(v):.1f}" for i, v in enumerate(values))
        out.append(f'<polyline class="rel c-{c}" points="{points}"/>')
    for c in CLASSES:
        for i, (d, v) in enumerate(zip(days, direction["series"][c], strict=True)):
            if not v:
                continue
            spike = direction["spikes"][c][i]
            title = (
                f"{d}: {direction['source']} -> {direction['target']}, {CLASS_LABELS[c]}: "
                f"{v} stor{'y' if v == 1 else 'ies'}{' (spike)' if spike else ''}"
            )
            href = f"{link(d)}#rel-{direction['id']}-{c}"
            out.append(
                f'<a href="{e(href)}" data-day="{d}" data-class="{c}"><circle cx="{f.x(i):.1f}" '
                f'cy="{f.y(v):.1f}" r="{6 if spike else 4}" class="pt c-{c}{" spike" if spike else ""}">'
                f"<title>{e(title)}</title></circle></a>"
            )
    out.append("</svg>")
    return "".join(out)


def share_svg(data: dict, link: Callable[[date], str], width=900, height=200) -> str:
    """The day's cooperation share (points, linked to the day) against the share of the 28 days before (dashed)."""
    days = data["days"]
    f = _Frame(len(days), 1.0, width, height)
    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="svg-chart share-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{e(data["pair"])} cooperation share a day against the 28 days before">'
    ]
    out += f.axes(days, [(k / 4, f"{k * 25}%") for k in range(5)])
    for values, cls in ((data["share_28d"], "mean"), (data["share"], "line")):
        for run in _runs(values):  # a gap where a day has no relations (no share) or no history (no baseline)
            points = " ".join(f"{f.x(i):.1f},{f.y(values[i]):.1f}" for i in run)
            out.append(f'<polyline class="{cls}" points="{points}"/>')
    for i, (d, s) in enumerate(zip(days, data["share"], strict=True)):
        if s is None:
            continue
        before = data["share_28d"][i]
        title = f"{d}: {s:.0%} cooperation" + (
            f", {before:.0%} over the 28 days before" if before is not None else ""
        )
        out.append(
            f'<a href="{e(link(d))}" data-day="{d}"><circle cx="{f.x(i):.1f}" cy="{f.y(s):.1f}" r="4" '
            f'class="pt"><title>{e(title)}</title></circle></a>'
        )
    out.append("</svg>")
    return "".join(out)


def _runs(values: list) -> list[list[int]]:
    runs: list[list[int]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


# ---------------------------------------------------------------------------------------------------- one day


def relation_day_data(con, pair: str, day: date) -> dict:
    """The relations of one day between the two countries, by direction and class, each sentence once per story
    (its copies in other outlets listed with it)."""
    a, b = pair.split("-")
    rows = con.execute(
        """SELECT r.source, r.target, r.class, r.cue, r.reported, r.evidence, r.story_id, r.outlet, r.title, r.url,
                  r.state_affiliated,
                  (SELECT list(m.surface ORDER BY m.start_char) FROM mentions m
                   WHERE m.article_id = r.article_id AND m.sentence = r.sentence AND m.country = r.source)
           FROM relation_evidence r
           WHERE r.day = ? AND ((r.source = ? AND r.target = ?) OR (r.source = ? AND r.target = ?))
           ORDER BY r.source, r.target, r.class, r.story_id, r.article_id, r.sentence""",
        [day, a, b, b, a],
    ).fetchall()
    groups: dict[tuple[str, str, str], dict] = {}
    for source, target, cls, cue, reported, evidence, story_id, outlet, title, url, state, actor in rows:
        group = groups.setdefault(
            (source, target, cls),
            {"source": source, "target": target, "class": cls, "label": CLASS_LABELS.get(cls, cls),
             "id": f"rel-{source}-{target}-{cls}", "items": {}, "stories": set()},
        )  # fmt: skip
        group["stories"].add(story_id)
        item = group["items"].setdefault(
            (story_id, evidence),
            {"story_id": story_id, "title": title, "cue": cue, "reported": bool(reported),
             "evidence_html": mark_cue(evidence or "", cue, actor or []), "outlets": [], "url": url},
        )  # fmt: skip
        if outlet not in item["outlets"]:
            item["outlets"].append(outlet + (" (state-affiliated)" if state else ""))
    order = {c: i for i, c in enumerate(CLASSES)}
    listed = sorted(groups.values(), key=lambda g: (g["source"] != a, order.get(g["class"], 9)))
    for g in listed:
        g["items"] = list(g["items"].values())
        g["stories"] = len(g["stories"])
    row = con.execute(
        """SELECT cooperation_stories, conflict_stories, share, share_28d FROM daily_cooperation
           WHERE pair = ? AND day = ?""",
        [pair, day],
    ).fetchone()
    cooperation = (
        dict(zip(("cooperation", "conflict", "share", "share_28d"), row, strict=True)) if row else None
    )
    return {"pair": pair, "a": a, "b": b, "day": day, "groups": listed, "cooperation": cooperation}


def mark_cue(sentence: str, cue: str | None, actor: list[str] | tuple[str, ...] = ()) -> str:
    """The sentence as HTML with the cue that decided the class in <mark>: its first occurrence after the source
    country is first named (so "The US accused China ..., and Beijing accused Washington" marks the second
    "accused" for China -> US), else its first occurrence (an actor after its cue: "sanctioned by Washington")."""
    if not cue:
        return html.escape(sentence)
    named = [i for i in (sentence.find(surface) for surface in actor if surface) if i >= 0]
    rx = re.compile(re.escape(cue), re.IGNORECASE)
    m = (rx.search(sentence, min(named)) if named else None) or rx.search(sentence)
    if not m:
        return html.escape(sentence)
    return (
        html.escape(sentence[: m.start()])
        + f"<mark>{html.escape(m.group(0))}</mark>"
        + html.escape(sentence[m.end() :])
    )
