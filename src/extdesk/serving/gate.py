"""The gate: a whole request is read before a WSGI thread is involved.

The network side (granian) is asynchronous: a connection that sends its
headers or body slowly costs a socket and a little memory, never a thread.
The gate reads the body under two bounds and only then hands the complete
request, as a WSGI environ with the body in memory, to a thread of a fixed
pool:

- a **size limit per path** (``body_limit(path)``): a declared
  ``Content-Length`` over it is not read at all, a chunked body is cut as
  soon as it passes it. The application is then called with an empty body
  and the length it was refused for, so it answers the 413 in its own words
  (a SOAP fault on the endpoint, a page elsewhere); the connection closes
  without the rest being read;
- a **deadline**: ``body_timeout`` seconds plus one second for every
  ``min_rate`` bytes of its declared length (of a chunked body: of what has
  arrived). A client sending at ``min_rate`` or faster is never cut; one
  that trickles gets 408, and the application never sees the request.

A client that hangs up before its body is complete is dropped: nothing of a
cut upload reaches the application.

It speaks granian's RSGI interface (the body is collected by the server's
Rust side in one await; the answer goes back in one call), which costs
less per request than ASGI's message dicts (docs/performance.md, "The
server"). This module knows nothing of Django or of the helpdesk: it serves
any WSGI application.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from granian.rsgi import ProtocolClosed as RSGIProtocolClosed
from granian.rsgi import ProtocolError as RSGIProtocolError

log = logging.getLogger("extdesk.serving")

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Response bytes gathered per hop to the WSGI thread: a page or a SOAP answer
# fits in one hop; a large download streams in pieces of about this size.
_RESPONSE_BATCH_BYTES = 256 * 1024

_TIMEOUT_BODY = b"The request body did not arrive in time.\n"


class _Refused(Exception):
    """The request body will not be read: too late, or the client went away."""

    def __init__(self, late: bool, received: int) -> None:
        super().__init__(late, received)
        self.late = late
        self.received = received


class BufferingGate:
    """An RSGI application serving ``application`` (WSGI) with whole requests only."""

    def __init__(
        self,
        application: WSGIApplication,
        *,
        body_limit: Callable[[str], int],
        body_timeout: float,
        min_rate: int,
        threads: int,
    ) -> None:
        self.application = application
        self.body_limit = body_limit
        self.body_timeout = body_timeout
        self.min_rate = min_rate
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        # The worker is stopping: let the requests in hand finish.
        self.executor.shutdown(wait=True)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        if scope.proto != "http":
            return  # websockets are not served
        headers = _header_map(scope.headers.items())
        path = scope.path or "/"
        limit = self.body_limit(path)
        declared = _declared_length(headers.get("content-length"))
        refused_length: int | None
        try:
            if declared is not None and declared > limit:
                body, refused_length = b"", declared
            else:
                body, refused_length = await self._read_body(protocol, declared, limit)
        except _Refused as refusal:
            expected = "an unknown number of" if declared is None else str(declared)
            if refusal.late:
                log.warning("answered 408 to %s for %s: %d of %s bytes of its body arrived in time",
                            _client(scope), _cut(path), refusal.received, expected)
                _plain_answer(protocol, 408, _TIMEOUT_BODY)
            else:
                log.warning("dropped a request from %s for %s: the client went away after %d of %s bytes",
                            _client(scope), _cut(path), refusal.received, expected)
            return
        environ = _environ(scope, headers, body, refused_length)
        await self._respond(environ, protocol, close=refused_length is not None)

    async def _read_body(self, protocol: Any, declared: int | None,
                         limit: int) -> tuple[bytes, int | None]:
        """The whole body, or (b"", length seen) once it passes ``limit``."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        received = 0
        deadline = started + self.body_timeout + (declared or 0) / self.min_rate
        try:
            if declared is not None:
                # Bounded by its length, which is within the limit: collected
                # by the server in one await.
                if declared == 0:
                    return b"", None
                async with asyncio.timeout_at(deadline):
                    body = await protocol()
                received = len(body)
                if received < declared:
                    raise _Refused(late=False, received=received)
                return body, None
            buffer = io.BytesIO()
            # Chunked: read piece by piece, the limit and the deadline moving with it.
            async with asyncio.timeout_at(deadline) as timer:
                async for chunk in protocol:
                    received += len(chunk)
                    if received > limit:
                        return b"", received
                    buffer.write(chunk)
                    deadline = started + self.body_timeout + received / self.min_rate
                    timer.reschedule(deadline)
            return buffer.getvalue(), None
        except TimeoutError:
            raise _Refused(late=True, received=received) from None
        except (RSGIProtocolClosed, RSGIProtocolError):
            # The server's read ends this way when the deadline cancels it, too.
            raise _Refused(late=loop.time() >= deadline, received=received) from None

    async def _respond(self, environ: dict[str, Any], protocol: Any, *, close: bool) -> None:
        loop = asyncio.get_running_loop()
        call = _Call(self.application, environ)
        try:
            chunks, more = await loop.run_in_executor(self.executor, call.start)
            headers = list(call.headers)
            if close:
                headers.append(("connection", "close"))
            if not more:
                protocol.response_bytes(call.status, headers, b"".join(chunks))
                return
            transport = protocol.response_stream(call.status, headers)
            while True:
                await transport.send_bytes(b"".join(chunks))
                if not more:
                    break
                chunks, more = await loop.run_in_executor(self.executor, call.next_batch)
        finally:
            if not call.closed:
                # The client went away mid-response, or the application failed.
                await loop.run_in_executor(self.executor, call.close)


class _Call:
    """One WSGI call, run in a pool thread a batch of response bytes at a time."""

    def __init__(self, application: WSGIApplication, environ: dict[str, Any]) -> None:
        self.application = application
        self.environ = environ
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self._result: Iterable[bytes] | None = None
        self._iterator: Iterator[bytes] | None = None
        self._headers_sent = False
        self.closed = False

    def _start_response(self, status: str, headers: list[tuple[str, str]],
                        exc_info: Any = None) -> Callable[[bytes], None]:
        # PEP 3333: after the headers went out, an error can only end the response.
        if exc_info is not None and self._headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = list(headers)
        return self._refuse_write

    @staticmethod
    def _refuse_write(data: bytes) -> None:
        raise RuntimeError("the write() callable of WSGI is not supported; return the body")

    def start(self) -> tuple[list[bytes], bool]:
        self._result = self.application(self.environ, self._start_response)
        self._iterator = iter(self._result)
        return self.next_batch()

    def next_batch(self) -> tuple[list[bytes], bool]:
        assert self._iterator is not None
        chunks: list[bytes] = []
        size = 0
        for chunk in self._iterator:
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
                if size >= _RESPONSE_BATCH_BYTES:
                    self._headers_sent = True
                    return chunks, True
        # Done: closed here, in the same hop to the thread (PEP 3333's close()
        # is where Django ends the request and returns its database connection).
        self.close()
        return chunks, False

    def close(self) -> None:
        self.closed = True
        closer = getattr(self._result, "close", None)
        if closer is not None:
            closer()


def _split_host_port(text: str, default_port: int) -> tuple[str, int]:
    """("::1", 8000) from "[::1]:8000", ("127.0.0.1", 80) from "127.0.0.1:80"."""
    host, sep, port = text.rpartition(":")
    if not sep or "]" in port:
        return text.strip("[]"), default_port
    return host.strip("[]"), int(port) if port.isdigit() else default_port


def _client(scope: Any) -> str:
    return _split_host_port(scope.client, 0)[0] if scope.client else "an unknown address"


def _cut(text: str, limit: int = 200) -> str:
    # A path is the client's to choose: never more than a line of it in the log.
    return text if len(text) <= limit else text[:limit] + "..."


def _header_map(raw: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def _declared_length(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _environ(scope: Any, headers: dict[str, str], body: bytes,
             refused_length: int | None) -> dict[str, Any]:
    """The PEP 3333 environ of a request whose body is already in memory."""
    scheme = scope.scheme or "http"
    server_name, server_port = _split_host_port(scope.server or "", 443 if scheme == "https" else 80)
    client_host, client_port = _split_host_port(scope.client or "", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # WSGI carries the path as the latin-1 reading of its UTF-8 bytes.
        "PATH_INFO": (scope.path or "/").encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.query_string or "",
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port),
        "REMOTE_ADDR": client_host,
        "REMOTE_PORT": str(client_port),
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version or '1.1'}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        # A name with an underscore would read as the same variable as one
        # with a hyphen (X_Forwarded_For as X-Forwarded-For): dropped.
        if "_" in name:
            continue
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            continue
        elif name != "transfer-encoding":
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    # The application reads exactly what the gate received; a refused body
    # shows the length it was refused for, with nothing to read.
    if refused_length is not None:
        environ["CONTENT_LENGTH"] = str(refused_length)
    elif body or "content-length" in headers:
        environ["CONTENT_LENGTH"] = str(len(body))
    else:
        environ["CONTENT_LENGTH"] = ""
    return environ


def _plain_answer(protocol: Any, status: int, text: bytes) -> None:
    protocol.response_bytes(status, [
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", str(len(text))),
        ("connection", "close"),
    ], text)
