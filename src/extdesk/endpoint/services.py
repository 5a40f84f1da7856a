"""Writes of the SOAP endpoint: nonce bookkeeping.

A signed call that changes nothing (greet, list_contacts) commits its nonce
and its audit entry in one transaction after it ran. That commit is most of
such a call's own cost, and Django's ``atomic()`` and cursor wrapper
double it (docs/performance.md, "Before and after"), so outside a caller's
transaction it runs on the database driver's connection
(``_commit_on_driver``); inside one (a management command, a test) it is a
savepoint through Django (``_commit_through_django``), the plain version,
which tests/endpoint/test_nonce_commit.py checks the fast one against.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache

from django.db import IntegrityError, connection, transaction

from extdesk.periodic import Periodic

from .models import UsedNonce

Execute = Callable[[str, list], object]

_INSERT = f"INSERT INTO {UsedNonce._meta.db_table} (nonce, expires_at) VALUES (%s, %s)"
_PRUNE_EVERY_SECONDS = 30
_pruning = Periodic()


def consume_nonce(nonce: str, timestamp: int, window: int) -> bool:
    """Record ``nonce``; False when it was already used (a replay).

    Committed on its own (a savepoint inside a caller's transaction): the
    unique key turns the INSERT into a replay check for every worker and
    server, and a refused duplicate leaves the caller's transaction intact.
    """
    return consume_nonce_with(nonce, timestamp, window, lambda execute: None)


def consume_nonce_with(nonce: str, timestamp: int, window: int, then: Callable[[Execute], None]) -> bool:
    """Record ``nonce`` and run ``then(execute)`` in the same transaction: one commit.

    False, with nothing written, when the nonce was already used. For calls
    that changed nothing (their nonce is checked after they ran, see
    calls._handle), ``then`` writes their audit entry through ``execute``;
    an error in it undoes the nonce too.
    """
    _maybe_prune(window)
    commit = _commit_through_django if connection.in_atomic_block else _commit_on_driver
    try:
        with commit() as execute:
            execute(_INSERT, [nonce, timestamp + window])
            then(execute)
    except IntegrityError:
        return False
    return True


@contextmanager
def _commit_through_django() -> Iterator[Execute]:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_RELAXED_DURABILITY)
        yield cursor.execute


# Not waiting for the WAL flush saves a disk sync per call and costs no replay
# safety: the WAL is flushed in order, so the synchronous commit of the call's
# own writes (or of a later call's) makes this nonce durable before anything
# depends on it. A crash of the database server may lose only the nonces and
# audit entries of the last fraction of a second.
_RELAXED_DURABILITY = "SET LOCAL synchronous_commit TO OFF"


@lru_cache(maxsize=32)
def _qmark(sql: str) -> str:
    # The sqlite3 driver's placeholders; the statements here hold no literal %.
    return sql.replace("%s", "?")


@contextmanager
def _commit_on_driver() -> Iterator[Execute]:
    # What Django's cursor() does first: the health check it armed for this
    # request, and the connection itself; then its error translation.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    sqlite = connection.vendor == "sqlite"
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            # Without parameters PostgreSQL takes both statements in one round trip.
            cursor.execute("BEGIN IMMEDIATE" if sqlite else f"BEGIN; {_RELAXED_DURABILITY}")

            def execute(sql: str, params: list) -> object:
                return cursor.execute(_qmark(sql) if sqlite else sql, params)

            try:
                yield execute
                cursor.execute("COMMIT")
            except BaseException:
                # SQLite keeps a transaction open after a failed COMMIT; on a
                # broken connection this fails too, and Django discards it.
                with suppress(Exception):
                    cursor.execute("ROLLBACK")
                raise
        finally:
            cursor.close()


def prune_nonces(now: float | None = None) -> int:
    """Delete nonces whose requests would fail the clock check anyway."""
    now = time.time() if now is None else now
    deleted, _ = UsedNonce.objects.filter(expires_at__lt=int(now)).delete()
    return deleted


def _maybe_prune(window: int) -> None:
    if _pruning.due(min(_PRUNE_EVERY_SECONDS, window)):
        prune_nonces()
