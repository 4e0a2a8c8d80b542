"""HttpClient against real loopback servers: caps, redirects, the address guard, robots.txt, spacing."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from helpers_fetch import (
    LoopbackServer,
    Reply,
    gzip_bomb,
    redirect,
    slow,
    static,
    with_etag,
    with_last_modified,
)
from newsmon.config import USER_AGENT, ConfigError, Settings
from newsmon.http import (
    AddressGuard,
    BlockedAddress,
    ConnectError,
    FetchTimeout,
    HostSpacer,
    HttpClient,
    InvalidUrl,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
    parse_retry_after,
)

LOOPBACK = ["127.0.0.0/8"]


def settings(**overrides) -> Settings:
    base = dict(allow_hosts=LOOPBACK, host_spacing=0.0, connect_timeout=2.0, read_timeout=2.0)
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def server():
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def client():
    with HttpClient(settings()) as c:
        yield c


def test_plain_200_names_the_project_and_lowercases_headers(server, client):
    server.routes["/feed"] = static(b"<rss/>", "application/rss+xml", ETag='"abc"')
    resp = client.get(server.url("/feed"))
    assert (resp.status, resp.body, resp.final_url) == (200, b"<rss/>", server.url("/feed"))
    assert resp.headers["etag"] == '"abc"' and resp.headers["content-type"] == "application/rss+xml"
    assert resp.redirects == [] and resp.bytes_read == len(b"<rss/>") and resp.retry_after is None
    assert server.log[0].headers["user-agent"] == USER_AGENT and "newsmon" in USER_AGENT


def test_non_2xx_statuses_are_returned_not_raised(server, client):
    server.routes["/gone"] = lambda h: Reply(410, b"gone")
    server.routes["/busy"] = lambda h: Reply(503, b"busy", {"Retry-After": "42"})
    assert client.get(server.url("/gone")).status == 410
    busy = client.get(server.url("/busy"))
    assert busy.status == 503 and busy.retry_after == 42.0
    assert client.get(server.url("/nothing")).status == 404


def test_conditional_get_with_etag_and_last_modified(server, client):
    server.routes["/etag"] = with_etag(b"<rss/>", '"v7"')
    server.routes["/lm"] = with_last_modified(b"<rss/>")
    first = client.get(server.url("/etag"))
    again = client.get(server.url("/etag"), etag=first.headers["etag"])
    assert (first.status, again.status, again.body) == (200, 304, b"")
    assert server.requests_to("/etag")[1].headers["if-none-match"] == '"v7"'
    first = client.get(server.url("/lm"))
    again = client.get(server.url("/lm"), last_modified=first.headers["last-modified"])
    assert (first.status, again.status) == (200, 304)


def test_gzip_and_deflate_bodies_are_decoded(server, client):
    text = b"<rss>" + b"news " * 2000 + b"</rss>"
    server.routes["/gz"] = lambda h: Reply(200, gzip.compress(text), {"Content-Encoding": "gzip"})
    server.routes["/zlib"] = lambda h: Reply(200, zlib.compress(text), {"Content-Encoding": "deflate"})
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = raw_deflate.compress(text) + raw_deflate.flush()
    server.routes["/raw"] = lambda h: Reply(200, raw, {"Content-Encoding": "deflate"})
    for path in ("/gz", "/zlib", "/raw"):
        resp = client.get(server.url(path))
        assert resp.body == text, path
        assert resp.bytes_read < len(text) / 10  # what crossed the wire was the compressed form


def test_redirects_are_followed_and_recorded(server, client):
    server.routes["/old"] = redirect(301, "/middle")
    server.routes["/middle"] = redirect(302, server.url("/new"))
    server.routes["/new"] = static(b"<rss/>")
    resp = client.get(server.url("/old"))
    assert resp.status == 200 and resp.final_url == server.url("/new")
    assert resp.redirects == [(301, server.url("/middle")), (302, server.url("/new"))]


def test_redirect_loop_and_too_many_redirects(server, client):
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = redirect(302, "/a")
    with pytest.raises(TooManyRedirects, match="redirect loop"):
        client.get(server.url("/a"))
    for i in range(10):
        server.routes[f"/hop{i}"] = redirect(301, f"/hop{i + 1}")
    server.routes["/hop10"] = static(b"<rss/>")
    with pytest.raises(TooManyRedirects, match="more than 5 redirects"):
        client.get(server.url("/hop0"))
    assert client.get(server.url("/hop5")).status == 200  # exactly 5 hops is allowed


def test_read_timeout_is_a_fetch_timeout(server):
    server.routes["/slow"] = slow(4.0)
    server.routes["/fast"] = static(b"ok")
    with HttpClient(settings(read_timeout=0.8)) as c:
        assert c.get(server.url("/fast")).body == b"ok"
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match="read timeout"):
            c.get(server.url("/slow"))
        assert time.monotonic() - started < 3.0  # gave up long before the server would have answered
        assert c.get(server.url("/fast")).body == b"ok"  # a host that answered before is slow, not down


def test_body_over_the_cap_by_content_length(server):
    big = b"x" * 5000
    server.routes["/declared"] = static(big)
    with HttpClient(settings(max_feed_bytes=4096)) as c:
        with pytest.raises(TooLarge, match="Content-Length"):
            c.get(server.url("/declared"))
        assert c.get(server.url("/declared"), kind="page").status == 200  # pages have their own cap


def test_cap_enforced_while_streaming_without_content_length():
    """A server that streams until it closes, announcing no length."""

    class Endless(threading.Thread):
        def __init__(self):
            super().__init__(daemon=True)
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen(1)

        def run(self):
            conn, _ = self.sock.accept()
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nConnection: close\r\n\r\n")
            try:
                for _ in range(1000):
                    conn.sendall(b"y" * 8192)
            except OSError:
                pass
            conn.close()

    endless = Endless()
    endless.start()
    with HttpClient(settings(max_feed_bytes=64 * 1024)) as c:
        with pytest.raises(TooLarge, match="65,536-byte cap"):
            c.get(f"http://127.0.0.1:{endless.sock.getsockname()[1]}/feed")
    endless.sock.close()


def test_gzip_bomb_is_stopped_after_decompression(server):
    server.routes["/bomb"] = gzip_bomb(64 * 1024 * 1024)
    with HttpClient(settings(max_feed_bytes=1024 * 1024)) as c:
        with pytest.raises(TooLarge, match="after decompression"):
            c.get(server.url("/bomb"))


def test_a_gzip_bomb_in_a_redirect_body_is_stopped_at_the_small_redirect_cap(server):
    """Redirect bodies are read under min(cap, 512 KiB) like any other body; requests' Session.send used to read
    and decode them whole before the cap was applied."""
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024), compresslevel=9)
    server.routes["/moved"] = lambda h: Reply(302, bomb, {"Location": "/feed", "Content-Encoding": "gzip"})
    server.routes["/feed"] = static(b"<rss/>")
    with HttpClient(settings(max_feed_bytes=8 * 1024 * 1024)) as c:
        with pytest.raises(TooLarge, match="524,288-byte cap after decompression"):
            c.get(server.url("/moved"))
        assert not server.requests_to("/feed")


def test_redirect_body_bytes_count_and_cookies_are_kept_across_hops(server, client):
    """A site that sets a cookie on a redirect and wants it back on the next hop (a common bot check)."""
    server.routes["/check"] = lambda h: Reply(
        302, b"moved", {"Location": "/feed", "Set-Cookie": "seen=1; Path=/"}
    )
    server.routes["/feed"] = static(b"<rss/>")
    resp = client.get(server.url("/check"))
    assert resp.status == 200 and resp.bytes_read == len(b"moved") + len(b"<rss/>")
    assert server.requests_to("/feed")[0].headers.get("cookie") == "seen=1"


def test_private_address_refused_by_default_and_allowed_when_listed(server):
    server.routes["/feed"] = static(b"<rss/>")
    with HttpClient(Settings(host_spacing=0)) as strict:
        with pytest.raises(BlockedAddress, match="loopback"):
            strict.get(server.url("/feed"))
        with pytest.raises(BlockedAddress, match="localhost resolves to loopback"):
            strict.get(f"http://localhost:{server.port}/feed")
        with pytest.raises(BlockedAddress, match="private"):
            strict.get("http://10.1.2.3/feed")
        with pytest.raises(BlockedAddress, match="link-local"):
            strict.get("http://169.254.169.254/latest/meta-data/")
        with pytest.raises(BlockedAddress, match="loopback"):
            strict.get("http://[::ffff:127.0.0.1]/")
    assert server.log == []  # nothing was even sent
    for allow, host in (
        ([f"http://127.0.0.1:{server.port}"], "127.0.0.1"),
        (["127.0.0.0/8"], "127.0.0.1"),
        ([f"HTTP://LOCALHOST:{server.port}/"], "localhost"),
    ):
        with HttpClient(Settings(allow_hosts=allow, host_spacing=0)) as c:
            assert c.get(f"http://{host}:{server.port}/feed").status == 200


def test_redirect_from_allowed_host_to_refused_address(server):
    server.routes["/feed"] = redirect(302, "http://169.254.169.254/latest/meta-data/")
    server.routes["/inside"] = redirect(301, "http://10.0.0.7/admin")
    with HttpClient(Settings(allow_hosts=[server.url("")], host_spacing=0)) as c:
        with pytest.raises(BlockedAddress, match="169.254.169.254"):
            c.get(server.url("/feed"))
        with pytest.raises(BlockedAddress, match="10.0.0.7"):
            c.get(server.url("/inside"), kind="page", feed_url=server.url("/feed"))


def test_dns_rebinding_is_caught_on_the_connected_socket(server, monkeypatch):
    """The name looks public when checked, then connects to loopback: the socket check refuses it."""
    server.routes["/feed"] = static(b"<rss/>")
    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", server.port))]])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.test":
            first = next(answers, None)
            return first if first is not None else real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with HttpClient(Settings(host_spacing=0)) as c:
        with pytest.raises(BlockedAddress, match="loopback"):
            c.get(f"http://rebind.test:{server.port}/feed")
    assert server.log == []


def test_address_guard_categories():
    guard = AddressGuard(["192.168.0.0/16", "http://intranet.example"])
    guard.check("http://news.example/", ["93.184.216.34", "2606:4700::1111"])  # public: fine
    guard.check("https://anything/", ["192.168.4.4"])  # allowed range
    with guard.scope("http://intranet.example/feed.xml"):
        guard.check("http://intranet.example/a", ["10.9.9.9"])  # allowed origin, inside its feed's scope
    for address, label in [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
    ]:
        with pytest.raises(BlockedAddress, match=label):
            guard.check("http://x.example/", ["93.184.216.34", address])  # one bad answer is enough


def test_exemption_covers_the_feeds_own_origin_never_a_redirect_to_another_port(server):
    """Two loopback ports: the feed's origin is exempt, a 302 from it to the other port's /secret is refused."""
    with LoopbackServer() as other:
        other.routes["/secret"] = static(b"internal only", "text/plain")
        server.routes["/feed"] = redirect(302, other.url("/secret"))
        server.routes["/ok"] = static(b"<rss/>")
        server.routes["/page"] = static(b"<html>story</html>", "text/html")
        server.routes["/hop"] = redirect(301, server.url("/page"))
        with HttpClient(Settings(allow_hosts=[server.url("")], host_spacing=0, respect_robots=False)) as c:
            assert c.get(server.url("/ok")).status == 200  # the feed itself
            page = c.get(server.url("/hop"), kind="page", feed_url=server.url("/ok"))  # its page, same origin
            assert page.body == b"<html>story</html>"
            with pytest.raises(BlockedAddress, match="127.0.0.1 is a loopback address") as refused:
                c.get(server.url("/feed"))
            assert refused.value.url == other.url("/secret") and other.log == []
            assert server.requests_to("/feed")  # the exempt hop was made; the redirect was not followed
            # The exempt origin linked from any other feed, or with no feed at all, is judged like the rest.
            for feed_url in ("https://news.example/rss.xml", other.url("/rss.xml"), None):
                with pytest.raises(BlockedAddress, match="exempt only for feeds at that origin"):
                    c.get(server.url("/page"), kind="page", feed_url=feed_url)
            with pytest.raises(BlockedAddress):
                c.get(other.url("/secret"))  # another port of the same address is not exempt
            with pytest.raises(BlockedAddress):
                c.get(server.url("/ok").replace("http://", "https://"))  # nor another scheme
    assert other.log == []


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1",  # the old demo value: every port of the address, for every feed
        "127.0.0.1:19101",
        "[::1]",
        "intranet.example",
        "ftp://127.0.0.1:21",
        "http://user:secret@127.0.0.1:19101",
        "http://127.0.0.1:19101/feeds",
        "http://127.0.0.1:99999",
        "10.0.0.0/33",
    ],
)
def test_malformed_allow_hosts_entry_is_an_error_at_start(entry, monkeypatch, tmp_path, capsys):
    from newsmon.cli import main

    with pytest.raises(ConfigError, match="NEWSMON_ALLOW_HOSTS entry"):
        AddressGuard([entry])
    monkeypatch.setenv("NEWSMON_ALLOW_HOSTS", f"http://127.0.0.1:8765,{entry}")
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    assert main(["run", "--once", "--feeds", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NEWSMON_ALLOW_HOSTS entry" in err and repr(entry) in err


def test_allow_hosts_accepts_origins_and_cidr_ranges():
    guard = AddressGuard(
        ["http://127.0.0.1:19101", "HTTPS://[::1]", "http://intranet.example/", "10.0.0.0/8", " "]
    )
    assert guard.allowed_origins == {
        ("http", "127.0.0.1", 19101),
        ("https", "::1", 443),
        ("http", "intranet.example", 80),
    }
    assert [str(n) for n in guard.allowed_networks] == ["10.0.0.0/8"]


@pytest.mark.parametrize(
    "address, inside",
    [
        ("2002:7f00:1::", "127.0.0.1 inside a 6to4"),
        ("2002:a9fe:a9fe::1", "169.254.169.254 inside a 6to4"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1 inside a Teredo"),  # client 127.0.0.1, XOR-ed
        ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254 inside a Teredo"),
        ("64:ff9b::7f00:1", "127.0.0.1 inside a NAT64"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254 inside a NAT64"),
        ("::ffff:169.254.169.254", "169.254.169.254 inside a IPv4-mapped"),
        ("::127.0.0.1", "127.0.0.1 inside a IPv4-compatible"),
    ],
)
def test_ipv6_wrappers_are_unwrapped_and_the_ipv4_inside_judged(address, inside):
    guard = AddressGuard([])
    with pytest.raises(BlockedAddress, match=inside.replace(".", r"\.")):
        guard.check("http://wrapped.example/", [address])
    with pytest.raises(BlockedAddress, match="refused"):
        with HttpClient(Settings(host_spacing=0)) as c:
            c.get(f"http://[{address}]/latest/meta-data/")


def test_ipv6_wrapping_a_public_ipv4_is_judged_by_it():
    guard = AddressGuard([])
    for address in ("2002:5db8:d822::1", "64:ff9b::5db8:d822"):  # 93.184.216.34 via 6to4 and NAT64
        guard.check("http://wrapped.example/", [address])


def test_connection_refused_and_bad_urls(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens
    with pytest.raises(ConnectError, match="connection failed"):
        client.get(f"http://127.0.0.1:{port}/feed")
    with pytest.raises(ConnectError, match=r"skipped: 127.0.0.1:\d+ gave no answer"):
        client.get(f"http://127.0.0.1:{port}/other")  # the host is down: no second wait
    for bad in ("ftp://example.com/feed", "not a url", "http:///nohost"):
        with pytest.raises(InvalidUrl):
            client.get(bad)
    with pytest.raises(ValueError, match="kind"):
        client.get("http://127.0.0.1/", kind="robots")


def test_robots_disallow_applies_to_pages_only_and_is_cached(server):
    server.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")
    server.routes["/private/story"] = static(b"<html>secret</html>", "text/html")
    server.routes["/public/story"] = static(b"<html>news</html>", "text/html")
    with HttpClient(settings()) as c:
        with pytest.raises(RobotsDisallowed, match="disallows"):
            c.get(server.url("/private/story"), kind="page")
        assert c.get(server.url("/public/story"), kind="page").status == 200
        assert c.get(server.url("/private/story"), kind="feed").status == 200  # feeds are not robots-checked
    assert len(server.requests_to("/robots.txt")) == 1
    assert not server.requests_to("/private/story")[:-1]  # only the feed-kind request reached it
    with HttpClient(settings(respect_robots=False)) as c:
        assert c.get(server.url("/private/story"), kind="page").status == 200


def test_robots_checked_on_every_page_redirect_hop():
    with LoopbackServer("127.0.0.1") as a, LoopbackServer("127.0.0.2") as b:
        b.routes["/robots.txt"] = static(b"User-agent: *\nDisallow: /private/\n", "text/plain")
        b.routes["/private/story"] = static(b"<html/>", "text/html")
        a.routes["/story"] = redirect(302, b.url("/private/story"))
        with HttpClient(settings()) as c, pytest.raises(RobotsDisallowed, match="127.0.0.2"):
            c.get(a.url("/story"), kind="page")
        assert not b.requests_to("/private/story")


def test_robots_crawl_delay_spaces_that_host(server):
    server.routes["/robots.txt"] = static(b"User-agent: *\nCrawl-delay: 1\n", "text/plain")
    server.routes["/a"] = static(b"<html/>", "text/html")
    server.routes["/b"] = static(b"<html/>", "text/html")
    with HttpClient(settings(host_spacing=0)) as c:
        c.get(server.url("/a"), kind="page")
        c.get(server.url("/b"), kind="page")
    a, b = server.requests_to("/a")[0].at, server.requests_to("/b")[0].at
    assert b - a >= 0.98


def test_robots_agent_specific_rules(server):
    server.routes["/robots.txt"] = static(b"User-agent: newsmon\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    server.routes["/story"] = static(b"<html/>", "text/html")
    with HttpClient(settings()) as c, pytest.raises(RobotsDisallowed):
        c.get(server.url("/story"), kind="page")


@pytest.mark.parametrize("robots_status", [404, 403, 500, 503])
def test_robots_errors_allow_pages(server, robots_status):
    server.routes["/robots.txt"] = lambda h: Reply(robots_status, b"Disallow: /")
    server.routes["/story"] = static(b"<html/>", "text/html")
    with HttpClient(settings()) as c:
        assert c.get(server.url("/story"), kind="page").status == 200


def test_failing_robots_is_asked_again_soon_a_missing_one_is_not(server, monkeypatch):
    import newsmon.http

    monkeypatch.setattr(newsmon.http, "ROBOTS_RETRY", 0.05)
    robots = {"status": 503}
    server.routes["/robots.txt"] = lambda h: Reply(robots["status"], b"User-agent: *\nDisallow: /\n")
    server.routes["/story"] = static(b"<html/>", "text/html")
    with HttpClient(settings()) as c:
        assert c.get(server.url("/story"), kind="page").status == 200  # 5xx: allowed for now
        robots["status"] = 200
        time.sleep(0.1)
        with pytest.raises(RobotsDisallowed):  # the server is back and its rules now apply
            c.get(server.url("/story"), kind="page")
    robots["status"] = 404
    with HttpClient(settings()) as c:
        for _ in range(2):
            assert c.get(server.url("/story"), kind="page").status == 200
            time.sleep(0.1)
    assert len(server.requests_to("/robots.txt")) == 3  # 503, 200, then one 404 trusted for the hour


def test_per_host_spacing_is_honoured_without_serialising_other_hosts():
    with LoopbackServer("127.0.0.1") as a, LoopbackServer("127.0.0.2") as b:
        for srv in (a, b):
            srv.routes["/x"] = static(b"ok")
        with HttpClient(settings(host_spacing=1.0)) as c:
            threads = [threading.Thread(target=c.get, args=(a.url("/x"),)) for _ in range(3)]
            threads += [threading.Thread(target=c.get, args=(b.url("/x"),))]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        starts = sorted(s.at for s in a.log)
        assert len(starts) == 3
        # Spacing is reserved when a request starts on the client; arrival at the server can jitter by a few
        # tens of milliseconds on a loaded machine (a new connection versus a reused one), never by a second.
        assert all(later - earlier >= 0.9 for earlier, later in zip(starts, starts[1:], strict=False))
        # host b did not queue behind host a's spacing: it was served before a's second slot came round
        assert b.log[0].at < starts[1] and b.log[0].at - started < 1.5


def test_host_spacer_reserves_slots():
    spacer = HostSpacer(0.2)
    assert spacer.wait("h") == 0.0
    assert 0.0 < spacer.wait("h") <= 0.2  # the second start waits for its reserved slot
    assert spacer.wait("other") == 0.0
    assert HostSpacer(0).wait("h") == 0.0


def test_parse_retry_after():
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(minutes=5), usegmt=True), now) == 300.0
    assert parse_retry_after(format_datetime(now - timedelta(minutes=5), usegmt=True), now) == 0.0
    for junk in (None, "", "soon", "-5", "1.5e9x"):
        assert parse_retry_after(junk, now) is None


class Blackhole:
    """Accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def test_silent_host_is_skipped_after_its_first_read_timeout_and_retried_later():
    with Blackhole() as hole, HttpClient(settings(read_timeout=0.8)) as c:
        with pytest.raises(FetchTimeout, match="read timeout"):
            c.get(hole.url + "/feed")
        started = time.monotonic()
        with pytest.raises(ConnectError, match=r"skipped: 127.0.0.1:\d+ gave no answer .*read timeout"):
            c.get(hole.url + "/other")
        assert time.monotonic() - started < 0.6  # no second wait for the read timeout
        c.spacer.down_ttl = 0.05
        time.sleep(0.1)
        with pytest.raises(FetchTimeout):  # after the pause the host gets another chance
            c.get(hole.url + "/feed")


def test_a_dead_host_costs_one_timeout_not_one_per_url():
    """The first request to a host goes alone; the others wait for it, then fail at once."""
    outcomes: list[str] = []
    with Blackhole() as hole, HttpClient(settings(read_timeout=1.0)) as c:

        def fetch(path: str) -> None:
            try:
                c.get(hole.url + path)
            except (FetchTimeout, ConnectError) as exc:
                outcomes.append(type(exc).__name__ + (" skipped" if "skipped" in str(exc) else ""))

        threads = [threading.Thread(target=fetch, args=(f"/feed{i}",)) for i in range(4)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - started
    assert sorted(outcomes) == ["ConnectError skipped"] * 3 + ["FetchTimeout"]
    assert took < 1.9  # one read timeout, not four in a row or two in parallel waves


def test_a_site_that_answers_is_never_skipped_for_slow_urls(server):
    server.routes["/slow"] = slow(3.0)
    server.routes["/fast"] = static(b"ok")
    with HttpClient(settings(read_timeout=0.8)) as c:
        assert c.get(server.url("/fast")).body == b"ok"
        for _ in range(3):
            with pytest.raises(FetchTimeout):
                c.get(server.url("/slow"))
        assert c.get(server.url("/fast")).body == b"ok"
