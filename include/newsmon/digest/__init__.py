"""The daily digest email: what moved, the stories behind it, a 30-day chart; delivered exactly once.

Split by what it does (this package re-exports the names others use, so `newsmon.digest` stays the one import):

- `facts`: what the analyst database says about a day (`load_facts`, `Facts`), through newsmon.reader;
- `chart`: the 30-day chart as a PNG (`render_chart`);
- `render`: subject, summary, the plain-text and the HTML part from Jinja2 templates (`render_text`,
  `render_html`);
- `send`: the mail and its headers (`Digest.message`), the ledger and delivery by SMTP or to the outbox
  (`build_digest`, `send_digest`).

This module keeps the `newsmon digest` command.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from newsmon.config import ConfigError, Settings
from newsmon.config import paths as get_paths
from newsmon.digest.chart import render_chart
from newsmon.digest.facts import (
    BASELINE_DAYS,
    COUNTRY_NAMES,
    DEFAULT_COUNTRIES,
    DEFAULT_PAIR_LEVEL,
    DEFAULT_PAIRS,
    PAIR_LEVELS,
    TREND_DAYS,
    Facts,
    FeedHealth,
    Figure,
    Story,
    Tie,
    TieRelation,
    anything_ingested,
    canonical_link,
    gloss,
    load_facts,
)
from newsmon.digest.render import (
    _spike_phrase,
    describe_change,
    make_subject,
    manage_line,
    render_html,
    render_text,
    rule_needed,
    spike_rule,
    summary_sentences,
)
from newsmon.digest.send import (
    DEFAULT_SENDER,
    Digest,
    DigestSendError,
    SendReport,
    SmtpSettings,
    build_digest,
    digest_manage_url,
    digest_message_id,
    ledger_recipients,
    resolve_recipients,
    send_digest,
)

__all__ = [
    "BASELINE_DAYS",
    "COUNTRY_NAMES",
    "DEFAULT_COUNTRIES",
    "DEFAULT_PAIR_LEVEL",
    "DEFAULT_PAIRS",
    "DEFAULT_SENDER",
    "PAIR_LEVELS",
    "TREND_DAYS",
    "Digest",
    "DigestSendError",
    "Facts",
    "FeedHealth",
    "Figure",
    "SendReport",
    "SmtpSettings",
    "Story",
    "Tie",
    "TieRelation",
    "_spike_phrase",
    "anything_ingested",
    "build_digest",
    "canonical_link",
    "check_digest_day",
    "cli_digest",
    "describe_change",
    "digest_manage_url",
    "digest_message_id",
    "gloss",
    "ledger_recipients",
    "load_facts",
    "make_subject",
    "manage_line",
    "parse_day",
    "render_chart",
    "render_html",
    "render_text",
    "resolve_recipients",
    "rule_needed",
    "send_digest",
    "spike_rule",
    "summary_sentences",
    "yesterday_utc",
]


def yesterday_utc(now: datetime | None = None) -> date:
    """The last complete UTC day relative to `now`."""
    now = now or datetime.now(UTC)
    return (now.astimezone(UTC) - timedelta(days=1)).date()


def parse_day(raw: str, what: str = "day") -> date:
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{what} {raw!r} is not a date (YYYY-MM-DD)") from None


def check_digest_day(day: date, now: datetime | None = None) -> None:
    """A digest speaks of a day that has happened: a future day is refused, today gets a warning."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    if day > today:
        raise ConfigError(
            f"--date {day} is in the future (today is {today} UTC); the digest describes a day that has ended"
        )
    if day == today:
        print(
            f"newsmon digest: warning: {day} is today (UTC) and not over yet; its figures are partial",
            file=sys.stderr,
        )


def cli_digest(args) -> int:
    """newsmon digest --date D [--to ADDR] [--force] [--outbox DIR] [--preview FILE.html]"""
    day = parse_day(args.date, "--date") if getattr(args, "date", None) else yesterday_utc()
    check_digest_day(day)
    paths = get_paths()
    settings = Settings.load()
    if getattr(args, "preview", None):
        level = settings.section("digest").get("pair_level") or DEFAULT_PAIR_LEVEL
        digest = build_digest(
            paths.analyst_db, day, args.to, pair_level=level, manage_url=digest_manage_url(settings)
        )
        out = Path(args.preview)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(digest.preview_html(), encoding="utf-8")
        print(f"{digest.subject}\npreview written to {out}")
        return 0
    try:
        report = send_digest(
            paths, day, recipients=args.to, force=args.force, outbox=args.outbox, settings=settings
        )
    except DigestSendError as exc:
        print(f"newsmon digest: {exc}", file=sys.stderr)
        return 1
    for d in report.delivered:
        where = f" -> {d['path']}" if d["path"] else ""
        print(f"{d['status']}: {d['recipient']}{where}")
    for r in report.skipped:
        print(f"already sent: {r} (use --force to send again)")
    if report.subject:
        print(f"subject: {report.subject}")
    return 0
