"""The floor for per-request cost: a bare WSGI "hello" app under the same
server as ``extdesk serve`` (granian, the buffering gate, the same worker
and thread counts).

Run as ``python -m benchmarks.hello PORT WORKERS``; ``benchmarks.serving``
also serves it under 1.0's gunicorn (``old_application``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from extdesk.serving.gate import BufferingGate
from extdesk.serving.server import ServerOptions, serve

_BODY = b"hello"


def old_application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    # Read the request body, as the SOAP endpoint must before answering.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(_BODY)))])
    return [_BODY]


application = BufferingGate(old_application, body_limit=lambda path: 128 * 1024 * 1024,
                            body_timeout=30, min_rate=16 * 1024, threads=4)


def main(argv: list[str]) -> int:
    port, workers = int(argv[0]), int(argv[1])
    serve(ServerOptions(target="benchmarks.hello:application", host="127.0.0.1", port=port,
                        workers=workers, header_timeout=10))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
