"""SQLite connection set-up that must survive two processes opening a new file."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

# Switching a fresh file to WAL needs an exclusive lock, and SQLite answers a
# second process that asks for it at the same moment "database is locked" at
# once, without waiting on the busy timeout. So the switch is retried here.
_WAIT_SECONDS = 30.0


def use_write_ahead_log(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Receiver for ``connection_created``: put a SQLite database in WAL mode."""
    if connection.vendor != "sqlite":
        return
    switch_to_write_ahead_log(connection.connection)


def switch_to_write_ahead_log(raw: sqlite3.Connection, wait_seconds: float = _WAIT_SECONDS) -> None:
    deadline = time.monotonic() + wait_seconds
    delay = 0.005
    while True:
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
