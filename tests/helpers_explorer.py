"""The demo corpus through the real pipeline, once per test session, for the explorer and search tests."""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from newsmon.config import Paths, paths

_BUILT: dict[str, tuple[Paths, date]] = {}


def demo_corpus(root: Path) -> tuple[Paths, date]:
    """(paths, spike day): the demo feeds fetched, cleaned, tagged, loaded and published under root."""
    if "demo" in _BUILT:
        return _BUILT["demo"]
    from newsmon.demo.server import DemoServer
    from newsmon.pipeline import run_once

    p = paths(root / "data").ensure()
    saved = os.environ.get("NEWSMON_ALLOW_HOSTS")
    try:
        with DemoServer(host="127.0.0.1", port=0) as server:
            os.environ["NEWSMON_ALLOW_HOSTS"] = server.url
            run_once(feeds_file=server.write_feeds_yaml(root / "feeds.yaml"), data_dir=p.data_dir)
    finally:
        os.environ.pop("NEWSMON_ALLOW_HOSTS", None) if saved is None else os.environ.__setitem__(
            "NEWSMON_ALLOW_HOSTS", saved
        )
    import duckdb

    con = duckdb.connect(str(p.analyst_db), read_only=True)
    try:
        spike = con.execute(
            "SELECT day FROM daily_pair WHERE pair = 'CN-RU' AND level = 'sentence' ORDER BY stories DESC LIMIT 1"
        ).fetchone()[0]
    finally:
        con.close()
    _BUILT["demo"] = (p, spike)
    return p, spike


def days_ago(n: int) -> date:
    from datetime import UTC, datetime

    return datetime.now(UTC).date() - timedelta(days=n)


@contextmanager
def explorer_server(p: Paths, runs: list[dict] | None = None):
    """The explorer router on a loopback uvicorn server (no Airflow login here; the plugin adds it): its base URL."""
    import uvicorn
    from fastapi import FastAPI
    from newsmon.explorer import make_router

    app = FastAPI()
    app.include_router(
        make_router(lambda: p, (lambda: runs) if runs is not None else None), prefix="/newsmon"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/newsmon"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def get(url: str) -> tuple[int, dict, str]:
    """GET over real HTTP: status, headers, body; an HTTP error's status and body instead of raising."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()
