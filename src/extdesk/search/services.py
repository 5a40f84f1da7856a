"""Writes of the search index: its full rebuild (the triggers keep it current otherwise)."""

from __future__ import annotations

from django.db import connection, transaction

from . import schema


def rebuild_index() -> None:
    """Index every ticket anew from the tickets and messages tables, in one transaction.

    For after a bulk load that went around the triggers, or to check them: set-based SQL
    (INSERT ... SELECT), so a million messages take minutes, not hours. Searches, and writes
    of tickets and messages, wait until it commits.
    """
    statements = schema.PG_REBUILD if connection.vendor == "postgresql" else schema.SQLITE_REBUILD
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
