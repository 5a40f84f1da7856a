"""The load scenario for 10 s (the 60 s version: python -m tests.reliability.load)."""

from __future__ import annotations

import time

import pytest

from tests.reliability.load import Write, check_final_state, run
from tests.support.server import live_server_any_db, postgres_url

pytestmark = pytest.mark.slow


def test_ten_seconds_of_mixed_load_lose_nothing_and_fail_nothing(tmp_path):
    with live_server_any_db(tmp_path, workers=4) as server:
        figures, problems = run(server, 10, "PostgreSQL" if postgres_url() else "SQLite")
        log = server.log()
        # The check is not blind: a write of ids 1-3 that began after all
        # others had been answered, but that the store does not show, is a
        # lost update.
        now = time.monotonic()
        figures.writes.append(Write(10**9, now, now, range(1, 4)))
        lost = check_final_state(server, figures)
        figures.writes.pop()
    summary = figures.summary()
    assert figures.errors == [], figures.errors[:5]
    assert problems == [], problems[:10]
    # Every kind of work was really done, concurrently.
    assert summary["alter_contacts_batches"] >= 8 and summary["tickets_filed"] >= 8
    assert summary["replies"] >= 1 and summary["soap_calls"] > summary["alter_contacts_batches"]
    assert "database is locked" not in log and "Traceback" not in log
    assert [line.split(":")[0] for line in lost] == ["id 1", "id 2", "id 3"]
