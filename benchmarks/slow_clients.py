"""Slow clients, as an attacker keeps them: for benchmarks.serving and the slow-client tests."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from .client import LOOPBACK


class SlowCrowd:
    """``count`` connections kept open, half dripping header lines, half dripping a body.

    Half send ``POST /desk/login/`` headers a line every ``drip_seconds``, half
    ``POST /soap/`` headers with ``Content-Length: 100000`` and then a byte
    every ``drip_seconds``. A connection the server closes (its header or body
    deadline passed) is replaced at once, so ``count`` stay open throughout;
    ``open_counts`` holds how many were open at each drip.
    """

    def __init__(self, port: int, count: int, drip_seconds: float = 5) -> None:
        self.port, self.count, self.drip_seconds = port, count, drip_seconds
        self.sockets: list[tuple[socket.socket, bool]] = []
        self.open_counts: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)

    def _open(self, body: bool) -> socket.socket:
        sock = socket.create_connection((LOOPBACK, self.port), timeout=10)
        if body:
            sock.sendall(b"POST /soap/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                         b"Content-Length: 100000\r\n\r\n<")
        else:
            sock.sendall(b"POST /desk/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock

    def __enter__(self) -> SlowCrowd:
        self.sockets = [(self._open(i % 2 == 1), i % 2 == 1) for i in range(self.count)]
        self._thread.start()
        return self

    def _drip(self) -> None:
        while not self._stop.wait(self.drip_seconds):
            alive = 0
            for index, (sock, body) in enumerate(self.sockets):
                try:
                    sock.sendall(b"x" if body else b"X-Slow: y\r\n")
                    alive += 1
                except OSError:
                    sock.close()
                    with suppress(OSError):
                        self.sockets[index] = (self._open(body), body)
                        alive += 1
            self.open_counts.append(alive)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock, _ in self.sockets:
            sock.close()
