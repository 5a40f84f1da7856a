"""Taking, keeping and giving back a duty's turn (its DutyLease row). Each is one UPDATE."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from .models import DutyLease

MAX_OUTCOME = 500


def holder_name() -> str:
    """This worker, as its claims name it: host, process id and a random tag (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[:200]


def ensure_leases(names: Iterable[str], now: datetime | None = None) -> None:
    """A lease row for each duty that has none yet, due at once; rows that exist are left alone."""
    now = now or timezone.now()
    DutyLease.objects.bulk_create([DutyLease(name=name, due_at=now) for name in names], ignore_conflicts=True)


def claim(name: str, holder: str, *, lease: timedelta, only_when_due: bool = True,
          now: datetime | None = None) -> bool:
    """Take the duty's turn for ``holder`` until ``lease`` from now; False when it is not due yet
    (``only_when_due``) or another worker holds a claim that has not lapsed.

    One conditional UPDATE: of two workers asking at once the database lets one change the row,
    and the other's condition no longer holds when it is its turn.
    """
    now = now or timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    rows = DutyLease.objects.filter(free, name=name)
    if only_when_due:
        rows = rows.filter(due_at__lte=now)
    return rows.update(claimed_by=holder, claimed_until=now + lease, last_started_at=now) == 1


def renew(name: str, holder: str, *, lease: timedelta) -> bool:
    """Extend ``holder``'s claim (a long run keeps it); False when the claim was lost meanwhile."""
    return DutyLease.objects.filter(name=name, claimed_by=holder).update(
        claimed_until=timezone.now() + lease) == 1


def release(name: str, holder: str, *, every: timedelta, outcome: str, failed: bool) -> bool:
    """Give the turn back, the duty next due ``every`` from now, with the run's outcome in one line."""
    now = timezone.now()
    return DutyLease.objects.filter(name=name, claimed_by=holder).update(
        claimed_by="", claimed_until=None, due_at=now + every, last_finished_at=now,
        last_outcome=outcome[:MAX_OUTCOME], last_failed=failed) == 1


def next_chance(name: str) -> datetime | None:
    """When the duty may next be claimed: its due time, or the end of a claim in force if later."""
    row = DutyLease.objects.filter(name=name).values("due_at", "claimed_until").first()
    if row is None:
        return None
    return max(moment for moment in (row["due_at"], row["claimed_until"]) if moment is not None)
