"""Throttling staff sign-in: a lockout after repeated failures.

Failures are counted per user name and per client address over a sliding
window, in the database, so that all worker processes share the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import LoginFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Lockout:
    """Sign-in is refused, without looking at the password, until ``until``."""

    until: datetime

    @property
    def seconds_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds()))

    @property
    def minutes_left(self) -> int:
        return math.ceil(self.seconds_left / 60)


def throttle_key(username: str) -> str:
    """The counter a user name counts against ("Admin" and "admin" share one)."""
    return username.strip().lower()[:150]


def _release_time(failures: QuerySet[LoginFailure], since: datetime) -> datetime | None:
    # With failures t1 < ... < tk in the window, fewer than MAX_FAILURES
    # remain once the MAX_FAILURES-th most recent one has left the window.
    nth_latest = (
        failures.filter(created_at__gt=since)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[MAX_FAILURES - 1 : MAX_FAILURES]
    )
    found = list(nth_latest)
    return found[0] + WINDOW if found else None


def lockout_for(username: str, address: str) -> Lockout | None:
    """The lockout in force for this user name or this address, if any."""
    since = timezone.now() - WINDOW
    ends = [
        end
        for end in (
            _release_time(LoginFailure.objects.filter(username=throttle_key(username)), since),
            _release_time(LoginFailure.objects.filter(address=address), since),
        )
        if end is not None
    ]
    return Lockout(until=max(ends)) if ends else None


def record_failure(username: str, address: str) -> None:
    now = timezone.now()
    LoginFailure.objects.create(username=throttle_key(username), address=address, created_at=now)
    # Failures that left the window decide nothing any more.
    LoginFailure.objects.filter(created_at__lte=now - WINDOW).delete()


def clear_failures(username: str) -> None:
    """Forget the failures of a user name after its owner signed in."""
    LoginFailure.objects.filter(username=throttle_key(username)).delete()
