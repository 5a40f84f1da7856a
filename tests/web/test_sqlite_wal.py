"""A fresh SQLite file is switched to WAL even while another process holds it."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from extdesk.conf.sqlite import switch_to_write_ahead_log

pytestmark = pytest.mark.database_independent


def _hold_write_lock(path, seconds: float, started: threading.Event) -> None:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    started.set()
    threading.Event().wait(seconds)
    holder.execute("COMMIT")
    holder.close()


def test_the_switch_waits_for_a_lock_another_connection_holds(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 0.3, started))
    holder.start()
    started.wait(5)
    # No busy timeout of its own: only the retry can make this succeed.
    opener = sqlite3.connect(path, timeout=0)
    switch_to_write_ahead_log(opener, wait_seconds=10)
    holder.join()
    assert opener.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_switch_gives_up_with_the_lock_error_after_its_wait(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, 1.5, started))
    holder.start()
    started.wait(5)
    opener = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        switch_to_write_ahead_log(opener, wait_seconds=0.3)
    holder.join()
