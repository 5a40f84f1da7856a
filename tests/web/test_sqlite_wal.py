"""A fresh SQLite file is switched to WAL even while another process holds it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from extdesk.conf.sqlite import switch_to_write_ahead_log

pytestmark = pytest.mark.database_independent


@contextmanager
def _write_lock_held(path, seconds: float) -> Iterator[None]:
    """Another connection holds ``path``'s write lock for ``seconds`` from the start of the block."""
    started = threading.Event()

    def hold() -> None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        started.set()
        threading.Event().wait(seconds)
        holder.execute("COMMIT")
        holder.close()

    thread = threading.Thread(target=hold)
    thread.start()
    started.wait(5)
    try:
        yield
    finally:
        thread.join()


def test_the_switch_waits_for_a_lock_another_connection_holds(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    with _write_lock_held(path, 0.3):
        # No busy timeout of its own: only the retry can make this succeed.
        opener = sqlite3.connect(path, timeout=0)
        switch_to_write_ahead_log(opener, wait_seconds=10)
    assert opener.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_switch_gives_up_with_the_lock_error_after_its_wait(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    with _write_lock_held(path, 1.5):
        opener = sqlite3.connect(path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            switch_to_write_ahead_log(opener, wait_seconds=0.3)
