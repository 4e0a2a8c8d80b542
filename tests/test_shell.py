"""`newsmon shell` in a real pseudo-terminal (tmux), and fed from a pipe, on a published analyst database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers_aggregates import Doc, insert_docs, warehouse_connection
from newsmon.cli import main
from newsmon.config import Paths

NEWSMON = str(Path(sys.executable).with_name("newsmon"))


@pytest.fixture
def db(tmp_path, monkeypatch) -> Paths:
    p = Paths(tmp_path / "data")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(p.data_dir))
    con = warehouse_connection(p)
    d0 = date(2026, 1, 1)
    insert_docs(con, [Doc(f"cn{i}", d0 + timedelta(days=i), countries={"CN": 1}) for i in range(5)])
    con.close()
    assert main(["daily", "--start", "2026-01-01", "--end", "2026-01-05"]) == 0
    return p


def test_piped_statements_run_read_only_with_macros(db):
    script = (
        "SELECT sum(stories) AS total FROM series('CN', DATE '2026-01-01', DATE '2026-01-05');\n"
        ".tables\n"
        "CREATE TABLE mine AS SELECT 1;\n"
        "SELECT * FROM read_csv('/etc/passwd');\n"
    )
    env = {**os.environ, "NEWSMON_DATA_DIR": str(db.data_dir)}
    out = subprocess.run(
        [NEWSMON, "shell"], input=script, capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 1  # the two refused statements
    lines = out.stdout.splitlines()
    assert lines[:3] == ["total", "─────", "    5"]  # header, rule, right-aligned number
    assert any(line.startswith("views: ") and "daily_series" in line for line in lines)
    assert any(line.startswith("macros: ") and "series" in line and "top_stories" in line for line in lines)
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 2 and "read-only" in errors[0].lower() and "root" not in out.stdout


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux not installed")
def test_shell_in_a_terminal_runs_a_query(db, tmp_path):
    session = f"newsmon-shell-{os.getpid()}"
    env_args = ["-e", f"NEWSMON_DATA_DIR={db.data_dir}", "-e", "PROMPT_TOOLKIT_NO_CPR=1"]
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", *env_args,
                    NEWSMON, "shell"], check=True)  # fmt: skip

    def screen() -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
        ).stdout

    def wait_for(text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on the screen:\n{screen()}")

    def type_line(text: str) -> None:
        # -l: the text literally (a trailing ';' would otherwise end the tmux command), then Enter
        literal = text[:-1] + "\\;" if text.endswith(";") else text  # tmux's escape for a final ';'
        subprocess.run(["tmux", "send-keys", "-t", session, "-l", literal], check=True)
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)

    try:
        wait_for("newsmon>")
        type_line("SELECT country, sum(stories) AS n")
        wait_for("...>")
        type_line("FROM daily_country GROUP BY 1 ORDER BY 1;")
        shown = wait_for("(3 rows)")
        assert "country" in shown and "CN" in shown and "5" in shown
        type_line("SELEC nonsense;")
        assert "error: Parser Error" in wait_for("error:")
        type_line(".quit")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode != 0:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the shell did not leave on .quit")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
