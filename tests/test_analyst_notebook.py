"""docs/analysts_notebook.py (marimo): on the demo corpus run through the real pipeline, every worked example of
docs/analysts.md runs and returns rows, the charts hold the data, and the notebook exports to HTML."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from newsmon.aggregates import run_daily
from newsmon.config import Paths

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "analysts_notebook.py"
DOC = ROOT / "docs" / "analysts.md"


def _worked_blocks() -> list[str]:
    section = DOC.read_text(encoding="utf-8").split("## Worked examples", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```sql\n(.*?)```", section, flags=re.S)]


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    """The bundled demo corpus fetched, cleaned, tagged and published by the pipeline, all days aggregated."""
    from newsmon.demo.server import DemoServer
    from newsmon.pipeline import run_once

    data_dir = tmp_path_factory.mktemp("notebook") / "data"
    env = {"NEWSMON_DATA_DIR": str(data_dir), "NEWSMON_READ_TIMEOUT": "1.5"}
    saved = {k: os.environ.get(k) for k in [*env, "NEWSMON_FEEDS", "NEWSMON_ALLOW_HOSTS"]}
    try:
        with DemoServer(host="127.0.0.1", port=0, slow_seconds=3) as server:
            feeds_file = data_dir.parent / "feeds.yaml"
            server.write_feeds_yaml(feeds_file)
            os.environ.update({**env, "NEWSMON_FEEDS": str(feeds_file), "NEWSMON_ALLOW_HOSTS": server.url})
            run_once(feeds_file)
        paths = Paths(data_dir)
        with duckdb.connect(str(paths.analyst_db), read_only=True) as con:
            lo, hi = con.execute("SELECT min(day), max(day) FROM articles").fetchone()
        run_daily(paths, days=[lo + timedelta(days=i) for i in range((hi - lo).days + 1)])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return data_dir


def _notebook_copy(folder: Path) -> Path:
    """The notebook and its doc copied to a scratch folder: marimo leaves a session cache beside the notebook,
    which must not land in the work tree."""
    (folder / "docs").mkdir(parents=True, exist_ok=True)
    for source in (NOTEBOOK, DOC):
        (folder / "docs" / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return folder / "docs" / NOTEBOOK.name


def _run_notebook(data_dir: Path, charts: Path) -> dict:
    """The notebook's definitions after a run in a fresh interpreter (as `python docs/analysts_notebook.py`)."""
    script = (
        "import json, runpy, sys\n"
        f"ns = runpy.run_path({str(_notebook_copy(charts.parent / 'run'))!r})\n"
        "_, defs = ns['app'].run()\n"
        "res = defs['results']\n"
        "out = {'examples': [sql for _, sql in defs['examples']],\n"
        "       'rows': {k: len(v[1]) for k, v in res.items()},\n"
        "       'chart_points': {n: sum(sum(len(ln.get_xdata()) for ln in a.lines) + len(a.patches)\n"
        "                                + sum(len(c.get_offsets()) for c in a.collections) for a in f.axes)\n"
        "                        for n, f in defs['charts'].items()}}\n"
        "print('RESULT' + json.dumps(out))\n"
    )
    env = {**os.environ, "NEWSMON_DATA_DIR": str(data_dir), "NEWSMON_NOTEBOOK_CHARTS": str(charts)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


@pytest.mark.slow
def test_notebook_reproduces_every_worked_example_with_charts(demo_data, tmp_path):
    out = _run_notebook(demo_data, tmp_path / "charts")
    # exactly the doc's SQL, every block of the section, in order
    assert out["examples"] == _worked_blocks() and len(out["examples"]) >= 12
    empty = [caption for caption, n in out["rows"].items() if n == 0]
    assert empty == [], f"worked examples without rows on the demo corpus: {empty}"
    assert set(out["chart_points"]) == {"cn_ru_series", "weekly_countries", "state_vs_other"}
    assert all(n > 2 for n in out["chart_points"].values()), out["chart_points"]
    pngs = sorted(p.name for p in (tmp_path / "charts").glob("*.png"))
    assert pngs == ["cn_ru_series.png", "state_vs_other.png", "weekly_countries.png"]
    assert all((tmp_path / "charts" / p).stat().st_size > 5000 for p in pngs)  # drawn, not blank


@pytest.mark.slow
def test_notebook_exports_to_html_with_its_results(demo_data, tmp_path):
    html = tmp_path / "analysts.html"
    marimo = Path(sys.executable).with_name("marimo")
    done = subprocess.run(
        [str(marimo), "export", "html", str(_notebook_copy(tmp_path / "run")), "-o", str(html)],
        env={**os.environ, "NEWSMON_DATA_DIR": str(demo_data)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = html.read_text(encoding="utf-8")
    summary = re.search(r"(\d+) worked examples of docs/analysts.md, (\d+) with rows", page)
    assert summary, "the notebook's summary is not in the exported page"
    assert int(summary.group(1)) == int(summary.group(2)) == len(_worked_blocks())
    assert page.count("data:image/png") >= 3  # the three charts, drawn into the page
