"""Writing the audit log: one INSERT per event, pruning now and then."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection

from extdesk.periodic import Periodic

from .models import AuditEntry

log = logging.getLogger("extdesk.audit")

_TABLE = AuditEntry._meta.db_table
_INSERT = (
    f"INSERT INTO {_TABLE} (at, kind, address, operation, outcome, status, records, person) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
_ARRAY_TYPE = re.compile(rb'arrayType="[^"\[]*\[([0-9]+)\]"')
_PRUNE_EVERY_SECONDS = 3600
_pruning = Periodic()


def record_soap_call(address: str, operation: str, records: int, status: int, body: bytes) -> None:
    """Log one answered SOAP call; ``body`` is the answer (read for faults only)."""
    _insert(AuditEntry.Kind.SOAP, address, operation, _outcome(status, body), status, records, None)


def soap_call_insert(address: str, operation: str, records: int, status: int,
                     body: bytes) -> tuple[str, list]:
    """The INSERT (SQL, parameters) of record_soap_call's entry, for a caller
    that runs it in its own transaction, which must fail whole rather than
    commit without it; that caller then calls ``maybe_prune()``."""
    return _INSERT, _row(AuditEntry.Kind.SOAP, address, operation, _outcome(status, body), status,
                         records, None)


def _outcome(status: int, body: bytes) -> str:
    if status == 200:
        return "ok"
    if b"<faultcode>soap:Client</faultcode>" in body[:4096]:
        return "client fault"
    return "server fault"


def record_login(address: str, person: int | None, landing: str, outcome: str, status: int) -> None:
    """Log one login through the platform's one-time URL, accepted or refused.

    ``landing`` is the page it leads to; ``outcome`` is "ok" or "refused":
    never the token.
    """
    _insert(AuditEntry.Kind.LOGIN, address, landing, outcome, status, 0, person)


def records_in_call(params: list) -> int:
    """How many records a call carries: the items of its array parameter."""
    for _, value in params:
        if isinstance(value, list):
            return len(value)
        if isinstance(value, dict) and value:
            return 1
    return 0


def records_in_response(body: bytes) -> int:
    """How many items an array response holds, read from its arrayType."""
    match = _ARRAY_TYPE.search(body, 0, 2048)
    return int(match[1]) if match else 0


def prune(now: datetime | None = None) -> int:
    """Delete entries older than EXTDESK_AUDIT_RETENTION_DAYS; return how many."""
    now = datetime.now(UTC) if now is None else now
    cutoff = now - timedelta(days=settings.EXTDESK_AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted


def _insert(kind: str, address: str, operation: str, outcome: str, status: int, records: int,
            person: int | None) -> None:
    # Auditing never turns an answered request into an error: when the
    # database is down the request has failed already, and says so itself.
    try:
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, _row(kind, address, operation, outcome, status, records, person))
        maybe_prune()
    except DatabaseError as exc:
        log.warning("could not write the audit entry for %s %s from %s: %s", kind, operation,
                    address, type(exc).__name__)


def _row(kind: str, address: str, operation: str, outcome: str, status: int, records: int,
         person: int | None) -> list:
    return [connection.ops.adapt_datetimefield_value(datetime.now(UTC)), kind, address[:64],
            operation[:64], outcome[:64], status, records, person]


def maybe_prune() -> None:
    """Prune old entries, at most once an hour per process."""
    if _pruning.due(_PRUNE_EVERY_SECONDS):
        prune()
