"""A real loopback HTTP server for the fetcher tests: routes are plain functions, every request is logged."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    host: str  # the address the server listens on


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (timeouts)


Route = Callable[["Handler"], Reply]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer._Server

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        owner = self.server.owner
        owner.log.append(
            Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic(), owner.host)
        )
        route = owner.routes.get(self.path.split("?")[0])
        reply = route(self) if route else Reply(404, b"not here")
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if "Content-Length" not in reply.headers and "Transfer-Encoding" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.status != 304:
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, cap): fine
            pass


class LoopbackServer:
    """ThreadingHTTPServer on 127.0.0.x in a thread. `routes[path] = fn(handler) -> Reply`."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        owner: LoopbackServer

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.routes: dict[str, Route] = {}
        self.log: list[Seen] = []
        self._server = self._Server((host, 0), Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.log if s.path.split("?")[0] == path]

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------------------------------------------- content


def rss(title: str, items: list[tuple[str, str]], base: str = "https://news.example") -> bytes:
    """A small RSS 2.0 document; items are (guid, title). Original test text, no publisher content."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{t}</title><link>{base}/{guid}</link>"
        f"<description>&lt;p&gt;Body of {t}.&lt;/p&gt;</description>"
        f"<pubDate>Mon, 02 Mar 2026 10:00:00 +0300</pubDate></item>"
        for guid, t in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>{base}/</link>{entries}</channel></rss>"
    ).encode()


def static(body: bytes, content_type: str = "application/rss+xml", **headers: str) -> Route:
    return lambda h: Reply(200, body, {"Content-Type": content_type, **headers})


def with_etag(body: bytes, etag: str = '"v1"') -> Route:
    """Honours If-None-Match."""

    def route(h: Handler) -> Reply:
        if h.headers.get("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(200, body, {"Content-Type": "application/rss+xml", "ETag": etag})

    return route


def with_last_modified(body: bytes, when: float = 1_700_000_000) -> Route:
    """Honours If-Modified-Since (exact match, as most servers do)."""
    stamp = formatdate(when, usegmt=True)

    def route(h: Handler) -> Reply:
        if h.headers.get("If-Modified-Since") == stamp:
            return Reply(304)
        return Reply(200, body, {"Content-Type": "application/rss+xml", "Last-Modified": stamp})

    return route


def redirect(status: int, location: str) -> Route:
    return lambda h: Reply(status, b"", {"Location": location})


def status(code: int, **headers: str) -> Route:
    return lambda h: Reply(code, b"error page", {k.replace("_", "-"): v for k, v in headers.items()})


def slow(seconds: float, body: bytes = b"late") -> Route:
    return lambda h: Reply(200, body, delay=seconds)


def gzip_bomb(decoded_bytes: int) -> Route:
    payload = gzip.compress(b"\0" * decoded_bytes, compresslevel=9)
    return lambda h: Reply(200, payload, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})
