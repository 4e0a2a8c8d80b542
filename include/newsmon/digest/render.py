"""The digest's words: subject, summary, the plain-text part and the HTML part, made from `Facts` only.

The HTML is mail HTML (tables and inline styles, which is what mail clients render); the one image is the chart,
by Content-ID.
"""

from __future__ import annotations

import dataclasses
import re

from markupsafe import Markup

from newsmon.digest.facts import BASELINE_DAYS, Facts, Figure
from newsmon.templating import render

ALREADY_LISTED = "Its top stories are listed above."

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


# ---------------------------------------------------------------------------------------------------- parts


def render_text(facts: Facts, subject: str, manage_url: str = "") -> str:
    """The plain-text part (templates/digest.txt)."""
    context = _context(facts, subject, manage_url)
    figures = context["figures"]
    context["width"] = max((len(f["name"]) for f in figures), default=0) + 2
    context["table_title"] = (
        f"WHAT MOVED: stories today vs the {_baseline_phrase(facts)}"
        if facts.baseline_days
        else "TODAY: stories (no baseline yet)"
    )
    return render("digest.txt", **context)


def render_html(facts: Facts, subject: str, content_id: str, manage_url: str = "") -> str:
    """The HTML part (templates/digest.html): mail HTML, autoescaped, the chart by Content-ID."""
    context = _context(facts, subject, manage_url)
    context.update(
        content_id=content_id,
        caption_sentence=f"{_capital(context['caption'])}.",
        baseline=_baseline_phrase(facts) if facts.baseline_days else "mean (none yet)",
        c=PALETTE,
    )
    for section in context["sections"]:
        for story in section["stories"]:
            story["href"] = _safe_href(story["url"])
    return render("digest.html", **context)


def _context(facts: Facts, subject: str, manage_url: str) -> dict:
    """What both parts say, as plain values: the templates only lay it out."""
    footer = _footer_text(facts, manage_url)
    before, _, after = footer.partition(manage_url) if manage_url else (footer, "", "")
    figures = [] if facts.main_kind == "empty" else facts.countries + facts.pairs
    return {
        "subject": subject,
        "headline": subject.rsplit(" · ", 1)[0],
        "date_long": f"{facts.day:%A %d %B %Y}",
        "summary": summary_sentences(facts),
        "figures": [
            {
                "name": f.name,
                "kind": f.kind,
                "stories": f.stories,
                "mean": _num(f.mean_28d),
                "ratio": _ratio_text(f),
                "spike": f.spike,
            }
            for f in figures
        ],
        "pair_level": facts.pair_level,
        "rule": spike_rule() if rule_needed(facts) else "",
        "sections": [
            {
                "title": _section_title(_figure(facts, key), facts),
                "stories": [dataclasses.asdict(s) for s in stories],
            }
            for key, stories in facts.stories.items()
        ],
        "already_listed": ALREADY_LISTED,
        "ties": [
            {
                "line": t.line(),
                "relations": [
                    {"line": r.line(), "outlet": r.outlet, "evidence": r.evidence} for r in t.relations
                ],
            }
            for t in facts.ties
        ],
        "caption": _chart_caption(facts),
        "health": facts.health.line(),
        "manage_url": manage_url,
        "footer_before": before,
        "footer_after": after,
    }


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


# ---------------------------------------------------------------------------------------------------- look


# Trusted constants, marked safe: the font list has quotes that must reach the style attribute as they are.
FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK, MUTED, RULE, SPIKE_BG, SPIKE_INK = "#1f2937", "#6b7280", "#e5e7eb", "#fef3c7", "#92400e"
PALETTE = {
    name: Markup(value)
    for name, value in {
        "font": FONT,
        "ink": INK,
        "muted": MUTED,
        "rule": RULE,
        "spike_bg": SPIKE_BG,
        "spike_ink": SPIKE_INK,
    }.items()
}


def _safe_href(url: str) -> str | None:
    """Only http(s) links go into href; anything else (javascript:, data:) is shown as text or dropped."""
    return url if re.match(r"^https?://", url or "", re.IGNORECASE) else None
