"""The floor for per-request cost: a bare WSGI "hello" app under the same
gunicorn configuration and worker count as ``extdesk serve``.

Run as ``python -m benchmarks.hello PORT WORKERS``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from gunicorn.app.base import BaseApplication

from extdesk.cli.wsgi_server import gunicorn_options

_BODY = b"hello"


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    # Read the request body, as the SOAP endpoint must before answering.
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(_BODY)))])
    return [_BODY]


class _Hello(BaseApplication):
    def __init__(self, options: dict) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Callable:
        return application


def main(argv: list[str]) -> int:
    port, workers = int(argv[0]), int(argv[1])
    _Hello(gunicorn_options(bind=f"127.0.0.1:{port}", workers=workers, certfile=None,
                            keyfile=None, timeout=120)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
