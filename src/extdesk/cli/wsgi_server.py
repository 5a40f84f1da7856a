"""Running the Django application under gunicorn, configured in code."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from extdesk.conf.wsgi import application

        return application


def gunicorn_options(
    *, bind: str, workers: int, certfile: str | None, keyfile: str | None, timeout: int
) -> dict[str, Any]:
    """The server configuration ``extdesk serve`` runs with (the benchmark's floor reuses it)."""
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "sync",
        "certfile": certfile,
        "keyfile": keyfile,
        "timeout": timeout,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        # Large pushes are read in one piece; this only bounds header size.
        "limit_request_field_size": 16384,
        # Each worker's heartbeat is a file whose mode it changes with every
        # request it accepts; in memory that touches no disk or overlay.
        "worker_tmp_dir": "/dev/shm" if os.access("/dev/shm", os.W_OK) else None,
    }


def run_gunicorn(
    *, bind: str, workers: int, certfile: str | None, keyfile: str | None, timeout: int
) -> int:
    _Server(
        gunicorn_options(bind=bind, workers=workers, certfile=certfile, keyfile=keyfile,
                         timeout=timeout)
    ).run()
    return 0
