"""The digest's chart: stories per day over the last 30 days, drawn as a phone-readable PNG (matplotlib).

The mail carries it inline by Content-ID; a PNG rather than SVG because mail clients (Gmail, Outlook) do not show
SVG images.
"""

from __future__ import annotations

import io
import math
from datetime import timedelta

from newsmon.digest.facts import CHART_NAMES, TREND_DAYS, Facts, Figure
from newsmon.digest.render import INK, MUTED, RULE

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS = {"CN": "#D55E00", "RU": "#0072B2", "US": "#009E73"}
EXTRA_COLOURS = ("#CC79A7", "#E69F00", "#56B4E9", "#000000")


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
