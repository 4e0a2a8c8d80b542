"""One deadline per fetch, and keep-alive that goes stale, against hostile raw-socket servers on loopback.

Each server here keeps every single read just inside the read timeout (a header line or a body byte every
DRIP seconds), which a per-read timeout alone never stops. The fetch must end at its total deadline
(connect timeout + 3 x read timeout) instead, over all redirect hops. The servers give up by themselves after a
few deadlines, so the old behaviour shows up as a fetch that succeeds far too late rather than a hung test.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import struct
import time

import pytest
from helpers_hostile import RawServer
from helpers_hostile import drip as hostile_drip
from newsmon.config import Settings
from newsmon.http import ConnectError, FetchTimeout, HttpClient

READ_TIMEOUT = 1.0
CONNECT_TIMEOUT = 1.0
DEADLINE = CONNECT_TIMEOUT + 3 * READ_TIMEOUT  # HttpClient.total_time_limit() for these settings
DRIP = 0.25  # seconds between two bytes or lines: well inside the read timeout
DRIP_FOR = 4 * DEADLINE  # how long a hostile server keeps going before it finishes the response
MARGIN = 4.0  # slack for a loaded machine: still far below DRIP_FOR


def settings(**overrides) -> Settings:
    base = dict(
        allow_hosts=["127.0.0.0/8"],
        host_spacing=0.0,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
    )
    base.update(overrides)
    return Settings(**base)


def drip(conn: socket.socket, pieces, period: float = DRIP) -> None:
    hostile_drip(conn, pieces, period)


def slow_headers(conn: socket.socket, server: RawServer) -> None:
    """Status line at once, then one harmless header line every DRIP seconds for DRIP_FOR seconds."""
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    drip(conn, (f"X-Slow-{i}: {i}\r\n".encode() for i in range(int(DRIP_FOR / DRIP))))
    conn.sendall(b"Content-Length: 2\r\nConnection: close\r\n\r\nok")


def dripping_body(conn: socket.socket, server: RawServer) -> None:
    """Headers at once (with an honest Content-Length), then the body at one byte every DRIP seconds."""
    server.read_request(conn)
    size = int(DRIP_FOR / DRIP)
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n".encode())
    drip(conn, (b"x" for _ in range(size)))


def dripping_chunks(conn: socket.socket, server: RawServer) -> None:
    """Chunked transfer coding, one one-byte chunk every DRIP seconds."""
    server.read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    drip(conn, (b"1\r\nx\r\n" for _ in range(int(DRIP_FOR / DRIP))))
    conn.sendall(b"0\r\n\r\n")


HOPS = 8
HOP_TIME = 0.6 * DEADLINE  # each hop alone stays well inside the deadline; all of them together do not


def slow_redirect_chain(conn: socket.socket, server: RawServer) -> None:
    """/hop0 -> /hop1 -> ... -> /hop8; every hop drips its headers for HOP_TIME seconds."""
    path = server.read_request(conn) or ""
    hop = int(path.removeprefix("/hop"))
    conn.sendall(b"HTTP/1.1 302 Found\r\n" if hop < HOPS else b"HTTP/1.1 200 OK\r\n")
    drip(conn, (f"X-Hop-{i}: {hop}\r\n".encode() for i in range(int(HOP_TIME / DRIP))))
    if hop < HOPS:
        conn.sendall(f"Location: /hop{hop + 1}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    else:
        conn.sendall(b"Content-Length: 2\r\nConnection: close\r\n\r\nok")


def timed_fetch(url: str, **overrides) -> tuple[float, FetchTimeout]:
    with HttpClient(settings(**overrides)) as client:
        assert client.total_time_limit() == DEADLINE
        started = time.monotonic()
        with pytest.raises(FetchTimeout) as caught:
            client.get(url)
        return time.monotonic() - started, caught.value


@pytest.mark.parametrize(
    "handler",
    [slow_headers, dripping_body, dripping_chunks],
    ids=["header-lines-dripped", "body-dripped", "chunked-body-dripped"],
)
def test_a_dripping_server_is_stopped_at_the_total_deadline(handler):
    with RawServer(handler) as server:
        elapsed, error = timed_fetch(server.url("/feed"))
    print(f"{handler.__name__}: fetch ended after {elapsed:.2f} s against a deadline of {DEADLINE:g} s")
    assert DEADLINE - 0.05 <= elapsed < DEADLINE + MARGIN  # the deadline ended it, not the server
    assert "in total" in str(error) and f"{DEADLINE:g} s" in str(error)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


def test_a_dripping_body_over_tls_is_stopped_at_the_total_deadline(tls_files):
    """Feeds are mostly HTTPS: the TLS socket's reads are capped by the deadline too."""
    cert_file, key_file = tls_files
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert_file, key_file)
    with RawServer(dripping_body, tls=server_side) as server, HttpClient(settings()) as client:
        client.session.verify = cert_file  # trust our own certificate, and only it
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match="in total"):
            client.get(server.url("/feed"))
        elapsed = time.monotonic() - started
    print(f"dripping body over TLS: fetch ended after {elapsed:.2f} s against a deadline of {DEADLINE:g} s")
    assert DEADLINE - 0.05 <= elapsed < DEADLINE + MARGIN


def test_the_deadline_covers_all_redirect_hops_and_does_not_restart_per_hop():
    with RawServer(slow_redirect_chain) as server:
        elapsed, error = timed_fetch(server.url("/hop0"), max_redirects=10)
        hops_asked = len(server.requests)
    print(f"slow redirect chain: fetch ended after {elapsed:.2f} s against a deadline of {DEADLINE:g} s")
    assert DEADLINE - 0.05 <= elapsed < DEADLINE + MARGIN
    assert "in total" in str(error)
    assert hops_asked == 2  # the second hop used up what the first one left


# Wide settings for the next test: its first fetch must end inside the deadline but less than a read timeout
# before it, so that its last reads ran under a timeout the deadline had cut.
WIDE_READ, WIDE_CONNECT = 2.0, 0.5
WIDE_DEADLINE = WIDE_CONNECT + 3 * WIDE_READ  # 6.5 s
DRIP_BYTES = int((WIDE_DEADLINE - 1.0) / DRIP)  # the body takes about 5.5 s: 1 s either side to spare


def keep_alive_drip_then_quick(conn: socket.socket, server: RawServer) -> None:
    """Keep-alive: /drip drips its body until shortly before the deadline; any other path answers at once."""
    while (path := server.read_request(conn)) is not None:
        if path == "/drip":
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {DRIP_BYTES}\r\n\r\n".encode())
            # On a fixed schedule, so that a loaded machine's late wake-ups do not add up past the deadline.
            start = time.monotonic()
            for i in range(DRIP_BYTES):
                time.sleep(max(0.0, start + (i + 1) * DRIP - time.monotonic()))
                conn.sendall(b"x")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def _pooled_socket(client: HttpClient, url: str) -> socket.socket:
    """The one idle keep-alive socket in the client's pools."""
    pools = client.session.get_adapter(url).poolmanager.pools
    idle = [c.sock for key in pools.keys() for c in pools[key].pool.queue if c is not None and c.sock]
    (sock,) = idle
    return sock


def test_a_fetch_inside_the_deadline_succeeds_and_leaves_no_short_timeout_on_the_pooled_socket():
    """The deadline cut the socket timeout during /drip; the next fetch on that connection reads under its own."""
    wide = settings(read_timeout=WIDE_READ, connect_timeout=WIDE_CONNECT)
    with RawServer(keep_alive_drip_then_quick) as server, HttpClient(wide) as client:
        first = client.get(server.url("/drip"))
        cut = _pooled_socket(client, server.url("/")).gettimeout()
        second = client.get(server.url("/next"))
        after = _pooled_socket(client, server.url("/")).gettimeout()
        connections = server.connections
    print(f"pooled socket timeout after /drip {cut:.2f} s, after the next fetch {after:.2f} s")
    assert first.status == 200 and len(first.body) == DRIP_BYTES
    assert cut < WIDE_READ  # the last reads of /drip ran under what was left of its deadline
    assert second.body == b"ok" and after == WIDE_READ  # urllib3 set the read timeout again on reuse
    assert connections == 1  # the same keep-alive connection carried both


# ------------------------------------------------------------------------------------ stale keep-alive connections


def _close_or_reset(conn: socket.socket, how: str) -> None:
    if how == "reset":  # RST instead of FIN: the client sees ConnectionResetError
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def closes_idle_keep_alive(how: str):
    """Answers the first request of a connection with keep-alive, then closes (or resets) that connection when
    the next request arrives on it: a server whose idle timeout fired just as the client reused the
    connection. Every new connection is served."""

    def handler(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        if server.read_request(conn) is not None:
            _close_or_reset(conn, how)

    return handler


@pytest.mark.parametrize("how", ["close", "reset"])
def test_a_stale_keep_alive_connection_is_retried_on_a_new_one_and_the_host_stays_up(how):
    with RawServer(closes_idle_keep_alive(how)) as server, HttpClient(settings()) as client:
        bodies = [client.get(server.url(f"/feed{i}")).body for i in range(4)]
        connections, requests = server.connections, len(server.requests)
    assert bodies == [b"ok"] * 4  # no error, and no "skipped: gave no answer" for 120 s
    assert connections == 4  # each reuse failed once and went out again on a new connection
    assert requests == 4 + 3  # the three stale sends, and every feed once on a fresh connection


def test_the_host_is_down_only_when_the_new_connection_fails_too():
    """The stale connection fails, and the retry on a new connection is refused: now the host counts as down."""

    def serve_once_then_vanish(conn: socket.socket, server: RawServer) -> None:
        server.read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        server.close()  # nobody listens any more: a new connection is refused
        if server.read_request(conn) is not None:
            conn.close()

    with RawServer(serve_once_then_vanish) as server, HttpClient(settings()) as client:
        assert client.get(server.url("/a")).body == b"ok"
        with pytest.raises(ConnectError, match="connection failed") as first:
            client.get(server.url("/b"))
        assert "skipped" not in str(first.value)
        with pytest.raises(ConnectError, match="skipped: .* gave no answer"):
            client.get(server.url("/c"))
