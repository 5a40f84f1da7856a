"""Writes of the SOAP endpoint: nonce bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import IntegrityError, connection, transaction

from extdesk.periodic import Periodic

from .models import UsedNonce

_INSERT = f"INSERT INTO {UsedNonce._meta.db_table} (nonce, expires_at) VALUES (%s, %s)"
_PRUNE_EVERY_SECONDS = 30
_pruning = Periodic()


def consume_nonce(nonce: str, timestamp: int, window: int) -> bool:
    """Record ``nonce``; False when it was already used (a replay).

    Committed on its own (a savepoint inside a caller's transaction): the
    unique key turns the INSERT into a replay check for every worker and
    server, and a refused duplicate leaves the caller's transaction intact.
    """
    return consume_nonce_with(nonce, timestamp, window, lambda: None)


def consume_nonce_with(nonce: str, timestamp: int, window: int, then: Callable[[], None]) -> bool:
    """Record ``nonce`` and run ``then`` in the same transaction: one commit.

    False, with nothing written, when the nonce was already used. For calls
    that changed nothing (their nonce is checked after they ran, see
    calls._handle), ``then`` writes their audit entry; an error in it
    undoes the nonce too.
    """
    _maybe_prune(window)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Not waiting for the WAL flush saves a disk sync per call and
                # costs no replay safety: the WAL is flushed in order, so the
                # synchronous commit of the call's own writes (or of a later
                # call's) makes this nonce durable before anything depends on
                # it. A crash of the database server may lose only the nonces
                # and audit entries of the last fraction of a second.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(_INSERT, [nonce, timestamp + window])
            then()
    except IntegrityError:
        return False
    return True


def prune_nonces(now: float | None = None) -> int:
    """Delete nonces whose requests would fail the clock check anyway."""
    now = time.time() if now is None else now
    deleted, _ = UsedNonce.objects.filter(expires_at__lt=int(now)).delete()
    return deleted


def _maybe_prune(window: int) -> None:
    if _pruning.due(min(_PRUNE_EVERY_SECONDS, window)):
        prune_nonces()
