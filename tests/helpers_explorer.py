"""The demo corpus through the real pipeline, once per test session, for the explorer and search tests."""

from __future__ import annotations

import os
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
