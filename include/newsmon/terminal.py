"""What the commands print on a terminal: tables and the progress bar drawn by rich, and sparklines.

Cells are made printable first (`printable`) and handed to rich as Text, never as markup, so a stored value can
neither drive the terminal nor be read as rich markup ("[red]"). Tables are rendered to a string at their
natural width, not squeezed to the terminal's: `query` output is read, copied and piped, and a pipe has no width
(cells are cut at CELL_WIDTH characters instead, unless `--wide`). Rich has no sparkline renderable, so the
one-character-a-day line is the few lines of `sparkline` below, set in a table column like any cell.
"""

from __future__ import annotations

import io
import math
import sys
import unicodedata
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

CELL_WIDTH = 60
SPARKS = "▁▂▃▄▅▆▇█"
_WIDE = 1_000_000  # "no width limit" for the string console: tables keep their natural width


def printable(text: str) -> str:
    """Newlines and tabs as spaces, other non-printables (ESC, NUL, bidi overrides ...) as visible escapes, so a
    stored value can neither drive the terminal nor reorder the table."""
    text = text.replace("\n", " ").replace("\t", " ")
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else ascii(ch)[1:-1] for ch in text
    )


def cell(value, width: int | None = CELL_WIDTH) -> str:
    """One table cell; text longer than `width` is cut with an ellipsis (None: never cut)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.4g}"
    text = printable(str(value))
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def render(renderable) -> str:
    """A rich renderable as plain text (no colour, no trailing blanks), for print() and for tests alike."""
    out = io.StringIO()
    console = Console(
        file=out, width=_WIDE, color_system=None, highlight=False, markup=False, emoji=False, soft_wrap=False
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence],
    right: Sequence[bool] | None = None,
    cell_width: int | None = CELL_WIDTH,
) -> str:
    """Columns under a rule, two spaces apart; `right`: right-aligned columns (default: the numeric ones)."""
    if right is None:
        right = [
            bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows)
            for i in range(len(columns))
        ]
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style="")
    for name, is_right in zip(columns, right, strict=True):
        grid.add_column(Text(printable(str(name))), justify="right" if is_right else "left", no_wrap=True)
    for row in rows:
        grid.add_row(*(v if isinstance(v, Text) else Text(cell(v, cell_width)) for v in row))
    return render(grid)


def sparkline(values: list[float]) -> str:
    """One character per value, scaled between zero and the series maximum."""
    top = max(values, default=0)
    if top <= 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1) + 0.5))] for v in values)


class ProgressBar:
    """A rich progress bar on stderr (`newsmon run` on a terminal): done of total, with the time taken."""

    def __init__(self, label: str):
        self._progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
        )
        self._task = self._progress.add_task(label, total=None)
        self._progress.start()

    def update(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=max(total, done) or None)

    def close(self) -> None:
        self._progress.stop()
