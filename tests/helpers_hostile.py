"""Hostile raw-socket servers on loopback for the deadline tests: every byte is under the test's control."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable


class RawServer:
    """A TCP server on 127.0.0.1 that runs `handler(conn, server)` for every connection, each in its own thread."""

    def __init__(
        self, handler: Callable[[socket.socket, RawServer], None], tls: ssl.SSLContext | None = None
    ):
        self.handler, self.tls = handler, tls
        self.connections = 0
        self.requests: list[str] = []  # request lines, in arrival order
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                if self.tls:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                self.handler(conn, self)
            except OSError:  # the client gave up: that is what these servers are for
                pass

    def read_request(self, conn: socket.socket) -> str | None:
        """The request path, once the whole request head has arrived; None when the client closed."""
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(4096)
            if not piece:
                return None
            data += piece
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        self.requests.append(line)
        return line.split(" ")[1]

    def close(self) -> None:
        """Stop listening: new connections are refused from now on (connections already open go on)."""
        self._stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the other thread
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def drip(conn: socket.socket, pieces: Iterable[bytes], period: float) -> None:
    for piece in pieces:
        conn.sendall(piece)
        time.sleep(period)
