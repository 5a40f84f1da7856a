"""Throttling staff sign-in, per (user name, address) and per address.

Failures are counted in the database, so that all worker processes share
the count, and counted per user name *and* the address they came from: an
attacker elsewhere gets the same account locked for his own address only,
never for its owner's. A user name and address pair has MAX_FAILURES free
failures; from then on each failure locks the pair for longer (WINDOW, then
twice that, and so on up to MAX_DELAY). One address also gets at most
ADDRESS_MAX_FAILURES failures in WINDOW, whatever names it tries.

The attempt is written before the password is checked, in a transaction
of its own, and the lockout is then decided from every other attempt in
the database, finished or not. Of any number of parallel guesses the k-th
to commit sees at least k - 1 others, so no more than the limit ever get
their password checked.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from extdesk.periodic import Periodic

from .models import LoginFailure

# Failures of one user name from one address before it is locked.
MAX_FAILURES = 5
# The first lockout of a pair, and the window of the per-address limit.
WINDOW = timedelta(minutes=15)
MAX_DELAY = timedelta(hours=24)
# A pair's failures are forgotten this long after they happened.
PAIR_MEMORY = timedelta(hours=24)
ADDRESS_MAX_FAILURES = 20
_PRUNE_EVERY_SECONDS = 60
_pruning = Periodic()


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


@dataclass(frozen=True)
class Attempt:
    """A sign-in let through to the password check; its row counts as a
    failure until ``succeeded`` clears it."""

    pk: int
    username: str
    address: str


def throttle_key(username: str) -> str:
    """The counter a user name counts against.

    "Admin", "ADMIN", " admin " and "ad min" share one: a name that only
    differs in case, width or spaces must not buy another round of guesses.
    """
    folded = unicodedata.normalize("NFKC", username).casefold()
    return "".join(folded.split())[:150]


def pair_delay(failures: int) -> timedelta:
    """How long a pair with ``failures`` (at least MAX_FAILURES) waits after its latest one."""
    doublings = min(failures - MAX_FAILURES, 16)  # 2**16 windows is far beyond MAX_DELAY
    return min(WINDOW * 2**doublings, MAX_DELAY)


def _pair_release(others: QuerySet[LoginFailure], now: datetime) -> datetime | None:
    found = others.filter(created_at__gt=now - PAIR_MEMORY).aggregate(
        failures=Count("id"), latest=Max("created_at"))
    if found["failures"] < MAX_FAILURES:
        return None
    until = found["latest"] + pair_delay(found["failures"])
    return until if until > now else None


def _address_release(others: QuerySet[LoginFailure], now: datetime) -> datetime | None:
    # With failures t1 < ... < tk in the window, fewer than the limit remain
    # once the limit-th most recent one has left it.
    nth_latest = list(
        others.filter(created_at__gt=now - WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[ADDRESS_MAX_FAILURES - 1 : ADDRESS_MAX_FAILURES]
    )
    return nth_latest[0] + WINDOW if nth_latest else None


def _lockout(key: str, address: str, now: datetime, exclude: int | None = None) -> Lockout | None:
    others = LoginFailure.objects.exclude(pk=exclude) if exclude is not None else LoginFailure.objects
    ends = [
        end
        for end in (
            _pair_release(others.filter(username=key, address=address), now),
            _address_release(others.filter(address=address), now),
        )
        if end is not None
    ]
    return Lockout(until=max(ends)) if ends else None


def lockout_for(username: str, address: str) -> Lockout | None:
    """The lockout in force for this user name from this address, if any."""
    return _lockout(throttle_key(username), address, timezone.now())


def begin(username: str, address: str) -> Attempt | Lockout:
    """Record a sign-in attempt; the Lockout in force instead when there is one.

    The row is committed before anything is counted (a durable transaction:
    never a savepoint inside somebody else's), so that parallel attempts see
    each other. A refused attempt's row is deleted again: it checked no
    password, and retrying while locked does not lengthen the lockout.
    """
    key = throttle_key(username)
    now = timezone.now()
    with transaction.atomic(durable=True):
        row = LoginFailure.objects.create(username=key, address=address, created_at=now)
    lockout = _lockout(key, address, now, exclude=row.pk)
    if lockout is not None:
        LoginFailure.objects.filter(pk=row.pk).delete()
        return lockout
    _maybe_prune(now)
    return Attempt(row.pk, key, address)


def succeeded(attempt: Attempt) -> None:
    """The password was right: forget this user name's failures from this address."""
    LoginFailure.objects.filter(username=attempt.username, address=attempt.address).delete()


def _maybe_prune(now: datetime) -> None:
    # Failures older than anything decides on are deleted now and then,
    # not on every attempt.
    if _pruning.due(_PRUNE_EVERY_SECONDS):
        LoginFailure.objects.filter(created_at__lte=now - max(PAIR_MEMORY, WINDOW)).delete()
