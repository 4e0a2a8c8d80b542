"""The demo news sites on one loopback port: every outlet's feeds and pages under its own path prefix.

    with DemoServer() as server:          # port 0: any free port
        server.write_feeds_yaml("feeds.yaml")
        ... fetch server.url + "/meridian-wire/rss.xml" ...

Feeds and pages answer conditional requests (ETag / If-None-Match, Last-Modified / If-Modified-Since -> 304)
and send gzip when the client asks for it. Query strings are ignored, as on most news sites, so links with
utm_ tracking parameters resolve to the same page. The failing pages behave as corpus.FAILURE_MODES says;
the slow one waits `slow_seconds` (default 30 s) before it answers.
"""

from __future__ import annotations

import gzip
import os
import sys
import threading
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from newsmon.demo.corpus import Corpus, build_corpus
from newsmon.demo.render import Resource, not_found_page


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, demo: DemoServer) -> None:
        self.demo = demo
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        # A client that gives up on the slow page (read timeout) is expected; anything else is a bug to show.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm each keep-alive request would stall 40 ms.
    disable_nagle_algorithm = True
    server_version = "newsmon-demo/1.0"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args) -> None:  # quiet: tests and `make demo` read their own logs
        pass

    def _respond(self, send_body: bool) -> None:
        demo = self.server.demo
        path = unquote(urlsplit(self.path).path)
        demo._count(path)
        resource = demo.site.get(path)
        if resource is None:
            resource = Resource(404, not_found_page(), "text/html; charset=utf-8")
        if resource.failure == "slow" and demo._stopping.wait(demo.slow_seconds):
            self.close_connection = True  # shutting down: drop the request rather than hold the server up
            return
        if resource.status == 200 and self._not_modified(resource):
            self.send_response(304)
            self._validators(resource)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = resource.body
        gzipped = resource.status == 200 and _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        if gzipped:
            body = demo._gzip(path, resource)
        self.send_response(resource.status)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        if resource.status == 200:
            self._validators(resource)
            self.send_header("Cache-Control", "max-age=300")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _validators(self, resource: Resource) -> None:
        self.send_header("ETag", resource.etag)
        if resource.last_modified is not None:
            self.send_header("Last-Modified", format_datetime(resource.last_modified, usegmt=True))

    def _not_modified(self, resource: Resource) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or resource.etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims and resource.last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            return since.tzinfo is not None and resource.last_modified.replace(microsecond=0) <= since
        return False


def _accepts_gzip(header: str) -> bool:
    """True when Accept-Encoding names gzip (or *) without q=0."""
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() not in ("gzip", "*"):
            continue
        q = params.strip()
        if not q.startswith("q="):
            return True
        try:
            return float(q[2:]) > 0
        except ValueError:
            return False
    return False


class DemoServer:
    """The demo corpus served over HTTP on one port, as a context manager. Also start()/stop()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        end_day: date | None = None,
        slow_seconds: float = 30,
        corpus: Corpus | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self.corpus = corpus or build_corpus(end_day)
        self.site: dict[str, Resource] = {}
        self.hits: Counter[str] = Counter()  # requests per path, for tests that check what a client fetched
        self._hits_lock = threading.Lock()
        self._gzip_cache: dict[str, bytes] = {}
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("DemoServer is not running; use it as a context manager or call start()")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> DemoServer:
        self._httpd = _Server((self.host, self.port), self)  # binds now, so the real port is known
        self.port = self._httpd.server_address[1]
        self.site = self.corpus.render(self.url)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def list_until(self, moment: datetime | None) -> list[str]:
        """Let the feeds list only the items published by `moment` (None: all of them), as the sites' feeds
        looked then; pages stay as they are. Returns the names of the feeds that list something (the others
        answer 404 until they do). For replaying the corpus run by run (tests/test_batching_demo.py)."""
        from newsmon.demo.render import feed_resource

        shown = self.corpus
        if moment is not None:
            shown = replace(self.corpus, articles=[a for a in self.corpus.articles if a.published <= moment])
        listing = []
        for feed in self.corpus.feeds:
            if shown.feed_articles(feed.name):
                self.site[feed.path] = feed_resource(shown, feed, self.url)
                listing.append(feed.name)
            else:
                self.site.pop(feed.path, None)
            self._gzip_cache.pop(feed.path, None)
        return listing

    def feeds(self) -> list[dict]:
        """Entries for a feeds.yaml that points at this server."""
        rows = []
        for feed in self.corpus.feeds:
            outlet = self.corpus.outlets[feed.outlet]
            rows.append(
                {
                    "name": feed.name,
                    "url": feed.url(self.url),
                    "source": outlet.name,
                    "country": outlet.country,
                    "language": feed.language,
                    "state_affiliated": outlet.state_affiliated,
                    "kind": outlet.kind,
                }
            )
        return rows

    def write_feeds_yaml(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"# The newsmon demo feeds, served by `newsmon demo-server` at {self.url}\n"
        body = yaml.safe_dump({"feeds": self.feeds()}, sort_keys=False, allow_unicode=True)
        path.write_text(header + body, encoding="utf-8")
        return path

    def _count(self, path: str) -> None:
        with self._hits_lock:
            self.hits[path] += 1

    def _gzip(self, path: str, resource: Resource) -> bytes:
        cached = self._gzip_cache.get(path)
        if cached is None:
            cached = self._gzip_cache[path] = gzip.compress(resource.body, mtime=0)
        return cached


def cli_demo_server(args) -> int:
    """`newsmon demo-server [--host H] [--port P] [--write-feeds FILE]`: serve until Ctrl-C."""
    slow = float(os.environ.get("NEWSMON_DEMO_SLOW_SECONDS", "30"))
    if not 0 <= args.port <= 65535:
        print(f"newsmon demo-server: --port {args.port} is not a TCP port (0-65535)", file=sys.stderr)
        return 2
    server = DemoServer(host=args.host, port=args.port, slow_seconds=slow)
    try:
        server.start()
    except OSError as exc:  # one line, no traceback: usually the port is taken
        print(
            f"newsmon demo-server: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    try:
        corpus = server.corpus
        print(
            f"newsmon demo news sites at {server.url}/ ({len(corpus.articles)} articles from "
            f"{len(corpus.outlets)} outlets, {corpus.start_day} to {corpus.end_day}; spike on {corpus.spike_day})"
        )
        if args.write_feeds:
            written = server.write_feeds_yaml(args.write_feeds)
            print(f"feeds file: {written}  (NEWSMON_FEEDS={written} NEWSMON_ALLOW_HOSTS={server.url})")
        else:
            for row in server.feeds():
                print(f"  {row['name']:<22} {row['url']}")
        print("Ctrl-C stops the server.", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nnewsmon demo-server: stopped")
    finally:
        server.stop()
    return 0
