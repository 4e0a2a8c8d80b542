"""Which feed list the last run used, so `newsmon feeds` and the page report on that list.

Every run (`newsmon run`, the `plan_shards` task) writes data/state/feed_list.json: the file it read and the
feed names in it. Without the record, a demo run on demo.yaml would be reported against the bundled list: 61
feeds "never fetched" and the demo feeds "(not in list)".
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from newsmon.config import Paths, feeds_file, load_feeds
from newsmon.config import paths as get_paths
from newsmon.models import FeedConfig

RECORD_NAME = "feed_list.json"


def record_path(paths: Paths) -> Path:
    return paths.state / RECORD_NAME


def record_feed_list(paths: Paths, path: str | os.PathLike | None, feeds: list[FeedConfig]) -> None:
    """Remember the list a run is about to fetch (written whole, then renamed: never half a file)."""
    target = record_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "path": str(Path(feeds_file(path)).resolve()),
        "feeds": [f.name for f in feeds],
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(target)


def last_feed_list(paths: Paths) -> dict | None:
    """The record of the last run, or None when no run has recorded one (or the record is unreadable)."""
    try:
        record = json.loads(record_path(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("feeds"), list):
        return None
    return record


def listed_feed_names(paths: Paths) -> set[str] | None:
    """Names of the feeds the last run used; None when unknown (then nothing is hidden)."""
    record = last_feed_list(paths)
    return {str(n) for n in record["feeds"]} if record else None


def feeds_in_use(paths: Paths, explicit: str | None = None) -> tuple[list[FeedConfig], str]:
    """The feed list to report on and where it came from: --feeds, else the last run's, else the default."""
    if explicit:
        return load_feeds(explicit), explicit
    record = last_feed_list(paths)
    if record and Path(record.get("path", "")).exists():
        return load_feeds(record["path"]), f"{record['path']} (used by the last run, {record['recorded_at']})"
    return load_feeds(None), str(feeds_file(None))


def cli_feeds(args) -> int:
    """`newsmon feeds [--feeds FILE] [--all] [--json]`: the health of every feed of the list the last run used."""
    from newsmon.feeds import FeedStateStore, format_health_table, health_rows

    paths = get_paths()
    feeds, origin = feeds_in_use(paths, getattr(args, "feeds", None))
    rows = health_rows(feeds, FeedStateStore(paths.state / "feeds"))
    unlisted = [r for r in rows if not r["in_feed_list"]]
    if not getattr(args, "all", False):
        rows = [r for r in rows if r["in_feed_list"]]
    if getattr(args, "json", False):
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    print(f"feed list: {origin}\n")
    print(format_health_table(rows))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print("\n" + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    if unlisted and not getattr(args, "all", False):
        print(f"{len(unlisted)} feed(s) with saved state are not in this list (shown with --all)")
    return 0
