"""Writing the audit log: one INSERT per event, pruning now and then.

Refused requests are the exception: they cost an attacker nothing, so they
are counted, one row per kind, address, status and window of
REFUSED_WINDOW_SECONDS, each refusal an upsert on that row. Throttled
requests (429) are not written at all. Besides its age limit
(EXTDESK_AUDIT_RETENTION_DAYS) the table has a size cap
(EXTDESK_AUDIT_MAX_ROWS): the oldest entries go first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection

from extdesk.periodic import Periodic

from .models import AuditEntry

log = logging.getLogger("extdesk.audit")

_TABLE = AuditEntry._meta.db_table
# One event: ``count`` takes its database default, 1, and the statement
# stays what the SOAP endpoint's fast commit was measured with.
_INSERT = (
    f"INSERT INTO {_TABLE} (at, kind, address, operation, outcome, status, records, person) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
# The refusals of one window share a row, keyed as the partial unique
# constraint audit_refused_window_key says; RETURNING tells a new row (1)
# from a counted one.
_UPSERT_REFUSED = (
    f"INSERT INTO {_TABLE} (at, kind, address, operation, outcome, status, records, person, "
    "count, window_start, last_at) VALUES (%s, %s, %s, '', %s, %s, 0, NULL, 1, %s, %s) "
    "ON CONFLICT (kind, address, status, window_start) WHERE window_start IS NOT NULL "
    f"DO UPDATE SET count = {_TABLE}.count + 1, last_at = excluded.last_at "
    "RETURNING count"
)
_ID_RANGE = f"SELECT MIN(id), MAX(id) FROM {_TABLE}"
_DELETE_UP_TO = f"DELETE FROM {_TABLE} WHERE id <= %s"
REFUSED_WINDOW_SECONDS = 60
_PRUNE_EVERY_SECONDS = 3600
_pruning = Periodic()
# New rows this process wrote since it last checked the size cap.
_new_rows = 0


def record_soap_call(address: str, operation: str, records: int, status: int, outcome: str) -> None:
    """Log one answered SOAP call; ``outcome`` is "ok", "client fault" or "server fault".

    Never raises: auditing never turns an answered call into an error.
    """
    _insert(AuditEntry.Kind.SOAP, address, operation, outcome, status, records, None)


def write_soap_call(address: str, operation: str, records: int, status: int, outcome: str,
                    execute: Callable[[str, list], object]) -> None:
    """Write one answered SOAP call's entry through ``execute``, which runs the
    INSERT in the caller's transaction and raises on a database error: for a
    caller whose transaction must fail whole rather than commit without it
    (that caller then calls ``maybe_prune()``)."""
    execute(_INSERT, _row(AuditEntry.Kind.SOAP, address, operation, outcome, status, records, None))


def record_refused_soap_call(address: str, status: int, outcome: str, now: float | None = None) -> None:
    """Count one refused SOAP request (its signature failed, or was never
    checked): in the row of its address, status and window."""
    record_refused(AuditEntry.Kind.SOAP, address, outcome, status, now)


def record_login(address: str, person: int | None, landing: str, outcome: str, status: int) -> None:
    """Log one login through the platform's one-time URL, accepted or refused.

    ``landing`` is the page it leads to; ``outcome`` is "ok" or "refused":
    never the token. Refused ones are counted (record_refused), not written
    one by one: anyone can visit /sso/<anything>.
    """
    if outcome == "ok":
        _insert(AuditEntry.Kind.LOGIN, address, landing, outcome, status, 0, person)
    else:
        record_refused(AuditEntry.Kind.LOGIN, address, outcome, status)


def record_refused(kind: str, address: str, outcome: str, status: int, now: float | None = None) -> None:
    """Count one refused request in the row of its kind, address, status and window.

    The first refusal of a window creates the row (``at`` its time), each
    further one adds to ``count`` and moves ``last_at``: one atomic
    statement, so parallel refusals from one address all count in one row.
    """
    now = time.time() if now is None else now
    window_start = int(now) // REFUSED_WINDOW_SECONDS * REFUSED_WINDOW_SECONDS
    at = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(now, UTC))
    try:
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT_REFUSED, [at, kind, address[:64], outcome[:64], status, window_start, at])
            (count,) = cursor.fetchone()
    except DatabaseError as exc:
        log.warning("could not count a refused %s request from %s: %s", kind, address,
                    type(exc).__name__)
        return
    if count == 1:
        maybe_prune()


def records_in_call(params: list) -> int:
    """How many records a call carries: the items of its array parameter."""
    for _, value in params:
        if isinstance(value, list):
            return len(value)
        if isinstance(value, dict) and value:
            return 1
    return 0


def prune(now: datetime | None = None) -> int:
    """Delete entries older than EXTDESK_AUDIT_RETENTION_DAYS, then the
    oldest beyond EXTDESK_AUDIT_MAX_ROWS; return how many."""
    now = datetime.now(UTC) if now is None else now
    cutoff = now - timedelta(days=settings.EXTDESK_AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEntry.objects.filter(at__lt=cutoff).delete()
    return deleted + enforce_cap()


def enforce_cap(max_rows: int | None = None) -> int:
    """Delete the oldest entries beyond ``max_rows`` (EXTDESK_AUDIT_MAX_ROWS); return how many.

    By id, which grows with every entry: all but the newest ``max_rows`` ids
    go. Two index lookups when nothing is to go, instead of counting the
    table. Ids skipped by rolled-back inserts make it keep a few rows
    fewer, never more.
    """
    max_rows = settings.EXTDESK_AUDIT_MAX_ROWS if max_rows is None else max_rows
    with connection.cursor() as cursor:
        cursor.execute(_ID_RANGE)
        low, high = cursor.fetchone()
        if low is None or high - low < max_rows:
            return 0
        cursor.execute(_DELETE_UP_TO, [high - max_rows])
        return cursor.rowcount


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
    """Called after each new entry: keep the table within its size cap, and
    prune old entries at most once an hour per process.

    The cap is checked every ``_cap_check_interval`` new rows of this
    process, so that a successful call pays nothing for it but now and then
    a read of the id range: each process may overshoot the cap by that
    many rows (at most 100, 0.01% of the default). Never raises: the call
    being audited has been answered already.
    """
    global _new_rows
    _new_rows += 1
    try:
        # prune() ends with the cap's check: a due prune is the check too.
        if _pruning.due(_PRUNE_EVERY_SECONDS):
            _new_rows = 0
            prune()
        elif _new_rows >= _cap_check_interval(settings.EXTDESK_AUDIT_MAX_ROWS):
            _new_rows = 0
            enforce_cap()
    except DatabaseError as exc:
        log.warning("could not prune the audit log: %s", type(exc).__name__)


def _cap_check_interval(max_rows: int) -> int:
    return max(1, min(100, max_rows // 10_000))
