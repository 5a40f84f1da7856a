"""Writes of the SOAP endpoint: nonce bookkeeping."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction

from extdesk.periodic import Periodic

from .models import UsedNonce

_TABLE = UsedNonce._meta.db_table
_INSERT = f"INSERT INTO {_TABLE} (nonce, expires_at) VALUES (%s, %s)"
_PRUNE_EVERY_SECONDS = 30
_pruning = Periodic()


def consume_nonce(nonce: str, timestamp: int, window: int) -> bool:
    """Record ``nonce``; False when it was already used (a replay)."""
    _maybe_prune(window)
    try:
        # One INSERT, committed on its own: the cheapest write that the
        # unique key turns into a replay check for all workers. Inside a
        # caller's transaction it needs a savepoint, so that a refused
        # duplicate does not break that transaction.
        if connection.vendor == "postgresql":
            # Not waiting for the WAL flush saves a disk sync per call, and
            # costs no replay safety: the WAL is flushed in order, so the
            # synchronous commit of the call's own writes, or else of its
            # audit entry, makes this nonce durable before the answer leaves.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
                cursor.execute(_INSERT, [nonce, timestamp + window])
        elif connection.in_atomic_block:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_INSERT, [nonce, timestamp + window])
        else:
            with connection.cursor() as cursor:
                cursor.execute(_INSERT, [nonce, timestamp + window])
    except IntegrityError:
        return False
    return True


Statement = tuple[str, Sequence[Any]]


def consume_nonce_with(nonce: str, timestamp: int, window: int, statement: Statement) -> bool:
    """Record ``nonce`` and run ``statement`` in the same transaction: one commit.

    False, with nothing written, when the nonce was already used. For calls
    that changed nothing (their nonce is checked after they ran, see
    calls._handle); ``statement`` is their audit entry.
    """
    _maybe_prune(window)
    try:
        with _one_commit() as execute:
            execute(_INSERT, [nonce, timestamp + window])
            execute(*statement)
    except IntegrityError:
        return False
    return True


@contextmanager
def _one_commit() -> Iterator[Callable[[str, Sequence[Any]], object]]:
    """A write transaction for a few statements of this module; yields ``execute``.

    Every signed call that changes nothing commits one of these, so it runs
    on the driver's own connection: Django's atomic() and cursor wrapper
    cost twice the statements and the commit together. Inside a caller's
    transaction (a management command, a test) it is a savepoint instead.
    """
    if connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            yield cursor.execute
        return
    database = connections[DEFAULT_DB_ALIAS]
    # What Django's cursor() does first: the health check it armed for this
    # request, and the connection itself.
    database.close_if_health_check_failed()
    database.ensure_connection()
    sqlite = database.vendor == "sqlite"
    with _sqlite_writers_queue(), database.wrap_database_errors:
        cursor = database.connection.cursor()
        try:
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            else:
                # Not waiting for the WAL flush is safe here: neither row
                # guards anything a crash could make unsafe. The call read
                # data only, so replaying it after a crash that lost its
                # nonce changes nothing and tells the replayer what the
                # captured answer told already. What a crash of the database
                # server may lose is the audit entries of reads answered in
                # the last fraction of a second. Without parameters, both
                # statements go in one round trip.
                cursor.execute("BEGIN; SET LOCAL synchronous_commit TO OFF")

            def execute(sql: str, params: Sequence[Any]) -> object:
                return cursor.execute(sql.replace("%s", "?") if sqlite else sql, params)

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


_queue_file: int | None = None


def _sqlite_writers_queue() -> AbstractContextManager[None]:
    """On SQLite, wait for the other workers' call commits on a file lock.

    SQLite's own busy handler polls, sleeping 1, 2, 5, 10 ms and longer
    between tries, so two workers committing at once cost one of them
    milliseconds; a lock beside the database file wakes the waiter when the
    other commit is done. Anything else still writing waits in SQLite's
    busy handler as before: the lock only orders these commits.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return nullcontext()
    name = str(connection.settings_dict["NAME"])
    if name.startswith(":memory:") or "mode=memory" in name:
        return nullcontext()
    return _locked(name + ".write-queue")


@contextmanager
def _locked(path: str) -> Iterator[None]:
    global _queue_file
    if _queue_file is None:
        _queue_file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(_queue_file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(_queue_file, fcntl.LOCK_UN)


def prune_nonces(now: float | None = None) -> int:
    """Delete nonces whose requests would fail the clock check anyway."""
    now = time.time() if now is None else now
    deleted, _ = UsedNonce.objects.filter(expires_at__lt=int(now)).delete()
    return deleted


def _maybe_prune(window: int) -> None:
    if _pruning.due(min(_PRUNE_EVERY_SECONDS, window)):
        prune_nonces()
