"""A whole `run_once` with a feed and an article page that drip: the run ends soon after the fetch deadline.

Before one deadline per fetch, a feed sent at a byte every quarter second (each read well inside the read timeout)
held the run for as long as the server kept going. Now each fetch ends at connect + 3 x read timeout and the
rest of the run goes on: the good feed's article is stored (with its feed text), the dripping feed is failed
with a message that says why.
"""

from __future__ import annotations

import socket
import time

import duckdb
from helpers_hostile import RawServer, drip
from newsmon.config import paths as get_paths
from newsmon.pipeline import run_once

DEADLINE = 1.0 + 3 * 1.0  # NEWSMON_CONNECT_TIMEOUT=1, NEWSMON_READ_TIMEOUT=1
DRIP = 0.25
DRIP_FOR = 60.0  # the old client would have waited this long for each of the two
SUMMARY = "Паромное сообщение между Благовещенском и Хэйхэ возобновится в мае. " * 5


def dripping_feed(conn: socket.socket, server: RawServer) -> None:
    server.read_request(conn)
    size = int(DRIP_FOR / DRIP)
    conn.sendall(
        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    drip(conn, (b" " for _ in range(size)), DRIP)


def good_feed_with_a_dripping_page(conn: socket.socket, server: RawServer) -> None:
    path = server.read_request(conn)
    if path == "/feed.xml":
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Good</title>"
            f"<item><title>Паром в Хэйхэ</title><link>{server.url('/story')}</link><guid>story-1</guid>"
            f"<description>{SUMMARY}</description></item></channel></rss>"
        ).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {len(body)}\r\n"
        conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
    elif path == "/story":
        size = int(DRIP_FOR / DRIP)
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        drip(conn, (b"<" for _ in range(size)), DRIP)
    else:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_a_dripping_feed_and_page_cost_one_deadline_each_not_the_servers_whole_drip(
    data_dir, tmp_path, monkeypatch
):
    with RawServer(dripping_feed) as slow, RawServer(good_feed_with_a_dripping_page) as good:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(
            "feeds:\n"
            f"  - {{name: drip, url: '{slow.url('/feed.xml')}', source: Drip}}\n"
            f"  - {{name: good, url: '{good.url('/feed.xml')}', source: Good}}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", f"{slow.url('')},{good.url('')}")
        monkeypatch.setenv("NEWSMON_CONNECT_TIMEOUT", "1")
        monkeypatch.setenv("NEWSMON_READ_TIMEOUT", "1")
        monkeypatch.setenv("NEWSMON_HOST_SPACING", "0")
        started = time.monotonic()
        summary = run_once(feeds_file)
        elapsed = time.monotonic() - started
    print(f"run_once with a dripping feed and page: {elapsed:.1f} s (fetch deadline {DEADLINE:g} s)")
    assert elapsed < DRIP_FOR / 2  # two fetch deadlines and the rest of the run, not a minute per server
    assert summary["fetch"]["feeds"] == {"failed": 1, "ok": 1}
    con = duckdb.connect(str(get_paths().analyst_db), read_only=True)
    try:
        health = dict(con.execute("SELECT feed, last_error FROM feed_health").fetchall())
        stored = con.execute("SELECT feed, text_source, fetch_error FROM articles").fetchall()
    finally:
        con.close()
    assert "in total" in health["drip"]
    assert [(feed, source) for feed, source, _ in stored] == [("good", "feed")]  # its page timed out
    assert "in total" in stored[0][2]
