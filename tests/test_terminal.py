"""newsmon.terminal: rich tables that keep stored text inert, and the rich progress bar of `newsmon run` in a
real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from newsmon.terminal import cell, sparkline, table

ROOT = Path(__file__).resolve().parents[1]


def test_table_aligns_and_keeps_markup_and_control_characters_inert():
    text = table(["name", "n"], [("[bold red]x[/]", 1), ("a\x1b[2Jb\tc\u202e", 22.5)])
    lines = text.splitlines()
    assert lines[0].split() == ["name", "n"] and set(lines[1]) == {"─"}
    assert lines[2].startswith("[bold red]x[/]") and lines[2].endswith(" 1")  # markup printed as typed
    assert "\x1b" not in text and "\\x1b[2Jb c\\u202e" in lines[3] and lines[3].endswith("22.5")


def test_cells_are_cut_unless_wide_and_sparklines_scale_to_the_top():
    long = "word " * 30
    assert cell(long).endswith("…") and len(cell(long)) == 60
    assert cell(long, None) == long and cell(None) == "" and cell(0.5) == "0.5"
    assert len(table(["t"], [(long,)], cell_width=None).splitlines()[2]) == len(long.rstrip())
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█" and sparkline([]) == ""


def test_the_progress_bar_draws_on_a_terminal_and_gives_the_cursor_back():
    script = (
        "import sys; sys.path.insert(0, 'include')\n"
        "from newsmon.pipeline import Progress\n"
        "p = Progress(enabled=True); p.add_total(7)\n"
        "[p.step() for _ in range(7)]\n"
        "p.close()\n"
    )
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    os.close(leader)
    text = out.decode("utf-8", "replace")
    assert "articles" in text and "7/7" in text and "\x1b[?25h" in text  # cursor shown again


def test_the_progress_bar_is_silent_off_a_terminal():
    out = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, 'include')\n"
         "from newsmon.pipeline import Progress\np = Progress(); p.add_total(3); p.step(3); p.close()"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""
