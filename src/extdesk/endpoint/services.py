"""Writes of the SOAP endpoint: nonce bookkeeping."""

from __future__ import annotations

import time

from django.db import IntegrityError, connection, transaction

from .models import UsedNonce

_TABLE = UsedNonce._meta.db_table
_INSERT = f"INSERT INTO {_TABLE} (nonce, expires_at) VALUES (%s, %s)"
_PRUNE_EVERY_SECONDS = 30
_last_prune = 0.0


def consume_nonce(nonce: str, timestamp: int, window: int) -> bool:
    """Record ``nonce``; False when it was already used (a replay)."""
    _maybe_prune(window)
    try:
        # One INSERT, committed on its own: the cheapest write that the
        # unique key turns into a replay check for all workers. Inside a
        # caller's transaction it needs a savepoint, so that a refused
        # duplicate does not break that transaction.
        if connection.vendor == "postgresql":
            # Not waiting for the WAL flush saves a disk sync per call. A
            # crash may forget the nonces of the last fraction of a second,
            # the same durability as SQLite's WAL with synchronous=NORMAL.
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


def prune_nonces(now: float | None = None) -> int:
    """Delete nonces whose requests would fail the clock check anyway."""
    now = time.time() if now is None else now
    deleted, _ = UsedNonce.objects.filter(expires_at__lt=int(now)).delete()
    return deleted


def _maybe_prune(window: int) -> None:
    global _last_prune
    now = time.monotonic()
    if now - _last_prune >= min(_PRUNE_EVERY_SECONDS, window):
        _last_prune = now
        prune_nonces()
