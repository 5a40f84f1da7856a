"""A minimal HTTP/1.1 client for load generation against 127.0.0.1 only.

Every call opens a new connection, as SOAP::Lite does, and signs its body
with a fresh nonce. Raw sockets keep the client's own cost per request far
below the server's, so the figures measure the server.
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from extdesk.soap import signature

LOOPBACK = "127.0.0.1"


class CallFailed(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    seconds: float


def _request(path: str, port: int, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}",
             "Content-Type: text/xml; charset=utf-8", f"Content-Length: {len(body)}",
             "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=300) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
    return b"".join(chunks)


def _parse(raw: bytes) -> tuple[int, bytes]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = bytearray()
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2:]
        return status, bytes(body)
    return status, rest


def signed_post(port: int, secret: str, body: bytes, path: str = "/soap/",
                action: str = "") -> Reply:
    """One signed call on a new connection; seconds from connect to last byte."""
    headers = {signature.HEADER_NAME: signature.sign(secret, body)}
    if action:
        headers["SOAPAction"] = f'"urn:HSPC/ExternalHelpdesk#{action}"'
    started = time.perf_counter()
    raw = _exchange(port, _request(path, port, body, headers))
    seconds = time.perf_counter() - started
    status, content = _parse(raw)
    return Reply(status, content, seconds)


def expect_ok(reply: Reply, what: str) -> Reply:
    if reply.status != 200:
        raise CallFailed(f"{what}: HTTP {reply.status}: {reply.body[:400]!r}")
    return reply


@dataclass(frozen=True, slots=True)
class Throughput:
    clients: int
    errors: int
    seconds: float
    latencies: tuple[float, ...]  # seconds, sorted

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return self._quantile(49)

    @property
    def p99_ms(self) -> float:
        return self._quantile(98)

    def _quantile(self, index: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100)[index] * 1000

    @staticmethod
    def combined(runs: list[Throughput]) -> Throughput:
        """Several runs of the same load as one: all their requests over all their time."""
        return Throughput(runs[0].clients, sum(run.errors for run in runs),
                          sum(run.seconds for run in runs),
                          tuple(sorted(t for run in runs for t in run.latencies)))


def _client_loop(port: int, make_request: Callable[[], bytes], start_at: float, stop_at: float,
                 results: multiprocessing.Queue) -> None:
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        request = make_request()
        began = time.perf_counter()
        try:
            raw = _exchange(port, request)
            ok = raw.startswith(b"HTTP/1.1 200") or raw.startswith(b"HTTP/1.0 200")
        except OSError:
            ok = False
        latencies.append(time.perf_counter() - began)
        errors += not ok
    results.put((latencies, errors))


def signed_request_maker(port: int, secret: str, body: bytes, path: str = "/soap/"
                         ) -> Callable[[], bytes]:
    def make() -> bytes:
        return _request(path, port, body, {signature.HEADER_NAME: signature.sign(secret, body)})
    return make


def load(port: int, make_request: Callable[[], bytes], clients: int, seconds: float) -> Throughput:
    """``clients`` processes, each calling in a closed loop for ``seconds``."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 0.3
    stop_at = start_at + seconds
    workers = [
        context.Process(target=_client_loop, args=(port, make_request, start_at, stop_at, results))
        for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        got, failed = results.get()
        latencies += got
        errors += failed
    for worker in workers:
        worker.join()
    return Throughput(clients, errors, seconds, tuple(sorted(latencies)))
