"""Feed-health flags and alert emails, over fixture DuckDB files and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from helpers_ops import NOW, fixture_db
from helpers_smtp import free_port, smtp_inbox
from newsmon.config import ConfigError, Settings, paths
from newsmon.health import HealthSettings, SmtpSettings, check_feeds, feed_flags, send_alerts
from newsmon.warehouse import open_warehouse

HS = HealthSettings(alert_to=["ops@example.org"])


@pytest.fixture
def smtp_server():
    with smtp_inbox() as (inbox, port):
        yield inbox, SmtpSettings(host="127.0.0.1", port=port, recipients=["ops@example.org"])


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "warehouse.duckdb"
    db = fixture_db(path)
    db.regular_history(["alpha", "beta", "gamma"], days=10, every_hours=2)
    db.close()
    return path


@pytest.fixture
def warehouse(tmp_path, template_db):
    """Three feeds that published every 2 h for 10 days; a fresh copy per test."""
    p = paths(tmp_path / "data").ensure()
    shutil.copy(template_db, p.warehouse)
    return p


def _edit(p, fn):
    with open_warehouse(p) as con:
        from helpers_ops import FixtureDB

        db = FixtureDB.__new__(FixtureDB)
        db.con, db.path, db._n = (
            con,
            p.warehouse,
            10_000 + con.execute("SELECT count(*) FROM articles").fetchone()[0],
        )
        fn(db)


def _flags(p, now=NOW):
    with open_warehouse(p) as con:
        return feed_flags(con, now, HS)


def test_healthy_feeds_have_no_flags(warehouse):
    assert _flags(warehouse) == []


def test_failing_feed_is_flagged_with_its_error(warehouse):
    _edit(
        warehouse,
        lambda db: db.feed_health(
            "beta", consecutive_failures=4, last_error="HTTP 503 Service Unavailable", last_status="failed"
        ),
    )
    flags = _flags(warehouse)
    assert [(f.feed, f.kind) for f in flags] == [("beta", "failing")]
    assert "failed 4 times in a row" in flags[0].message and "HTTP 503" in flags[0].message


def test_two_failures_are_not_yet_a_flag(warehouse):
    _edit(warehouse, lambda db: db.feed_health("beta", consecutive_failures=2))
    assert _flags(warehouse) == []


def test_silent_feed_is_judged_against_its_own_cadence(warehouse):
    # alpha publishes every 2 h: 4 x 2 h = 8 h, but the floor is 12 h. Silent for 13 h is flagged, 11 h is not.
    _edit(warehouse, lambda db: db.feed_health("alpha", last_new_item_at=NOW - timedelta(hours=13)))
    with open_warehouse(warehouse) as con:
        con.execute(
            "DELETE FROM articles WHERE feed = 'alpha' AND fetched_at > ?", [NOW - timedelta(hours=13)]
        )
    flags = _flags(warehouse)
    assert [(f.feed, f.kind) for f in flags] == [("alpha", "silent")]
    assert "usually a new item every 2.0 h" in flags[0].message
    assert _flags(warehouse, NOW - timedelta(hours=2)) == []


def test_slow_feed_is_not_silent_within_its_cadence(warehouse):
    def slow(db):
        db.feed_health("weekly", last_new_item_at=NOW - timedelta(days=3))
        for i in range(4):
            db.article("weekly", NOW - timedelta(days=3 + 7 * i))

    _edit(warehouse, slow)
    assert [f for f in _flags(warehouse) if f.feed == "weekly"] == []  # weekly cadence: 4 weeks before silent
    assert [f.kind for f in _flags(warehouse, NOW + timedelta(days=26)) if f.feed == "weekly"] == ["silent"]


def test_failing_feed_is_not_also_reported_silent(warehouse):
    _edit(
        warehouse,
        lambda db: db.feed_health("gamma", consecutive_failures=9, last_new_item_at=NOW - timedelta(days=5)),
    )
    with open_warehouse(warehouse) as con:
        con.execute("DELETE FROM articles WHERE feed = 'gamma' AND fetched_at > ?", [NOW - timedelta(days=5)])
    assert [(f.feed, f.kind) for f in _flags(warehouse)] == [("gamma", "failing")]


def test_extraction_share_jump_is_flagged(warehouse):
    def broken_pages(db):
        for i in range(8):
            db.article("beta", NOW - timedelta(hours=i + 0.5), text_source="feed", fetch_error="HTTP 403")

    _edit(warehouse, broken_pages)
    flags = _flags(warehouse)
    assert [(f.feed, f.kind) for f in flags] == [("beta", "extraction")]
    assert "HTTP 403" in flags[0].message and "against 0% before" in flags[0].message


def test_a_feed_that_always_uses_summaries_is_not_flagged(warehouse):
    def summaries(db):
        for i in range(60):
            db.article("digestonly", NOW - timedelta(hours=i * 3), text_source="feed", fetch_error="robots")
        db.feed_health("digestonly")

    _edit(warehouse, summaries)
    assert [f for f in _flags(warehouse) if f.feed == "digestonly"] == []


def test_alert_once_per_day_then_recovery_clears(warehouse, smtp_server):
    inbox, smtp = smtp_server
    _edit(warehouse, lambda db: db.feed_health("beta", consecutive_failures=3, last_error="timeout"))

    report = check_feeds(warehouse, smtp, NOW, HS)
    assert [(f.feed, f.kind) for f in report.sent] == [("beta", "failing")]
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert "beta failing" in msg["Subject"] and msg["To"] == "ops@example.org"
    assert "failed 3 times in a row" in msg.get_payload()

    # Later the same day, still failing: nothing new is sent.
    report = check_feeds(warehouse, smtp, NOW + timedelta(hours=3), HS)
    assert report.sent == [] and [f.feed for f in report.already_sent] == ["beta"]
    assert len(inbox.messages) == 1

    # Recovered: the ledger row is cleared and operators hear about it once.
    _edit(warehouse, lambda db: db.feed_health("beta", consecutive_failures=0))
    report = check_feeds(warehouse, smtp, NOW + timedelta(hours=4), HS)
    assert report.recovered == [("beta", "failing")]
    assert len(inbox.messages) == 2 and "1 recovered" in inbox.messages[1]["Subject"]
    with open_warehouse(warehouse) as con:
        cleared = con.execute("SELECT cleared_at FROM alert_ledger WHERE feed = 'beta'").fetchall()
    assert len(cleared) == 1 and cleared[0][0] is not None
    check_feeds(warehouse, smtp, NOW + timedelta(hours=5), HS)
    assert len(inbox.messages) == 2

    # Failing again the next day is a new day's alert.
    _edit(warehouse, lambda db: db.feed_health("beta", consecutive_failures=5))
    report = check_feeds(warehouse, smtp, NOW + timedelta(days=1), HS)
    assert ("beta", "failing") in [(f.feed, f.kind) for f in report.sent] and len(inbox.messages) == 3


def test_failed_delivery_is_retried_next_run(warehouse, smtp_server):
    inbox, smtp = smtp_server
    _edit(warehouse, lambda db: db.feed_health("alpha", consecutive_failures=3))
    dead = SmtpSettings(host="127.0.0.1", port=free_port(), recipients=["ops@example.org"], timeout=2)
    with pytest.raises(OSError):
        check_feeds(warehouse, dead, NOW, HS)
    with open_warehouse(warehouse) as con:
        assert con.execute("SELECT count(*) FROM alert_ledger").fetchone()[0] == 0
    check_feeds(warehouse, smtp, NOW, HS)
    assert len(inbox.messages) == 1


def test_without_smtp_the_alert_goes_to_the_outbox(warehouse):
    _edit(warehouse, lambda db: db.feed_health("alpha", consecutive_failures=3))
    report = send_alerts(warehouse, _flags(warehouse), None, NOW, HS)
    files = list(warehouse.outbox.glob("alert-*.eml"))
    assert len(files) == 1 and report.delivered_to == str(files[0])
    assert "alpha failing" in email.message_from_bytes(files[0].read_bytes())["Subject"]


def test_settings_section_is_checked(tmp_path, monkeypatch):
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("health:\n  failing_after: 5\n  alert_to: a@x.org, b@y.org\n")
    hs = HealthSettings.from_settings(Settings.load(cfg))
    assert hs.failing_after == 5 and hs.alert_to == ["a@x.org", "b@y.org"]
    monkeypatch.setenv("NEWSMON_ALERT_TO", "c@z.org")
    assert HealthSettings.from_settings(Settings.load(cfg)).alert_to == ["c@z.org"]
    cfg.write_text("health:\n  failing_afterr: 5\n")
    with pytest.raises(ConfigError, match="failing_afterr"):
        HealthSettings.from_settings(Settings.load(cfg))
    cfg.write_text("health:\n  failing_after: many\n")
    with pytest.raises(ConfigError, match="failing_after"):
        HealthSettings.from_settings(Settings.load(cfg))


def test_smtp_settings_from_env():
    assert SmtpSettings.from_env(HS, {}) is None
    s = SmtpSettings.from_env(HS, {"NEWSMON_SMTP_HOST": "mail", "NEWSMON_SMTP_PORT": "1025"})
    assert (s.host, s.port, s.recipients) == ("mail", 1025, ["ops@example.org"])
    with pytest.raises(ConfigError, match="NEWSMON_SMTP_PORT"):
        SmtpSettings.from_env(HS, {"NEWSMON_SMTP_HOST": "mail", "NEWSMON_SMTP_PORT": "x"})
