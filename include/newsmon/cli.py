"""The `newsmon` command. Argument parsing only: each command calls one function of its stage module.

Bad input ends in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module, function); modules are imported only when their command runs, so `newsmon tag`
# does not pay for Airflow or trafilatura.
COMMANDS = {
    "run": ("newsmon.pipeline", "cli_run"),
    "extract": ("newsmon.clean", "cli_extract"),
    "feeds": ("newsmon.feedlist", "cli_feeds"),
    "tag": ("newsmon.relations", "cli_tag"),  # the tagger's output plus relations
    "retag": ("newsmon.pipeline", "cli_retag"),
    "daily": ("newsmon.aggregates", "cli_daily"),
    "trends": ("newsmon.aggregates", "cli_trends"),
    "query": ("newsmon.aggregates", "cli_query"),
    "search": ("newsmon.search", "cli_search"),
    "shell": ("newsmon.shell", "cli_shell"),
    "digest": ("newsmon.digest", "cli_digest"),
    "demo-server": ("newsmon.demo.server", "cli_demo_server"),
    "publish": ("newsmon.warehouse", "cli_publish"),
    "rebuild": ("newsmon.warehouse", "cli_rebuild"),
}


DESCRIPTION = """\
newsmon watches news feeds for mentions of China, Russia and the United States: it fetches and cleans
articles, tags every country mention with the sentence that proves it, groups copies into stories, and
keeps daily trends with baselines and spike flags in data/newsmon.duckdb for analysts."""

EPILOG = """\
examples:
  newsmon run --once                          one pass over the feed list, with a summary
  newsmon trends --days 30 --pair CN-RU       daily stories with sparklines and spikes
  newsmon query "SELECT * FROM spikes LIMIT 5"   read-only SQL (views and macros: docs/analysts.md)
  newsmon search "sanctions" --pair CN-RU     a topic's share of a pair's coverage, day by day
  newsmon feeds                               the health of every feed the last run used
  newsmon digest --preview digest.html        yesterday's digest, for a browser

`newsmon COMMAND --help` describes a command. Data lives in ./data (or $NEWSMON_DATA_DIR, --data-dir)."""


class UserError(Exception):
    """Raised by a command for bad input; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newsmon",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-dir", help="data folder (default: $NEWSMON_DATA_DIR or ./data)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("run", help="run the whole pipeline in-process")
    s.add_argument("--once", action="store_true", help="one pass over all feeds, then exit")
    s.add_argument("--feeds", help="feed list (default: $NEWSMON_FEEDS or the bundled list)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")

    s = sub.add_parser("extract", help="extract and clean article pages")
    s.add_argument("files", nargs="+", metavar="FILE", help="saved HTML pages ('-' for stdin)")
    s.add_argument("--url", help="the URL the page came from")
    s.add_argument("--explain", action="store_true", help="show what each cleaning layer removed")
    s.add_argument("--raw", action="store_true", help="trafilatura's text without newsmon's cleaning")

    s = sub.add_parser("feeds", help="show feed health")
    s.add_argument("--feeds", help="feed list (default: the one the last run used)")
    s.add_argument("--all", action="store_true", help="also feeds with saved state that are not in the list")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("tag", help="tag country mentions and their relations in JSON lines or plain text")
    s.add_argument("file", nargs="?", help="input file (default: stdin)")
    s.add_argument("--text", action="store_true", help="input is plain text, not JSON lines")
    s.add_argument(
        "--date", help='article date for office-holder rules (YYYY-MM-DD); a JSON line\'s own "date" wins'
    )

    s = sub.add_parser("retag", help="re-tag stored articles after a watchlist change")
    s.add_argument("--since", help="only articles from this day on (YYYY-MM-DD)")

    s = sub.add_parser("daily", help="recompute daily aggregates and publish")
    s.add_argument("--date", action="append", help="day to recompute (repeatable; default: touched days)")
    s.add_argument("--start")
    s.add_argument("--end")

    s = sub.add_parser("trends", help="country and pair trends with sparklines")
    s.add_argument("--days", type=int, default=30)
    s.add_argument("--pair", help="a pair such as CN-RU (default: countries and all pairs)")
    s.add_argument("--country", help="a country code such as CN")
    s.add_argument("--level", default="sentence", choices=["sentence", "paragraph", "article"])
    s.add_argument(
        "--relations", metavar="PAIR", help="relations of a pair such as CN-US, per direction and class"
    )
    s.add_argument("--csv", metavar="FILE", help="also write the rows as CSV")
    s.add_argument("--parquet", metavar="FILE", help="also write the rows as Parquet")

    s = sub.add_parser("query", help="read-only SQL against the analyst database")
    s.add_argument("sql")
    s.add_argument("--csv", action="store_true", help="CSV on stdout instead of a table")
    s.add_argument("--wide", action="store_true", help="full cells (by default text is cut at 60 characters)")

    s = sub.add_parser("search", help="how much of a country's or pair's coverage is about a phrase, by day")
    s.add_argument("phrase", help='a word or phrase, e.g. "sanctions" (case does not matter)')
    s.add_argument("--pair", help="only articles co-mentioning this pair, e.g. CN-RU")
    s.add_argument("--country", help="only articles mentioning this country, e.g. CN")
    s.add_argument("--level", default="sentence", choices=["sentence", "paragraph", "article"])
    s.add_argument("--days", type=int, default=90, help="days up to the latest day (default 90)")
    s.add_argument("--full-text", action="store_true", help="search whole texts, not titles and evidence")
    s.add_argument("--json", action="store_true")

    sub.add_parser("shell", help="read-only SQL terminal on the analyst database (views and macros loaded)")

    s = sub.add_parser("digest", help="build or send the daily digest by hand")
    s.add_argument("--date", help="the day (default: yesterday UTC)")
    s.add_argument("--to", action="append", help="recipient (repeatable; default from config)")
    s.add_argument("--force", action="store_true", help="send even if the ledger says it was sent")
    s.add_argument("--outbox", help="write .eml files here instead of sending")
    s.add_argument("--preview", metavar="FILE.html", help="write the HTML for a browser and stop")

    s = sub.add_parser("demo-server", help="serve the bundled demo feeds and pages on loopback")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--write-feeds", metavar="FILE", help="write a feeds.yaml pointing at this server")

    s = sub.add_parser("publish", help="publish the analyst database from the warehouse")
    s.add_argument("--full", action="store_true", help="rebuild the analyst file instead of appending")
    s.add_argument(
        "--allow-shrink", action="store_true", help="publish even if the analyst file would lose articles"
    )

    s = sub.add_parser("rebuild", help="rebuild a lost warehouse from staging/loaded/, then publish")
    s.add_argument(
        "--allow-shrink", action="store_true", help="publish even if the analyst file would lose articles"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.data_dir:
        import os

        os.environ["NEWSMON_DATA_DIR"] = args.data_dir
    module_name, func_name = COMMANDS[args.command]
    from newsmon.config import ConfigError
    from newsmon.reader import ReaderError

    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args) or 0)
    except (UserError, ReaderError, ConfigError, FileNotFoundError) as exc:
        print(f"newsmon {args.command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that is a file, a full disk, no permission: the OS says which path
        print(f"newsmon {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"newsmon {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    # `python -m newsmon.cli` runs this file as __main__, a second copy of the module: hand over to the imported
    # newsmon.cli, whose UserError is the class the other modules raise (WarehouseError and friends), so main()
    # catches them and prints one line instead of a traceback.
    from newsmon.cli import main as package_main

    sys.exit(package_main())
