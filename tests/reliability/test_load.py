"""The load scenario for 10 s (the 60 s version: python -m tests.reliability.load)."""

from __future__ import annotations

import pytest

from tests.reliability.load import run
from tests.support.server import live_server_any_db, postgres_url

pytestmark = pytest.mark.slow


def test_ten_seconds_of_mixed_load_lose_nothing_and_fail_nothing(tmp_path):
    with live_server_any_db(tmp_path, workers=4) as server:
        figures, problems = run(server, 10, "PostgreSQL" if postgres_url() else "SQLite")
        log = server.log()
    summary = figures.summary()
    assert figures.errors == [], figures.errors[:5]
    assert problems == [], problems[:10]
    # Every kind of work was really done, concurrently.
    assert summary["alter_contacts_batches"] >= 8 and summary["tickets_filed"] >= 8
    assert summary["replies"] >= 1 and summary["soap_calls"] > summary["alter_contacts_batches"]
    assert "database is locked" not in log and "Traceback" not in log
