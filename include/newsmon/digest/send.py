"""The digest as mail, and its delivery exactly once.

`build_digest` assembles a `Digest` (facts, chart, both parts); `Digest.message` makes the email with its
headers (List-Unsubscribe, List-Id, a Message-ID fixed per day and recipient). `send_digest` delivers it to each
recipient once: the ledger `digest_ledger` in the warehouse is keyed by day and recipient and gets its row only
after the SMTP server accepted the message (or the .eml file was written to the outbox), so a retried task or a
rerun sends only to whoever is still missing. Nothing here imports Airflow: the `news_digest` DAG passes the
`smtp_default` connection and the `newsmon_digest_to` Variable in as plain values.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from newsmon.config import ConfigError, Paths, Settings
from newsmon.config import paths as get_paths
from newsmon.digest.chart import render_chart
from newsmon.digest.facts import DEFAULT_PAIR_LEVEL, load_facts
from newsmon.digest.render import make_subject, render_html, render_text

log = logging.getLogger(__name__)

DEFAULT_SENDER = "newsmon <newsmon@localhost>"
OUTBOX_RECIPIENT = "digest@localhost"  # the address on outbox files when no recipient is configured
LOCK_TIMEOUT = 600.0


class DigestSendError(RuntimeError):
    """Some recipients did not get the digest; the others are recorded and will not get it again."""


@dataclass
class Digest:
    day: date
    subject: str
    text: str
    html: str
    png: bytes
    facts: dict
    content_id: str  # the chart's Content-ID, without angle brackets; the HTML says src="cid:<this>"
    recipients: list[str] = field(default_factory=list)
    manage_url: str = ""  # digest.manage_url: a page where readers stop or change the digest (optional)

    def message(
        self, recipient: str, sender: str = DEFAULT_SENDER, message_id: str | None = None
    ) -> EmailMessage:
        """A multipart/alternative message: plain text, then HTML with the chart inline (multipart/related)."""
        msg = EmailMessage()
        msg["Subject"] = self.subject
        msg["From"] = sender
        msg["To"] = recipient
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id or digest_message_id(self.day, recipient, sender)
        msg["X-Newsmon-Digest-Day"] = self.day.isoformat()
        msg["Auto-Submitted"] = "auto-generated"
        # Mail clients show an unsubscribe button for this; the address is the sender's, the subject says why.
        unsubscribe = f"<mailto:{parseaddr(sender)[1] or 'newsmon@localhost'}?subject=unsubscribe>"
        msg["List-Unsubscribe"] = unsubscribe + (f", <{self.manage_url}>" if self.manage_url else "")
        msg["List-Id"] = "newsmon daily digest <digest.newsmon.localhost>"
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        msg.get_payload()[1].add_related(
            self.png,
            maintype="image",
            subtype="png",
            cid=f"<{self.content_id}>",
            filename=f"newsmon-trend-{self.day.isoformat()}.png",
            disposition="inline",
        )
        return msg

    def preview_html(self) -> str:
        """The HTML for a browser: the chart as a data: URI instead of the mail's Content-ID."""
        data = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        return self.html.replace(f"cid:{self.content_id}", data)


def build_digest(
    analyst_db: Path,
    day: date,
    recipients: list[str] | None = None,
    pair_level: str = DEFAULT_PAIR_LEVEL,
    manage_url: str = "",
) -> Digest:
    """Build the digest of one day from the analyst database (read-only). Never fails for lack of news.

    manage_url: where readers stop or change the digest (the footer names it, List-Unsubscribe carries it)."""
    facts = load_facts(analyst_db, day, pair_level)
    content_id = f"trend-{day.isoformat()}@newsmon"
    subject = make_subject(facts)
    png = render_chart(facts)
    return Digest(
        day=day,
        subject=subject,
        text=render_text(facts, subject, manage_url),
        html=render_html(facts, subject, content_id, manage_url),
        png=png,
        facts=facts.as_dict() | {"subject": subject},
        content_id=content_id,
        recipients=list(recipients or []),
        manage_url=manage_url,
    )


def digest_manage_url(settings: Settings | None = None, env: dict | None = None) -> str:
    """NEWSMON_DIGEST_MANAGE_URL, else settings.yaml digest.manage_url, else none; an http(s) address only."""
    from urllib.parse import urlsplit

    env = os.environ if env is None else env
    if env.get("NEWSMON_DIGEST_MANAGE_URL"):
        raw, origin = env["NEWSMON_DIGEST_MANAGE_URL"], "NEWSMON_DIGEST_MANAGE_URL"
    else:
        settings = settings or Settings.load()
        raw, origin = settings.section("digest").get("manage_url") or "", "settings.yaml digest.manage_url"
    url = str(raw).strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in ' <>,"'):
        raise ConfigError(f"digest manage_url {url!r} (from {origin}) must be an http:// or https:// address")
    return url


# ---------------------------------------------------------------------------------------------------- delivery


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    login: str | None = None
    password: str | None = None
    sender: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0

    @classmethod
    def from_mapping(cls, d: dict) -> SmtpSettings:
        """From the plain dict the DAG builds out of the `smtp_default` connection (keys as in the fields,
        `from` accepted for `sender`)."""
        if not d.get("host"):
            raise ConfigError("SMTP settings need a host")
        use_ssl = _flag(d.get("ssl"), False)
        try:
            port = int(d.get("port") or (465 if use_ssl else 25))
            timeout = float(d.get("timeout") or 30.0)
        except (TypeError, ValueError):
            raise ConfigError(
                f"SMTP port {d.get('port')!r} or timeout {d.get('timeout')!r} is not a number"
            ) from None
        return cls(
            host=str(d["host"]),
            port=port,
            login=d.get("login") or None,
            password=d.get("password") or None,
            sender=d.get("sender") or d.get("from") or None,
            starttls=_flag(d.get("starttls"), False),
            ssl=use_ssl,
            timeout=timeout,
        )

    @classmethod
    def from_env(cls, env=None) -> SmtpSettings | None:
        """NEWSMON_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS/SSL/TIMEOUT; None when no host is set."""
        env = os.environ if env is None else env
        if not env.get("NEWSMON_SMTP_HOST"):
            return None
        keys = ("host", "port", "password", "from", "starttls", "ssl", "timeout")
        d = {k: env.get(f"NEWSMON_SMTP_{k.upper()}") for k in keys}
        d["login"] = env.get("NEWSMON_SMTP_USER") or env.get("NEWSMON_SMTP_LOGIN")
        return cls.from_mapping(d)


def _flag(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("0", "false", "no", "off")


def resolve_recipients(explicit=None, settings: Settings | None = None, env=None) -> list[str]:
    """Explicit addresses (CLI --to, the Airflow Variable), else NEWSMON_DIGEST_TO, else settings digest.to."""
    env = os.environ if env is None else env
    if explicit:
        raw, origin = explicit, "the given recipients"
    elif env.get("NEWSMON_DIGEST_TO"):
        raw, origin = env["NEWSMON_DIGEST_TO"], "NEWSMON_DIGEST_TO"
    else:
        settings = settings or Settings.load()
        raw, origin = settings.section("digest").get("to") or [], "settings.yaml digest.to"
    items = raw.split(",") if isinstance(raw, str) else [p for item in raw for p in str(item).split(",")]
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        _, addr = parseaddr(item)
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", addr or ""):
            raise ConfigError(f"digest recipient {item!r} (from {origin}) is not an email address")
        if addr.lower() not in (o.lower() for o in out):
            out.append(addr)
    return out


def digest_message_id(day: date, recipient: str, sender: str, forced_at: datetime | None = None) -> str:
    """Deterministic per day and recipient, so a resend after a crash carries the same id and mail clients
    fold it into the first; a forced resend gets a fresh one."""
    domain = (parseaddr(sender)[1].rpartition("@")[2] or "newsmon.localhost").strip() or "newsmon.localhost"
    who = hashlib.sha1(recipient.lower().encode()).hexdigest()[:12]
    suffix = f".{forced_at:%Y%m%d%H%M%S%f}" if forced_at else ""
    return f"<newsmon-digest.{day.isoformat()}.{who}{suffix}@{domain}>"


@dataclass
class SendReport:
    day: date
    subject: str | None = None
    delivered: list[dict] = field(default_factory=list)  # {recipient, status, message_id, path}
    skipped: list[str] = field(default_factory=list)  # already in the ledger
    failed: dict[str, str] = field(default_factory=dict)  # recipient -> why

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "subject": self.subject,
            "delivered": self.delivered,
            "skipped": self.skipped,
            "failed": self.failed,
        }


def _digest_lock(paths: Paths, timeout: float = LOCK_TIMEOUT):
    """One sender at a time on this machine, so two runs cannot both find a recipient missing and both send."""
    from newsmon.locking import exclusive_lock

    return exclusive_lock(paths.data_dir / "digest.lock", timeout, "the digest sender")


def ledger_recipients(paths: Paths, day: date) -> set[str]:
    from newsmon.warehouse import open_warehouse

    with open_warehouse(paths) as con:
        rows = con.execute("SELECT recipient FROM digest_ledger WHERE day = ?", [day]).fetchall()
    return {r[0] for r in rows}


def _record(paths: Paths, day: date, recipient: str, message_id: str, subject: str, status: str) -> None:
    from newsmon.warehouse import open_warehouse

    with open_warehouse(paths) as con:
        con.execute(
            """INSERT INTO digest_ledger VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (day, recipient) DO UPDATE SET message_id = excluded.message_id,
                   subject = excluded.subject, sent_at = excluded.sent_at, status = excluded.status""",
            [day, recipient.lower(), message_id, subject, datetime.now(UTC), status],
        )


def _sender(smtp: SmtpSettings | None, settings: Settings) -> str:
    return (
        (smtp.sender if smtp else None)
        or os.environ.get("NEWSMON_DIGEST_FROM")
        or settings.section("digest").get("from")
        or DEFAULT_SENDER
    )


def send_digest(
    paths: Paths | None,
    day: date,
    recipients=None,
    force: bool = False,
    outbox: str | os.PathLike | None = None,
    smtp: SmtpSettings | dict | None = None,
    settings: Settings | None = None,
) -> SendReport:
    """Deliver the digest of `day` to every recipient not yet in the ledger (all of them with force).

    SMTP settings: `smtp` (the DAG passes the Airflow connection), else NEWSMON_SMTP_*; with neither, or with
    `outbox`, the message is written as a .eml file. Raises DigestSendError after recording the successes when
    any recipient failed, so a retry sends to the missing ones only.
    """
    paths = paths or get_paths()
    settings = settings or Settings.load()
    smtp = SmtpSettings.from_mapping(smtp) if isinstance(smtp, dict) else (smtp or SmtpSettings.from_env())
    outbox_dir = Path(outbox) if outbox else (None if smtp else paths.outbox)
    to = resolve_recipients(recipients, settings)
    if not to:
        if outbox_dir is None:
            raise ConfigError(
                "no digest recipients: set NEWSMON_DIGEST_TO, the Airflow Variable newsmon_digest_to "
                "or digest.to in settings.yaml"
            )
        log.warning(
            "no digest recipients configured; writing the digest for %s to %s", OUTBOX_RECIPIENT, outbox_dir
        )
        to = [OUTBOX_RECIPIENT]
    report = SendReport(day=day)
    with _digest_lock(paths):
        done = set() if force else ledger_recipients(paths, day)
        report.skipped = [r for r in to if r.lower() in done]
        pending = [r for r in to if r.lower() not in done]
        if not pending:
            log.info("digest for %s already delivered to all %d recipients; nothing to send", day, len(to))
            return report
        level = settings.section("digest").get("pair_level") or DEFAULT_PAIR_LEVEL
        manage_url = digest_manage_url(settings)
        digest = build_digest(paths.analyst_db, day, pending, pair_level=level, manage_url=manage_url)
        report.subject = digest.subject
        sender = _sender(smtp, settings)
        forced_at = datetime.now(UTC) if force else None
        messages = [
            (r, digest.message(r, sender, digest_message_id(day, r, sender, forced_at))) for r in pending
        ]

        def accepted(recipient: str, msg: EmailMessage, status: str, where: str | None) -> None:
            _record(paths, day, recipient, msg["Message-ID"], digest.subject, status)
            report.delivered.append(
                {"recipient": recipient, "status": status, "message_id": msg["Message-ID"], "path": where}
            )

        if outbox_dir is not None:
            _write_outbox(outbox_dir, day, messages, accepted)
        else:
            report.failed = _smtp_deliver(smtp, sender, messages, accepted)
    if report.failed:
        raise DigestSendError(
            f"digest for {day} not accepted for {len(report.failed)} of {len(pending)} recipients: "
            + "; ".join(f"{r}: {why}" for r, why in report.failed.items())
        )
    log.info("digest for %s: %s", day, report.as_dict())
    return report


def _outbox_name(day: date, recipient: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9@._-]+", "_", recipient.lower())
    return f"digest-{day.isoformat()}-{safe}.eml"


def _write_outbox(directory: Path, day: date, messages, accepted: Callable) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for recipient, msg in messages:
        final = directory / _outbox_name(day, recipient)
        tmp = directory / f".{final.name}.tmp-{os.getpid()}"
        tmp.write_bytes(msg.as_bytes())
        os.replace(tmp, final)
        log.info("no SMTP server configured: digest for %s to %s written to %s", day, recipient, final)
        accepted(recipient, msg, "outbox", str(final))


def _smtp_connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
    if smtp.login and smtp.password:
        client.login(smtp.login, smtp.password)
    return client


def _smtp_deliver(smtp: SmtpSettings, sender: str, messages, accepted: Callable) -> dict[str, str]:
    """Send each recipient their own message over one connection; returns {recipient: why} for failures."""
    failed: dict[str, str] = {}
    envelope_from = parseaddr(sender)[1] or sender
    try:
        client = _smtp_connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        why = f"cannot reach SMTP server {smtp.host}:{smtp.port}: {exc}"
        return {r: why for r, _ in messages}
    try:
        for i, (recipient, msg) in enumerate(messages):
            try:
                refused = client.send_message(msg, from_addr=envelope_from, to_addrs=[recipient])
            except smtplib.SMTPRecipientsRefused as exc:
                failed[recipient] = "; ".join(
                    f"{c} {m.decode(errors='replace')}" for c, m in exc.recipients.values()
                )
                _reset(client)
                continue
            except smtplib.SMTPResponseException as exc:
                failed[recipient] = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                _reset(client)
                continue
            except (
                smtplib.SMTPException,
                OSError,
            ) as exc:  # connection lost: nobody after this got it either
                for r, _ in messages[i:]:
                    failed[r] = f"connection lost: {exc}"
                break
            if refused:
                failed[recipient] = str(refused)
                continue
            log.info("digest accepted by %s:%s for %s", smtp.host, smtp.port, recipient)
            accepted(recipient, msg, "sent", None)
    finally:
        with suppress(Exception):
            client.quit()
    return failed


def _reset(client: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPException, OSError):
        client.rset()


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
