"""Throttling addresses that keep failing the signature check.

After EXTDESK_AUTH_FAIL_LIMIT failures from one address within
EXTDESK_AUTH_FAIL_WINDOW seconds (counted from the first of them), every
request from that address is answered 429 until the window has passed; the
signature of a throttled request is not even looked at. The counter lives in
the database so that every worker and every server sharing it agree.

Cost: one primary-key SELECT per request; one upsert per failure.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from extdesk.periodic import Periodic
from extdesk.security.models import AuthFailureWindow
from extdesk.soap.exceptions import ClientFault

log = logging.getLogger("extdesk.soap")

_TABLE = AuthFailureWindow._meta.db_table
_SELECT = f"SELECT window_start, failures FROM {_TABLE} WHERE address = %s"
# A failure either opens a new window (the old one has passed) or counts in
# the current one; one statement, atomic in both databases.
_UPSERT = (
    f"INSERT INTO {_TABLE} (address, window_start, failures) VALUES (%s, %s, 1) "
    f"ON CONFLICT (address) DO UPDATE SET "
    f"failures = CASE WHEN {_TABLE}.window_start <= %s THEN 1 ELSE {_TABLE}.failures + 1 END, "
    f"window_start = CASE WHEN {_TABLE}.window_start <= %s THEN excluded.window_start "
    f"ELSE {_TABLE}.window_start END "
    f"RETURNING window_start, failures"
)
_PRUNE = f"DELETE FROM {_TABLE} WHERE window_start <= %s"
_PRUNE_EVERY_SECONDS = 60
_pruning = Periodic()


class TooManyFailures(ClientFault):
    """The address is throttled; ``retry_after`` seconds until it is not."""

    http_status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed authentications from this address; retry in {retry_after} s"
        )
        self.retry_after = retry_after


def check(address: str, now: float | None = None) -> None:
    """Raise TooManyFailures when ``address`` is throttled."""
    now = int(time.time() if now is None else now)
    window = settings.EXTDESK_AUTH_FAIL_WINDOW
    with connection.cursor() as cursor:
        cursor.execute(_SELECT, [address])
        row = cursor.fetchone()
    if row is None:
        return
    window_start, failures = row
    ends = window_start + window
    if failures >= settings.EXTDESK_AUTH_FAIL_LIMIT and now < ends:
        raise TooManyFailures(ends - now)


def record_failure(address: str, now: float | None = None) -> None:
    """Count one failed signature check from ``address``.

    Never raises: when the database cannot count, the request has been
    refused anyway, and throttling resumes with the database.
    """
    now = int(time.time() if now is None else now)
    expired = now - settings.EXTDESK_AUTH_FAIL_WINDOW
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_UPSERT, [address, now, expired, expired])
            _, failures = cursor.fetchone()
        _maybe_prune(expired)
    except DatabaseError as exc:
        log.warning("could not count a failed authentication from %s: %s", address,
                    type(exc).__name__)
        return
    if failures == settings.EXTDESK_AUTH_FAIL_LIMIT:
        log.warning("throttling %s for up to %d s after %d failed authentications", address,
                    settings.EXTDESK_AUTH_FAIL_WINDOW, failures)


def _maybe_prune(expired: int) -> None:
    if _pruning.due(_PRUNE_EVERY_SECONDS):
        with connection.cursor() as cursor:
            cursor.execute(_PRUNE, [expired])
