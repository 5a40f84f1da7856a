"""Creating or migrating the database tables on demand (greet)."""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

_checked = False
_thread_lock = threading.Lock()
# Any fixed 63-bit number: the key of the PostgreSQL advisory lock that
# serialises migrations across every process sharing the database.
_PG_LOCK_KEY = int.from_bytes(hashlib.sha256(b"extdesk-migrate").digest()[:8], "big") >> 1


def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


@contextmanager
def _migration_lock() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_PG_LOCK_KEY])
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK_KEY])
    else:
        # SQLite lives on this machine, so a lock file beside it serialises
        # every process that may open it.
        path = Path(str(connection.settings_dict["NAME"]) + ".migrate-lock")
        if str(connection.settings_dict["NAME"]).startswith(":memory:") or "mode=memory" in str(
            connection.settings_dict["NAME"]
        ):
            path = Path(settings.DATA_DIR) / "migrate-lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_schema() -> list[str]:
    """Apply pending migrations once per process; safe to race.

    Returns the migrations this call applied.
    """
    global _checked
    if _checked:
        return []
    with _thread_lock:
        if _checked:
            return []
        applied: list[str] = []
        if pending_migrations():
            with _migration_lock():
                # Another process may have migrated while we waited.
                applied = pending_migrations()
                if applied:
                    call_command("migrate", interactive=False, verbosity=0)
        _checked = True
        return applied
