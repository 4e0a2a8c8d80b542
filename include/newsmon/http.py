"""The only network code of newsmon: one polite, defensive HTTP client for feeds and article pages.

`HttpClient(settings).get(url, kind="feed" | "page", etag=, last_modified=)` returns an `HttpResponse` for any
HTTP status (non-2xx statuses are returned, not raised, so callers can act on 304, 410, 429 ...) and raises an
`HttpError` subclass when there is no usable response:

- `BlockedAddress`: the host resolves (or connects) to a loopback, private, link-local, reserved or multicast
  address (also wrapped in IPv6: mapped, 6to4, Teredo, NAT64) that `settings.allow_hosts` does not exempt.
  Checked before every request, on every redirect hop, and again on the connected socket, so a DNS answer that
  changes between check and connect (rebinding) is caught. An origin exemption covers one feed's own origin and
  its pages there, never a redirect to another origin (see AddressGuard).
- `RobotsDisallowed`: robots.txt forbids the article page (pages only; `settings.respect_robots`).
- `TooLarge`: the body exceeds the byte cap, counted on the wire and again after gzip/deflate decoding.
- `TooManyRedirects`, `FetchTimeout`, `ConnectError`, `BadResponse`, `InvalidUrl`.

Redirects are followed by hand (at most `settings.max_redirects`) so every hop passes the address guard and is
recorded. One fetch (connect, response headers, every redirect hop and the body) has one deadline,
`total_time_limit()` = connect timeout + 3 x read timeout: before every socket read the socket timeout is cut to
the time left, so a server that drips header lines or body bytes just inside the read timeout is still stopped
(`FetchTimeout`). Waiting for a host's turn (spacing, Crawl-delay) is our own politeness and does not count.

Requests to one host start at least `settings.host_spacing` seconds apart (or the host's robots.txt
Crawl-delay); different hosts never wait for each other. The first request to a host:port goes alone, and one
that gives no answer (refused, or silent until the timeout) is skipped for DOWN_HOST_TTL seconds, so a dead host
costs one timeout rather than one per URL. A request that breaks on a reused keep-alive connection (the server
closed it while idle) is sent once more on a new connection; only a new connection failing counts against the
host. The client is thread-safe: one `requests.Session` with a connection pool sized for the workers.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import urllib.robotparser
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from newsmon.config import USER_AGENT, Origin, Settings, normal_host, origin_of, parse_allow_entry

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB of a robots.txt; so do we
ROBOTS_TTL = 3600.0  # seconds a host's robots.txt is trusted before it is fetched again
ROBOTS_RETRY = 300.0  # an unreachable or failing robots.txt (treated as allow-all) is asked again this soon
MAX_CRAWL_DELAY = 30.0  # a robots.txt Crawl-delay above this is capped (one page per 30 s is polite enough)
CHUNK = 64 * 1024
# A slow server can keep every single read under the read timeout while trickling bytes forever; one fetch (all
# hops, headers and bodies) may take at most the connect timeout plus this many read timeouts.
TOTAL_TIME_FACTOR = 3.0
# A host that refused or timed out the connection (or a read, before it ever answered) is skipped for this long,
# so its other feeds and pages fail at once instead of each waiting out its own timeout.
DOWN_HOST_TTL = 120.0


# ---------------------------------------------------------------------------------------------------- errors


class HttpError(Exception):
    """No usable HTTP response for `url`; the message says why in words an operator can act on."""

    def __init__(self, message: str, url: str = ""):
        super().__init__(message)
        self.url = url


class BlockedAddress(HttpError):
    """The host resolves to an address the SSRF guard refuses (loopback, private, link-local ...)."""


class RobotsDisallowed(HttpError):
    """robots.txt of the host forbids fetching this page."""


class TooLarge(HttpError):
    """The body is over the byte cap (declared, on the wire, or after decompression)."""


class TooManyRedirects(HttpError):
    """More redirects than `settings.max_redirects`, or a redirect loop."""


class FetchTimeout(HttpError):
    """Connecting or reading took longer than the configured timeout."""


class ConnectError(HttpError):
    """The host could not be resolved or reached, or the connection broke."""


class BadResponse(HttpError):
    """The server answered with something that is not a usable HTTP response (bad encoding, truncated body)."""


class InvalidUrl(HttpError):
    """The URL is not an absolute http(s) URL."""


# ---------------------------------------------------------------------------------------------------- response


@dataclass
class HttpResponse:
    url: str  # the URL asked for
    final_url: str  # the URL that gave this response, after redirects
    status: int
    headers: dict[str, str]  # of the final response, names in lower case
    body: bytes  # decoded (gzip/deflate removed); empty for 304
    redirects: list[tuple[int, str]] = field(default_factory=list)  # (status, Location) of every hop followed
    elapsed: float = 0.0  # seconds, including redirects and per-host waits
    bytes_read: int = 0  # bytes received on the wire (compressed), over all hops
    retry_after: float | None = None  # seconds, from a Retry-After header of the final response

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ---------------------------------------------------------------------------------------------------- SSRF guard

NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[tuple[ipaddress.IPv4Address, str]]:
    """The IPv4 addresses an IPv6 address carries (and how): traffic to it ends up there, so they are judged."""
    if ip.ipv4_mapped is not None:
        return [(ip.ipv4_mapped, "IPv4-mapped")]
    if ip.sixtofour is not None:
        return [(ip.sixtofour, "6to4")]
    if ip.teredo is not None:
        server, client = ip.teredo
        return [(client, "Teredo"), (server, "Teredo server")]
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in NAT64:
        return [(low32, "NAT64")]
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # :: and ::1 are themselves, not IPv4
        return [(low32, "IPv4-compatible")]
    return []


def _plain_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return label
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges ...
        return "non-public"
    return None


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not a public internet address, or None when it is.

    An IPv6 address that wraps an IPv4 one (::ffff:127.0.0.1, 6to4 2002:7f00:1::, Teredo, NAT64 64:ff9b::/96)
    is judged by the IPv4 address inside: 2002:7f00:1:: is loopback in disguise, and 64:ff9b::5db8:d822 is just
    93.184.216.34 seen from an IPv6-only network.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        for inner, how in embedded:
            problem = _plain_problem(inner)
            if problem:
                return f"{problem} ({inner} inside a {how} address)"
        if embedded:
            return None
    return _plain_problem(ip)


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


class AddressGuard:
    """Refuses hosts that resolve to non-public addresses, except where `allow_hosts` exempts them.

    An origin entry (`http://127.0.0.1:19101`) exempts requests to exactly that scheme, host and port, and only
    inside `scope(feed_url)` of a feed whose own URL has that origin: the feed and its pages there. A redirect to
    any other origin, or a link to the exempt origin from some other feed, is judged like everything else.
    A CIDR entry (`10.0.0.0/8`) exempts every address in the range, for every feed, link and redirect: any public
    feed can then make newsmon fetch from that network, so use it only for closed setups (tests, benchmarks).
    """

    def __init__(self, allow_hosts: list[str]):
        self.allowed_origins: set[Origin] = set()
        self.allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow_hosts:
            if not entry.strip():
                continue
            parsed = parse_allow_entry(entry)
            if isinstance(parsed, tuple):
                self.allowed_origins.add(parsed)
            else:
                self.allowed_networks.append(parsed)
        self._local = threading.local()

    @contextmanager
    def scope(self, feed_url: str | None):
        """Requests made by this thread inside the block belong to the feed at `feed_url` (None: to no feed)."""
        origin = origin_of(feed_url) if feed_url else None
        previous = getattr(self._local, "origin", None)
        self._local.origin = origin if origin in self.allowed_origins else None
        try:
            yield
        finally:
            self._local.origin = previous

    def _allowed(self, origin: Origin | None, ip) -> bool:
        if any(ip in net for net in self.allowed_networks):
            return True
        return origin is not None and origin == getattr(self._local, "origin", None)

    def check(self, url: str, addresses: list[str]) -> None:
        """Raise BlockedAddress when any address `url`'s host has is refused (one bad answer is enough)."""
        origin = origin_of(url)
        host = origin[1] if origin else ""
        for text in addresses:
            ip = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
            problem = _address_problem(ip)
            if problem and not self._allowed(origin, ip):
                where = (
                    f"{host} is a {problem} address"
                    if host == str(ip)
                    else f"{host} resolves to {problem} address {ip}"
                )
                if origin in self.allowed_origins:
                    hint = f"{_show(origin)} is exempt only for feeds at that origin and their pages there"
                else:
                    hint = "a feed's own origin can be exempted with NEWSMON_ALLOW_HOSTS=scheme://host:port"
                raise BlockedAddress(f"refused: {where} ({hint})", url)

    def resolve_and_check(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ConnectError(f"cannot resolve host {host}: {exc.strerror or exc}", url) from None
        except UnicodeError:
            raise InvalidUrl(f"host name {host!r} is not valid", url) from None
        self.check(url, sorted({info[4][0] for info in infos}))


# ---------------------------------------------------------------------------------------------------- deadline


def fetch_deadline(settings: Settings) -> float:
    """Seconds one fetch may spend on the network in total: connect, headers, every redirect hop and the body."""
    return settings.connect_timeout + TOTAL_TIME_FACTOR * settings.read_timeout


# What the fetch running in this thread asks of the sockets and pools it uses (requests does all I/O of a request
# in the calling thread): `deadline` (time.monotonic()) caps every read, `reused_connection` says whether the
# last connection came out of the keep-alive pool, `fresh_connection` asks the pool for a new one.
_this_fetch = threading.local()


@contextmanager
def _reads_end_by(deadline: float):
    """Every socket read of this thread, in this block, gives up at `deadline` (see _DeadlineReads)."""
    previous = getattr(_this_fetch, "deadline", None)
    _this_fetch.deadline = deadline
    try:
        yield
    finally:
        _this_fetch.deadline = previous


class _DeadlineReads:
    """Socket mixin: before every read the socket timeout is cut to the time left before the fetch's deadline.

    http.client and urllib3 apply the read timeout to each recv on its own, so a server that sends one header line
    or one body byte just before each timeout runs out would hold a fetch for as long as it likes. Reading in
    small chunks would not help (one chunk is many recvs); capping every recv does.
    """

    __slots__ = ()  # same layout as the socket class it extends, so a live socket can take this class

    def _cap_timeout(self) -> None:
        deadline = getattr(_this_fetch, "deadline", None)
        if deadline is None:  # used outside a fetch (the pool's liveness check): plain socket
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch deadline has passed")
        current = self.gettimeout()
        if current is None or current > left:
            self.settimeout(left)  # urllib3 sets the read timeout again before the next request

    def recv(self, *args, **kwargs):
        self._cap_timeout()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args, **kwargs):
        self._cap_timeout()
        return super().recv_into(*args, **kwargs)


class _DeadlineSocket(_DeadlineReads, socket.socket):
    __slots__ = ()


class _DeadlineSSLSocket(_DeadlineReads, ssl.SSLSocket):
    __slots__ = ()


def _with_deadline_reads(sock):
    """The same socket object, its reads now capped by the fetch deadline (urllib3 creates plain sockets)."""
    if type(sock) is socket.socket:
        sock.__class__ = _DeadlineSocket
    elif type(sock) is ssl.SSLSocket:
        sock.__class__ = _DeadlineSSLSocket
    return sock


def _guarded_adapter(guard: AddressGuard, pool_size: int) -> HTTPAdapter:
    """An adapter whose connections check the address they actually connected to (closes the DNS rebinding gap),
    read under the fetch deadline, and tell the client whether a request went out on a reused connection."""

    def checked(conn, scheme: str, sock: socket.socket) -> socket.socket:
        host = normal_host(conn.host)
        origin = f"{scheme}://{f'[{host}]' if ':' in host else host}:{conn.port or conn.default_port}/"
        try:
            guard.check(origin, [sock.getpeername()[0]])
        except BlockedAddress:
            sock.close()
            raise
        return _with_deadline_reads(sock)

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return checked(self, "http", super()._new_conn())

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return checked(self, "https", super()._new_conn())

        def connect(self) -> None:
            super().connect()  # TCP, guard, then the TLS handshake (bounded by the connect timeout)
            self.sock = _with_deadline_reads(self.sock)

    class KeepAliveAware:
        def _get_conn(self, timeout=None):
            conn = super()._get_conn(timeout)  # drops pooled connections it can see are closed
            if getattr(_this_fetch, "fresh_connection", False) and conn.sock is not None:
                conn.close()  # a retry after a stale keep-alive goes out on a new socket, not another idle one
            _this_fetch.reused_connection = conn.sock is not None
            return conn

    class GuardedHTTPPool(KeepAliveAware, HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(KeepAliveAware, HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    adapter = HTTPAdapter(pool_connections=256, pool_maxsize=pool_size, max_retries=0, pool_block=False)
    adapter.poolmanager.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}
    return adapter


# ---------------------------------------------------------------------------------------------------- politeness


class HostSpacer:
    """Per-host politeness: request starts at least `spacing` seconds apart; the first request to a host goes
    alone (the others wait until it has answered or failed); hosts that give no answer are skipped for `down_ttl`
    seconds. Other hosts are never held up.

    Each caller reserves the next free slot under a lock and sleeps outside it, so threads waiting for one host
    never block threads bound for another. A host is down after a refused or timed-out connection, or after a read
    timeout if it never answered at all; a site that answers some URLs and is slow on others is slow, not down,
    and keeps being asked. Probing a host alone first means a dead host costs one timeout, not one per URL.
    """

    def __init__(self, spacing: float, down_ttl: float = DOWN_HOST_TTL):
        self.spacing = max(0.0, spacing)
        self.down_ttl = down_ttl
        self._next: dict[str, float] = {}
        self._host_spacing: dict[str, float] = {}  # Crawl-delay from robots.txt, where larger than `spacing`
        self._answered: set[str] = set()
        self._probing: dict[str, threading.Event] = {}
        self._down: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, host: str, url: str = "", endpoint: str | None = None):
        """Hold one request to `host`: wait for the probe of its endpoint (host:port), its liveness and its slot.

        Spacing is per host name (politeness); liveness is per endpoint (a refused port says nothing of another).
        """
        endpoint = endpoint or host
        probe = self._probe_or_wait(endpoint)
        try:
            self._check_up(endpoint, url)
            self.wait(host)
            yield
        finally:
            if probe is not None:
                with self._lock:
                    self._probing.pop(endpoint, None)
                probe.set()

    def _probe_or_wait(self, endpoint: str) -> threading.Event | None:
        """None once the endpoint has answered; else an event if we are its probe (others wait for that event)."""
        while True:
            with self._lock:
                if endpoint in self._answered:
                    return None
                pending = self._probing.get(endpoint)
                if pending is None:
                    self._probing[endpoint] = mine = threading.Event()
                    return mine
            pending.wait()  # then: answered, down (wait() raises), or another thread probes again

    def wait(self, host: str) -> float:
        """Block until this host may be contacted; returns the seconds waited."""
        spacing = max(self.spacing, self._host_spacing.get(host, 0.0))
        if spacing <= 0:
            return 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + spacing
        delay = start - now
        if delay > 0:
            time.sleep(delay)
        return delay

    def at_least(self, host: str, seconds: float) -> None:
        """Space this host's requests at least `seconds` apart (a robots.txt Crawl-delay)."""
        with self._lock:
            self._host_spacing[host] = min(max(0.0, seconds), MAX_CRAWL_DELAY)

    def failed(self, endpoint: str, exc: HttpError) -> None:
        """Note a request that got no answer at all (see _no_answer)."""
        kind = getattr(exc, "no_answer", None)
        with self._lock:
            if kind == "connect" or (kind == "read" and endpoint not in self._answered):
                self._down[endpoint] = (time.monotonic(), str(exc))

    def answered(self, endpoint: str) -> None:
        """The endpoint sent a response (status line and headers)."""
        if endpoint not in self._answered or endpoint in self._down:
            with self._lock:
                self._answered.add(endpoint)
                self._down.pop(endpoint, None)

    def _check_up(self, endpoint: str, url: str) -> None:
        down = self._down.get(endpoint)
        if down is None:
            return
        age = time.monotonic() - down[0]
        if age < self.down_ttl:
            raise ConnectError(f"skipped: {endpoint} gave no answer {age:.0f} s ago ({down[1]})", url)
        with self._lock:  # time to try again
            self._down.pop(endpoint, None)


@dataclass
class _RobotsEntry:
    parser: urllib.robotparser.RobotFileParser | None  # None: allow everything
    expires: float  # time.monotonic() after which the host's robots.txt is fetched again


class RobotsCache:
    """robots.txt per scheme+host, fetched through the client itself and trusted for `ttl` seconds.

    4xx (no robots.txt) allows everything; 5xx and unreachable also allow, as common crawlers do for a
    feed-linked article page (the publisher listed it in its own feed).
    """

    def __init__(self, client: HttpClient, ttl: float = ROBOTS_TTL):
        self.client, self.ttl = client, ttl
        self._entries: dict[str, _RobotsEntry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.agent = client.user_agent.split("/", 1)[0].strip() or "*"

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            host_lock = self._locks.setdefault(key, threading.Lock())
        with host_lock:  # one fetch per host even when many threads ask at once
            entry = self._entries.get(key)
            if entry is None or time.monotonic() > entry.expires:
                parser, found = self._fetch(key + "/robots.txt")
                entry = _RobotsEntry(parser, time.monotonic() + (self.ttl if found else ROBOTS_RETRY))
                self._entries[key] = entry
                delay = entry.parser.crawl_delay(self.agent) if entry.parser else None
                if delay:
                    self.client.spacer.at_least((parts.hostname or "").lower(), float(delay))
        return entry.parser is None or entry.parser.can_fetch(self.agent, url)

    def _fetch(self, robots_url: str) -> tuple[urllib.robotparser.RobotFileParser | None, bool]:
        """The parsed rules (None: allow all), and whether that answer is settled (2xx or 4xx) or provisional."""
        try:
            resp = self.client._fetch(robots_url, "robots", None, None)
        except BlockedAddress:
            raise
        except HttpError:
            return None, False
        if not resp.ok:
            return None, resp.status < 500
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        return parser, True


# ---------------------------------------------------------------------------------------------------- decoding


class _BodyDecoder:
    """Undo gzip/deflate incrementally, never producing more than `cap` bytes (defuses compression bombs)."""

    def __init__(self, encoding: str, cap: int, url: str):
        self.encoding, self.cap, self.url = encoding, cap, url
        self.out = bytearray()
        self._z = self._new()
        self._raw_deflate_tried = False

    def _new(self):
        if self.encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.encoding == "deflate":
            return zlib.decompressobj(zlib.MAX_WBITS)
        return None

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._append(chunk, "")
            return
        data = chunk
        while data:
            room = self.cap - len(self.out) + 1  # one byte over the cap is enough to know
            try:
                piece = self._z.decompress(data, room)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._raw_deflate_tried and not self.out:
                    # Some servers send raw deflate without the zlib header the RFC asks for.
                    self._raw_deflate_tried = True
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise BadResponse(f"broken {self.encoding} body: {exc}", self.url) from None
            self._append(piece, " after decompression")
            if self._z.unconsumed_tail:
                self._append(b"x" * room, " after decompression")  # more output is pending: over the cap
            data = self._z.unused_data if self._z.eof else b""
            if data:  # concatenated gzip members
                self._z = self._new()

    def _append(self, piece: bytes, how: str) -> None:
        if len(self.out) + len(piece) > self.cap:
            raise TooLarge(f"body over the {self.cap:,}-byte cap{how}", self.url)
        self.out += piece

    def finish(self) -> bytes:
        if self._z is not None:
            try:
                self._append(self._z.flush(), " after decompression")
            except zlib.error as exc:
                raise BadResponse(f"broken {self.encoding} body: {exc}", self.url) from None
        return bytes(self.out)


# ---------------------------------------------------------------------------------------------------- client


class HttpClient:
    """Thread-safe HTTP client: SSRF guard, redirect limit, byte caps, timeouts, per-host spacing, robots.txt."""

    def __init__(self, settings: Settings, user_agent: str = USER_AGENT):
        self.settings = settings
        self.user_agent = user_agent
        self.guard = AddressGuard(settings.allow_hosts)
        self.spacer = HostSpacer(settings.host_spacing)
        self.robots = RobotsCache(self)
        self.session = requests.Session()
        # No proxies or .netrc from the environment: the guard must see the real peer.
        self.session.trust_env = False
        self.session.headers.update(
            {
                "User-Agent": user_agent,
                "Accept-Encoding": "gzip, deflate",  # only what _BodyDecoder can undo under a cap
                "Accept": "*/*",
            }
        )
        self.adapter = _guarded_adapter(self.guard, pool_size=max(32, 2 * settings.fetch_workers))
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cap_for(self, kind: str) -> int:
        if kind == "feed":
            return self.settings.max_feed_bytes
        if kind == "page":
            return self.settings.max_page_bytes
        return ROBOTS_MAX_BYTES

    def total_time_limit(self) -> float:
        """Seconds one fetch may spend on the network in total (connect, headers, all redirect hops, body)."""
        return fetch_deadline(self.settings)

    def get(
        self,
        url: str,
        kind: str = "feed",
        etag: str | None = None,
        last_modified: str | None = None,
        feed_url: str | None = None,
    ) -> HttpResponse:
        """GET a feed or an article page; see the module docstring for what is raised and what is returned.

        `feed_url` names the feed a page came from: an exempt origin (settings.allow_hosts) covers the feed's own
        URL and its pages on that same origin. A feed is its own feed_url.
        """
        if kind not in ("feed", "page"):
            raise ValueError(f"kind must be 'feed' or 'page', not {kind!r}")
        _check_url(url)
        with self.guard.scope(url if kind == "feed" else feed_url):
            if kind == "page" and self.settings.respect_robots and not self.robots.allowed(url):
                raise RobotsDisallowed(f"robots.txt of {urlsplit(url).netloc} disallows {url}", url)
            return self._fetch(url, kind, etag, last_modified)

    def _fetch(self, url: str, kind: str, etag: str | None, last_modified: str | None) -> HttpResponse:
        started = time.monotonic()
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects: list[tuple[int, str]] = []
        visited = {url}
        current, wire_bytes = url, 0
        budget = self.total_time_limit()  # network seconds left for this fetch, over all its hops
        while True:
            self.guard.resolve_and_check(current)
            host = (urlsplit(current).hostname or "").lower()
            endpoint = _endpoint(current)
            with self.spacer.turn(host, current, endpoint):
                # The clock runs from here: waiting for our turn at a host is our politeness, not its fault.
                deadline = time.monotonic() + budget
                try:
                    with _reads_end_by(deadline):
                        status, resp_headers, body, n = self._one_request(
                            current, endpoint, kind, headers, deadline
                        )
                except HttpError as exc:
                    self.spacer.failed(endpoint, exc)
                    raise
                budget = deadline - time.monotonic()
            wire_bytes += n
            location = resp_headers.get("location")
            if status not in REDIRECT_STATUSES or not location:
                break
            target = urljoin(current, location.strip())
            redirects.append((status, target))
            if target in visited:
                raise TooManyRedirects(f"redirect loop: {_chain(url, redirects)}", url)
            if len(redirects) > self.settings.max_redirects:
                raise TooManyRedirects(
                    f"more than {self.settings.max_redirects} redirects: {_chain(url, redirects)}", url
                )
            _check_url(target)
            if kind == "page" and self.settings.respect_robots and not self.robots.allowed(target):
                raise RobotsDisallowed(f"robots.txt of {urlsplit(target).netloc} disallows {target}", url)
            if budget <= 0:
                raise self._deadline_passed(url)
            visited.add(target)
            current = target
        return HttpResponse(
            url=url,
            final_url=current,
            status=status,
            headers=resp_headers,
            body=body,
            redirects=redirects,
            elapsed=time.monotonic() - started,
            bytes_read=wire_bytes,
            retry_after=parse_retry_after(resp_headers.get("retry-after")),
        )

    def _deadline_passed(self, url: str) -> FetchTimeout:
        return FetchTimeout(
            f"timed out: the fetch took over {self.total_time_limit():g} s in total (connect, headers, "
            f"redirects and body; the limit is the connect timeout + {TOTAL_TIME_FACTOR:g} x the read timeout)",
            url,
        )

    def _one_request(
        self, url: str, endpoint: str, kind: str, headers: dict[str, str], deadline: float
    ) -> tuple[int, dict[str, str], bytes, int]:
        """One hop: status, lower-cased headers, decoded body (capped) and bytes on the wire."""
        try:
            resp = self._send(url, headers, deadline)
        except requests.exceptions.ConnectTimeout:
            if _past(deadline):
                raise _no_answer(self._deadline_passed(url), "connect") from None
            message = f"timed out: no connection within {self.settings.connect_timeout:g} s"
            raise _no_answer(FetchTimeout(message, url), "connect") from None
        except requests.exceptions.ReadTimeout:
            if _past(deadline):
                raise _no_answer(self._deadline_passed(url), "read") from None
            message = f"timed out: no response within {self.settings.read_timeout:g} s (read timeout)"
            raise _no_answer(FetchTimeout(message, url), "read") from None
        except requests.exceptions.SSLError as exc:
            raise ConnectError(f"TLS failed: {_root_cause(exc)}", url) from None
        except requests.exceptions.InvalidURL as exc:
            raise InvalidUrl(f"invalid URL: {exc}", url) from None
        except requests.exceptions.RequestException as exc:
            raise _no_answer(ConnectError(f"connection failed: {_root_cause(exc)}", url), "connect") from None
        self.spacer.answered(endpoint)  # a status line and headers: it is alive, whatever the body does
        try:
            resp_headers = {k.lower(): v for k, v in resp.headers.items()}
            if resp.status_code == 304 or resp.status_code in REDIRECT_STATUSES:
                cap = min(self.cap_for(kind), ROBOTS_MAX_BYTES)  # redirect bodies are noise; keep them small
            else:
                cap = self.cap_for(kind)
            body, wire = self._read_body(resp, resp_headers, cap, url, deadline)
        except BaseException:
            resp.close()  # drop the connection: its stream is in an unknown state
            raise
        resp.raw.release_conn()  # fully read: the connection goes back to the pool for keep-alive
        return resp.status_code, resp_headers, body, wire

    def _send(self, url: str, headers: dict[str, str], deadline: float) -> requests.Response:
        """Send the request and read the response headers, within what is left of the deadline.

        A server may close an idle keep-alive connection just as we send on it (RemoteDisconnected, connection
        reset). That says nothing about the host, so such a request is sent once more on a new connection; only
        a failure on a new connection reaches the caller (and may mark the host down).
        """
        try:
            return self._send_once(url, headers, deadline)
        except requests.exceptions.ConnectionError as exc:
            reused = getattr(_this_fetch, "reused_connection", False)
            about_the_host = isinstance(
                exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError
            )
            if about_the_host or not reused:
                raise
        _this_fetch.fresh_connection = True
        try:
            return self._send_once(url, headers, deadline)
        finally:
            _this_fetch.fresh_connection = False

    def _send_once(self, url: str, headers: dict[str, str], deadline: float) -> requests.Response:
        """One request through the session's adapter, with the session's headers, cookies and TLS settings.

        Not through `Session.send`: with redirects not followed, it reads (and decodes) the whole body of a
        redirect response itself, before `_read_body` can cap it (a gzip bomb behind a 302 was decoded in
        memory), and `Session.request` merges per-request settings at ~0.4 ms of CPU a request.
        """
        left = deadline - time.monotonic()
        if left <= 0:
            raise requests.exceptions.ReadTimeout("the fetch deadline has passed")
        timeout = (min(self.settings.connect_timeout, left), min(self.settings.read_timeout, left))
        session = self.session
        request = requests.PreparedRequest()
        request.prepare(
            method="GET", url=url, headers={**session.headers, **headers}, cookies=session.cookies
        )
        resp = self.adapter.send(
            request, stream=True, timeout=timeout, verify=session.verify, cert=session.cert, proxies={}
        )
        extract_cookies_to_jar(session.cookies, request, resp.raw)  # as Session.send keeps them
        return resp

    def _read_body(
        self, resp: requests.Response, headers: dict[str, str], cap: int, url: str, deadline: float
    ) -> tuple[bytes, int]:
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"body over the {cap:,}-byte cap (Content-Length {int(declared):,})", url)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise BadResponse(f"unsupported Content-Encoding {encoding!r} (we ask for gzip or deflate)", url)
        decoder = _BodyDecoder(encoding, cap, url)
        wire = 0
        try:
            while True:
                # One read of CHUNK bytes is many recvs; each of them is capped by the deadline.
                chunk = resp.raw.read(CHUNK, decode_content=False)
                if not chunk:
                    break
                wire += len(chunk)
                if wire > cap:
                    raise TooLarge(f"body over the {cap:,}-byte cap", url)
                decoder.feed(chunk)
                if time.monotonic() > deadline:  # a socket type we could not cap (see _with_deadline_reads)
                    raise self._deadline_passed(url)
        except urllib3.exceptions.ReadTimeoutError:
            if _past(deadline):
                raise self._deadline_passed(url) from None
            raise FetchTimeout(
                f"timed out: body stalled for {self.settings.read_timeout:g} s (read timeout)", url
            ) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectError(f"connection broke while reading the body: {_root_cause(exc)}", url) from None
        return decoder.finish(), wire


def _past(deadline: float) -> bool:
    """Whether a timeout that just fired was the fetch deadline (the socket timeout was cut to it), not the
    per-read or connect timeout. The small slack absorbs the rounding of socket timeouts."""
    return time.monotonic() >= deadline - 0.01


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _no_answer(exc: HttpError, stage: str) -> HttpError:
    """Tag an error as 'the host gave no answer' ("connect": unreachable; "read": connected but silent)."""
    exc.no_answer = stage
    return exc


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidUrl(f"not an absolute http(s) URL: {url!r}", url)


def _chain(start: str, redirects: list[tuple[int, str]]) -> str:
    return " -> ".join([start] + [f"[{status}] {target}" for status, target in redirects])


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's message: 'Connection refused' rather than three layers of wrapping."""
    seen = set()
    while True:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None and exc.args and isinstance(exc.args[0], BaseException):
            nxt = exc.args[0]
        reason = getattr(exc, "reason", None)
        if nxt is None and isinstance(reason, BaseException):
            nxt = reason
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(exc))
        exc = nxt
    text = str(exc)
    if ": " in text and text.startswith("<"):  # urllib3 prefixes "<Connection object at 0x...>: "
        text = text.split(": ", 1)[1]
    return text or type(exc).__name__
