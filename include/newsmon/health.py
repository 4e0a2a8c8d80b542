"""Feed-health flags and the alert emails that tell operators about them.

A feed is flagged when it
- fails repeatedly: `consecutive_failures` (kept by the ingest in `feed_health`) reaches `failing_after`;
- goes silent: no new item for much longer than its usual cadence (the median gap between its articles over the
  last weeks, times `silent_factor`, never less than `silent_floor_hours`); a feed with too little history to know
  its cadence is silent after `silent_default_hours`;
- loses its pages: the share of its articles that fell back to the feed's own summary (`text_source = 'feed'`)
  jumps by `extraction_jump` over its own history.

`feed_flags(con, now)` computes the flags from any connection holding the published tables (the warehouse or the
analyst database), so the page, the digest and the alerts agree; its queries are newsmon.reader's. `send_alerts` mails new flags at most once per
feed, flag and UTC day (the `alert_ledger` table) and notes recoveries, which clear the ledger row. Without an
SMTP server the message goes to `data/outbox/` as an .eml file, like the digest.

Thresholds come from the `health:` section of settings.yaml.
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import duckdb

from newsmon import reader
from newsmon.config import ConfigError, Paths, Settings

log = logging.getLogger(__name__)

FLAG_KINDS = ("failing", "silent", "extraction")


@dataclass
class HealthSettings:
    failing_after: int = 3  # consecutive failed fetches
    silent_factor: float = 4.0  # silent after this many usual gaps without a new item ...
    silent_floor_hours: float = 12.0  # ... but never sooner than this
    silent_default_hours: float = 72.0  # when the history is too short to know the cadence
    cadence_days: int = 30  # history used for the cadence
    cadence_min_gaps: int = 3
    extraction_window_hours: float = 24.0  # "recent" articles for the extraction-failure share
    extraction_history_days: int = 14  # compared with the feed's own share over this period before
    extraction_min_articles: int = 5  # in each of the two periods
    extraction_jump: float = 0.3  # flag when the share rises by this much (0.3 = 30 points)
    alert_from: str = "newsmon@localhost"
    alert_to: list[str] = field(default_factory=list)  # NEWSMON_ALERT_TO (comma-separated) overrides

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> HealthSettings:
        raw = (settings or Settings.load()).section("health")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ConfigError(f"settings.yaml health: unknown keys {unknown}; known: {sorted(known)}")
        values = {}
        for key, value in raw.items():
            try:
                values[key] = _coerce(value, cls.__dataclass_fields__[key].default)
            except (TypeError, ValueError):
                raise ConfigError(f"settings.yaml health.{key}: {value!r} is not valid") from None
        hs = cls(**values)
        env_to = os.environ.get("NEWSMON_ALERT_TO")
        if env_to is not None:
            hs.alert_to = [a.strip() for a in env_to.split(",") if a.strip()]
        return hs


def _coerce(value, default):
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int | float) and not isinstance(default, bool):
        return type(default)(value)
    if isinstance(default, str):
        return str(value)
    if isinstance(value, str):  # a list given as "a@x, b@y"
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


@dataclass(frozen=True)
class FeedFlag:
    feed: str
    kind: str  # failing | silent | extraction
    message: str  # one line that says what is wrong and where to look
    since: datetime | None = None  # last success, last new item, or start of the recent window

    def as_dict(self) -> dict:
        d = asdict(self)
        d["since"] = self.since.isoformat() if self.since else None
        return d


# ---------------------------------------------------------------------------------------------------- flags


def feed_flags(
    con: duckdb.DuckDBPyConnection, now: datetime | None = None, settings: HealthSettings | None = None
) -> list[FeedFlag]:
    """Every current flag, sorted by feed then kind. Reads feed_health and articles; writes nothing."""
    now = _utc(now or datetime.now(UTC))
    hs = settings or HealthSettings.from_settings()
    flags = _failing(con, hs)
    failing = {f.feed for f in flags}
    # A failing feed is silent too; the failure is the actionable cause, so report only that.
    flags += [f for f in _silent(con, now, hs) if f.feed not in failing]
    flags += _extraction(con, now, hs)
    return sorted(flags, key=lambda f: (f.feed, FLAG_KINDS.index(f.kind)))


def _failing(con, hs: HealthSettings) -> list[FeedFlag]:
    rows = reader.failing_feeds(con, hs.failing_after)
    flags = []
    for feed, failures, last_ok, error, http_status in rows:
        reason = error or (f"HTTP {http_status}" if http_status else "unknown error")
        ok = f"last success {_ago(last_ok)}" if last_ok else "never fetched successfully"
        flags.append(
            FeedFlag(
                feed,
                "failing",
                f"{feed}: failed {failures} times in a row ({ok}); last error: {reason}. "
                "Check the feed URL and `newsmon feeds`.",
                _utc(last_ok) if last_ok else None,
            )
        )
    return flags


def _silent(con, now: datetime, hs: HealthSettings) -> list[FeedFlag]:
    start = now - timedelta(days=hs.cadence_days)
    rows = reader.feed_cadences(con, start, now)
    flags = []
    for feed, last_new, median_gap, n_gaps, last_success in rows:
        if n_gaps >= hs.cadence_min_gaps and median_gap:
            usual = timedelta(seconds=float(median_gap))
            limit = max(usual * hs.silent_factor, timedelta(hours=hs.silent_floor_hours))
            basis = f"usually a new item every {_span(usual)}"
        else:
            limit = timedelta(hours=hs.silent_default_hours)
            basis = "too little history to know its cadence"
        # A feed never seen with a new item counts from its first successful fetch.
        reference = last_new or last_success
        if reference is None or now - _utc(reference) <= limit:
            continue
        flags.append(
            FeedFlag(
                feed,
                "silent",
                f"{feed}: no new item for {_span(now - _utc(reference))} ({basis}; limit {_span(limit)}). "
                "Check whether the feed still updates or has moved.",
                _utc(reference),
            )
        )
    return flags


def _extraction(con, now: datetime, hs: HealthSettings) -> list[FeedFlag]:
    recent = now - timedelta(hours=hs.extraction_window_hours)
    history = recent - timedelta(days=hs.extraction_history_days)
    rows = reader.feed_fallback_shares(con, recent, history, now)
    flags = []
    for feed, n_recent, share, n_before, share_before, top_error in rows:
        if n_recent < hs.extraction_min_articles or n_before < hs.extraction_min_articles:
            continue
        if share - share_before < hs.extraction_jump:
            continue
        flags.append(
            FeedFlag(
                feed,
                "extraction",
                f"{feed}: {share:.0%} of its last {n_recent} articles fell back to the feed summary, "
                f"against {share_before:.0%} before (most common reason: {top_error or 'text too short'}). "
                "The site may block us or have changed its page layout.",
                recent,
            )
        )
    return flags


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    if hours < 48:
        return f"{hours:.0f} h" if hours >= 10 else f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def _ago(ts: datetime) -> str:
    return _utc(ts).strftime("%Y-%m-%d %H:%M UTC")


# ---------------------------------------------------------------------------------------------------- alerts


@dataclass
class SmtpSettings:
    """Where alert emails go. Built from NEWSMON_SMTP_* variables, or by a DAG from its SMTP connection."""

    host: str
    port: int = 25
    sender: str = "newsmon@localhost"
    recipients: list[str] = field(default_factory=list)
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_env(cls, hs: HealthSettings | None = None, env=None) -> SmtpSettings | None:
        """None when NEWSMON_SMTP_HOST is unset: alerts then go to the outbox folder."""
        env = os.environ if env is None else env
        hs = hs or HealthSettings.from_settings()
        host = env.get("NEWSMON_SMTP_HOST")
        if not host:
            return None
        try:
            port = int(env.get("NEWSMON_SMTP_PORT", "25"))
        except ValueError:
            raise ConfigError(
                f"NEWSMON_SMTP_PORT={env['NEWSMON_SMTP_PORT']!r} is not a port number"
            ) from None
        return cls(
            host=host,
            port=port,
            sender=env.get("NEWSMON_SMTP_FROM") or hs.alert_from,
            recipients=list(hs.alert_to),
            username=env.get("NEWSMON_SMTP_USER") or None,
            password=env.get("NEWSMON_SMTP_PASSWORD") or None,
            starttls=env.get("NEWSMON_SMTP_STARTTLS", "").lower() in ("1", "true", "yes", "on"),
        )


@dataclass
class AlertReport:
    sent: list[FeedFlag] = field(default_factory=list)  # new today, included in the message
    already_sent: list[FeedFlag] = field(default_factory=list)  # alerted earlier today: not repeated
    recovered: list[tuple[str, str]] = field(default_factory=list)  # (feed, kind) cleared now
    delivered_to: str | None = None  # recipients, or the outbox file

    def as_dict(self) -> dict:
        return {
            "sent": [f.as_dict() for f in self.sent],
            "already_sent": [f.as_dict() for f in self.already_sent],
            "recovered": [list(r) for r in self.recovered],
            "delivered_to": self.delivered_to,
        }


def send_alerts(
    paths: Paths,
    flags: list[FeedFlag],
    smtp: SmtpSettings | None,
    now: datetime | None = None,
    settings: HealthSettings | None = None,
) -> AlertReport:
    """Mail the flags not yet alerted today and note recoveries; the ledger lives in the warehouse."""
    from newsmon.warehouse import open_warehouse

    with open_warehouse(paths) as con:
        return alert_with(con, paths, flags, smtp, now, settings)


def check_feeds(
    paths: Paths,
    smtp: SmtpSettings | None = None,
    now: datetime | None = None,
    settings: HealthSettings | None = None,
) -> AlertReport:
    """Flags from the warehouse and their alerts, under one warehouse lock. What the ingest DAG calls."""
    from newsmon.warehouse import open_warehouse

    hs = settings or HealthSettings.from_settings()
    with open_warehouse(paths) as con:
        flags = feed_flags(con, now, hs)
        return alert_with(con, paths, flags, smtp, now, hs)


def alert_with(
    con: duckdb.DuckDBPyConnection,
    paths: Paths,
    flags: list[FeedFlag],
    smtp: SmtpSettings | None,
    now: datetime | None = None,
    settings: HealthSettings | None = None,
) -> AlertReport:
    """send_alerts on an open warehouse connection (schema applied)."""
    now = _utc(now or datetime.now(UTC))
    hs = settings or HealthSettings.from_settings()
    today = now.date()
    report = AlertReport()
    done = {
        (f, k)
        for f, k in con.execute("SELECT feed, kind FROM alert_ledger WHERE day = ?", [today]).fetchall()
    }
    for flag in flags:
        (report.already_sent if (flag.feed, flag.kind) in done else report.sent).append(flag)
    current = {(f.feed, f.kind) for f in flags}
    open_rows = con.execute(
        "SELECT DISTINCT feed, kind FROM alert_ledger WHERE cleared_at IS NULL ORDER BY feed, kind"
    ).fetchall()
    report.recovered = [(f, k) for f, k in open_rows if (f, k) not in current]
    if not report.sent and not report.recovered:
        return report
    message = build_alert_message(report, now, smtp.sender if smtp else hs.alert_from, _recipients(smtp, hs))
    # Ledger rows and the delivery succeed or fail together: a failed send is retried by the next run, and a
    # delivered message is never repeated the same day.
    con.execute("BEGIN TRANSACTION")
    try:
        for flag in report.sent:
            con.execute(
                "INSERT INTO alert_ledger VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                [today, flag.feed, flag.kind, flag.message, now, ""],
            )
        for feed, kind in report.recovered:
            con.execute(
                "UPDATE alert_ledger SET cleared_at = ? WHERE feed = ? AND kind = ? AND cleared_at IS NULL",
                [now, feed, kind],
            )
        report.delivered_to = deliver(message, smtp, paths.outbox, now)
        con.execute(
            "UPDATE alert_ledger SET recipients = ? WHERE day = ? AND sent_at = ?",
            [report.delivered_to, today, now],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    log.info(
        "feed alerts: %d new, %d already sent today, %d recovered -> %s",
        len(report.sent),
        len(report.already_sent),
        len(report.recovered),
        report.delivered_to,
    )
    return report


def _recipients(smtp: SmtpSettings | None, hs: HealthSettings) -> list[str]:
    return list(smtp.recipients if smtp and smtp.recipients else hs.alert_to) or ["operators@localhost"]


def build_alert_message(
    report: AlertReport, now: datetime, sender: str, recipients: list[str]
) -> EmailMessage:
    parts = [f"{f.feed} {f.kind}" for f in report.sent]
    if report.recovered:
        parts.append(f"{len(report.recovered)} recovered")
    msg = EmailMessage()
    msg["Subject"] = f"[newsmon] feed health: {', '.join(parts)}"
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain="newsmon.local")
    lines = [f"newsmon feed health at {now:%Y-%m-%d %H:%M} UTC", ""]
    if report.sent:
        lines.append("New problems:")
        lines += [f"  - [{f.kind}] {f.message}" for f in report.sent]
        lines.append("")
    if report.already_sent:
        lines.append("Still open (already reported today):")
        lines += [f"  - [{f.kind}] {f.feed}" for f in report.already_sent]
        lines.append("")
    if report.recovered:
        lines.append("Recovered:")
        lines += [f"  - [{kind}] {feed}" for feed, kind in report.recovered]
        lines.append("")
    lines.append(
        "The News monitor page in the Airflow UI shows every feed's health; `newsmon feeds` lists them too."
    )
    msg.set_content("\n".join(lines) + "\n")
    return msg


def deliver(message: EmailMessage, smtp: SmtpSettings | None, outbox: Path, now: datetime) -> str:
    """Send through SMTP, or write an .eml file into the outbox. Returns where it went."""
    if smtp is None:
        outbox.mkdir(parents=True, exist_ok=True)
        target = outbox / f"alert-{now:%Y%m%dT%H%M%S%f}.eml"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(bytes(message))
        os.replace(tmp, target)
        log.info("no SMTP server configured (NEWSMON_SMTP_HOST): alert written to %s", target)
        return str(target)
    recipients = [a.strip() for a in message["To"].split(",")]
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message, from_addr=smtp.sender, to_addrs=recipients)
    return ", ".join(recipients)


def latest_alerts(con: duckdb.DuckDBPyConnection, since: date) -> list[dict]:
    """Ledger rows since a day, newest first (for the page)."""
    try:
        return reader.alert_rows(con, since)
    except duckdb.CatalogException:  # an analyst database published before the ledger existed
        return []


# ---------------------------------------------------------------------------------------------------- DAG notices
# Fallbacks for dags/newsmon_notify.py when no SMTP connection is configured: the notice lands in the outbox
# folder, like the digest. Plain functions of a context mapping, so no Airflow import is needed here.


def readable_error(exc) -> str:
    """An exception as a person reads it: its type and message with real line breaks, not a one-line repr."""
    if exc is None:
        return "(no exception recorded; see the task log)"
    if not isinstance(exc, BaseException):
        return str(exc)
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def failure_notice_to_outbox(context: dict) -> str:
    """on_failure_callback without SMTP: write what failed, where, and the error into data/outbox/."""
    from newsmon.config import paths as get_paths

    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or "?"
    task_id = getattr(ti, "task_id", None) or "?"
    run_id = getattr(ti, "run_id", None) or context.get("run_id") or "?"
    now = datetime.now(UTC)
    msg = EmailMessage()
    msg["Subject"] = f"[newsmon] {dag_id}.{task_id} failed (run {run_id})"
    msg["From"] = HealthSettings.from_settings().alert_from
    msg["To"] = ", ".join(HealthSettings.from_settings().alert_to) or "operators@localhost"
    msg["Date"] = format_datetime(now)
    msg.set_content(
        f"Task {task_id} of DAG {dag_id} failed after its retries in run {run_id}.\n"
        f"Error: {readable_error(context.get('exception'))}\n"
        f"Try {getattr(ti, 'try_number', '?')}; log: {getattr(ti, 'log_url', '') or 'see the Airflow UI'}\n"
    )
    target = deliver(msg, None, get_paths().outbox, now)
    log.error("task %s.%s failed in run %s; notice written to %s", dag_id, task_id, run_id, target)
    return target


async def deadline_notice_to_outbox(dag_id: str, minutes: float, context: dict | None = None, **_) -> str:
    """DeadlineAlert callback without SMTP (runs in the triggerer): a run has not finished in time."""
    from newsmon.config import paths as get_paths

    now = datetime.now(UTC)
    msg = EmailMessage()
    msg["Subject"] = f"[newsmon] {dag_id} run still not finished after {minutes:g} minutes"
    msg["From"] = HealthSettings.from_settings().alert_from
    msg["To"] = ", ".join(HealthSettings.from_settings().alert_to) or "operators@localhost"
    msg["Date"] = format_datetime(now)
    run = (context or {}).get("dag_run") or {}
    run_id = run.get("run_id") if isinstance(run, dict) else getattr(run, "run_id", None)
    msg.set_content(
        f"A {dag_id} run{f' ({run_id})' if run_id else ''} was queued more than {minutes:g} minutes ago and has "
        "not finished. Look for a task stuck in running or queued in the Airflow UI (a hung fetch, a worker "
        "that died, the warehouse lock held by another process).\n"
    )
    target = deliver(msg, None, get_paths().outbox, now)
    log.error("%s run has not finished within %g min; notice written to %s", dag_id, minutes, target)
    return target
