"""The digest's unsubscribe and manage details through a real SMTP server (aiosmtpd): List-Unsubscribe with the
mailto: address and, when set, the manage page; the footer naming it; links delivered without tracking tags."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest
from helpers_digest import SmtpServer, make_analyst_db
from newsmon.config import ConfigError, Paths, Settings
from newsmon.digest import digest_manage_url, send_digest

DAY = date(2026, 3, 3)
MANAGE = "https://news.example/digest/manage?list=daily"


@pytest.fixture
def data(tmp_path) -> Paths:
    """The digest corpus, its article links tagged the way feeds tag them (campaign and click ids)."""
    paths = Paths(tmp_path / "data")
    make_analyst_db(paths.analyst_db, DAY)
    with duckdb.connect(str(paths.analyst_db)) as con:
        con.execute("UPDATE articles SET url = url || '?utm_source=rss&utm_medium=feed&fbclid=abc&id=7'")
    return paths


def _deliver(data: Paths, monkeypatch, manage_url: str | None):
    if manage_url is None:
        monkeypatch.delenv("NEWSMON_DIGEST_MANAGE_URL", raising=False)
    else:
        monkeypatch.setenv("NEWSMON_DIGEST_MANAGE_URL", manage_url)
    with SmtpServer() as server:
        send_digest(data, DAY, recipients=["reader@example.org"], smtp=server.settings())
    [(rcpts, msg)] = server.handler.messages
    assert rcpts == ["reader@example.org"]
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return msg, text, html


def test_delivered_digest_carries_the_manage_page_when_set(data, monkeypatch):
    msg, text, html = _deliver(data, monkeypatch, MANAGE)
    assert msg["List-Unsubscribe"] == f"<mailto:digest@newsmon.test?subject=unsubscribe>, <{MANAGE}>"
    assert f"To stop it or change where it goes: {MANAGE}" in text
    assert f'<a href="{MANAGE.replace("&", "&amp;")}">' in html
    assert "docs/analysts.md" not in text and "docs/analysts.md" not in html
    article_links = [u for u in re.findall(r'href="([^"]+)"', html) if "id=7" in u]
    assert article_links, "the stories' links are in the delivered digest"
    assert not [u for u in article_links if re.search(r"(utm_[a-z]+|fbclid)=", u)], article_links


def test_delivered_digest_without_a_manage_page_asks_for_a_reply(data, monkeypatch):
    msg, text, html = _deliver(data, monkeypatch, None)
    assert msg["List-Unsubscribe"] == "<mailto:digest@newsmon.test?subject=unsubscribe>"
    assert 'To stop it, reply with "unsubscribe"' in text and "change where it goes" not in text


@pytest.mark.parametrize(
    "bad", ["mailto:x@example.org", "news.example/manage", "https://", "https://a b.example/"]
)
def test_a_manage_url_that_is_not_a_web_address_is_one_line(bad):
    with pytest.raises(ConfigError, match="must be an http:// or https:// address") as exc:
        digest_manage_url(Settings.load(), env={"NEWSMON_DIGEST_MANAGE_URL": bad})
    assert "\n" not in str(exc.value) and "NEWSMON_DIGEST_MANAGE_URL" in str(exc.value)
