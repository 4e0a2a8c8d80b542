"""Feed health end to end: the real pipeline over the demo corpus, a feed that breaks and recovers, alert emails
through a real SMTP server (aiosmtpd), and the News monitor page's flags."""

from __future__ import annotations

import json

import pytest
import yaml
from helpers_smtp import smtp_inbox
from newsmon.config import paths
from newsmon.health import HealthSettings, SmtpSettings, check_feeds
from newsmon.ui import load_page_data, render_page

BROKEN = "harbor-ledger"


@pytest.fixture
def smtp():
    with smtp_inbox() as (inbox, port):
        yield inbox, SmtpSettings(host="127.0.0.1", port=port, recipients=["ops@example.org"])


def _set_url(feeds_file, feed: str, url: str) -> str:
    doc = yaml.safe_load(feeds_file.read_text())
    entry = next(f for f in doc["feeds"] if f["name"] == feed)
    old, entry["url"] = entry["url"], url
    feeds_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    return old


def _due_now(p, feed: str) -> None:
    """Pretend the back-off after a failure has passed, so the next run fetches the feed again."""
    for state_file in (p.state / "feeds").glob(f"{feed}-*.json"):
        state = json.loads(state_file.read_text())
        state["next_due_at"] = None
        state_file.write_text(json.dumps(state))


@pytest.mark.slow
def test_a_feed_that_fails_is_alerted_once_flagged_then_cleared(tmp_path, monkeypatch, demo_server, smtp):
    from newsmon.pipeline import run_once

    inbox, smtp_settings = smtp
    hs = HealthSettings(alert_to=["ops@example.org"])
    monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", demo_server.url)
    p = paths(tmp_path / "data").ensure()
    feeds = demo_server.write_feeds_yaml(tmp_path / "feeds.yaml")

    run_once(feeds_file=feeds, data_dir=p.data_dir)
    assert check_feeds(p, smtp_settings, settings=hs).sent == []
    assert inbox.messages == [] and load_page_data(p).flags == []

    good = _set_url(feeds, BROKEN, f"{demo_server.url}/{BROKEN}/moved-away.xml")  # answers 404
    for _ in range(hs.failing_after):
        _due_now(p, BROKEN)
        run_once(feeds_file=feeds, data_dir=p.data_dir)
    report = check_feeds(p, smtp_settings, settings=hs)
    assert [(f.feed, f.kind) for f in report.sent] == [(BROKEN, "failing")]
    assert len(inbox.messages) == 1
    assert f"{BROKEN} failing" in inbox.messages[0]["Subject"] and "404" in inbox.messages[0].get_payload()

    # Still broken an hour later: no second email; the page flags it.
    _due_now(p, BROKEN)
    run_once(feeds_file=feeds, data_dir=p.data_dir)
    assert check_feeds(p, smtp_settings, settings=hs).sent == [] and len(inbox.messages) == 1
    data = load_page_data(p)
    assert [(f["feed"], f["kind"]) for f in data.flags] == [(BROKEN, "failing")]
    row = next(f for f in data.feeds if f["feed"] == BROKEN)
    assert row["status"] == "failed" and row["consecutive_failures"] == hs.failing_after + 1
    assert "failed 4 times in a row" in render_page(data)

    # Fixed: the next run succeeds, the flag is gone from the page and the ledger notes the recovery.
    _set_url(feeds, BROKEN, good)
    run_once(feeds_file=feeds, data_dir=p.data_dir)
    report = check_feeds(p, smtp_settings, settings=hs)
    assert report.recovered == [(BROKEN, "failing")] and report.sent == []
    assert len(inbox.messages) == 2 and "recovered" in inbox.messages[1]["Subject"]
    # The ledger reaches the analyst database with the next publish; the page lists the alert as recovered.
    run_once(feeds_file=feeds, data_dir=p.data_dir)
    data = load_page_data(p)
    page = render_page(data)
    assert data.flags == [] and "none is flagged." in page
    assert [(a["feed"], a["kind"]) for a in data.alerts] == [(BROKEN, "failing")] and "(recovered " in page
