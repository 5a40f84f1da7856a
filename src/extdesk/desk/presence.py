"""Who else has a ticket open on the desk, and whether they are writing in its reply box.

An open ticket page says so when it is drawn, then every POLL_SECONDS from
its script (desk.js), which sends "replying" while the reply box holds a
draft; a tab that closes says goodbye (``leave``). A row not renewed within
HORIZON is stale and shown to nobody, so a tab that closed without a word
(a crash, a lost connection) disappears within HORIZON too; a page without
JavaScript counts as viewing for HORIZON after it was drawn.

Writes here are not ticket writes: they raise no version and leave no history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from extdesk.helpdesk.staff import display_name
from extdesk.periodic import Periodic

from .models import Presence

POLL_SECONDS = 10
# Three polls missed: a background tab, which browsers poll less often, still counts.
HORIZON = timedelta(seconds=35)
PRUNE_EVERY_SECONDS = 300
VIEWING, REPLYING = Presence.Activity.VIEWING, Presence.Activity.REPLYING

_prune = Periodic()


@dataclass(frozen=True)
class Present:
    """A colleague on the ticket, named as the desk names staff."""

    name: str
    activity: str

    @property
    def text(self) -> str:
        """What the ticket page says of them, in the reader's language (the poll's answer carries it)."""
        if self.activity == REPLYING:
            return _("%(name)s is replying") % {"name": self.name}
        return _("%(name)s is viewing") % {"name": self.name}


# ---------------------------------------------------------------- writes


def touch(ticket_id: int, user: User, activity: str = VIEWING) -> None:
    """``user`` has ticket ``ticket_id`` open now, viewing it or replying.

    Every poll but a tab's first finds its row: one UPDATE, its own
    transaction. The first inserts it; when another tab of the same agent
    inserted it at the same moment, that row is renewed instead.
    """
    if activity not in Presence.Activity.values:
        raise ValueError(f"unknown activity {activity!r}")
    now = timezone.now()
    mine = Presence.objects.filter(ticket_id=ticket_id, user=user)
    if mine.update(activity=activity, seen_at=now):
        return
    try:
        with transaction.atomic():
            Presence.objects.create(ticket_id=ticket_id, user=user, activity=activity, seen_at=now)
    except IntegrityError:
        mine.update(activity=activity, seen_at=now)


def leave(ticket_id: int, user: User) -> None:
    """``user`` closed the ticket's page (or moved on from it). One statement."""
    Presence.objects.filter(ticket_id=ticket_id, user=user).delete()


def prune_stale() -> int:
    """Delete every stale row (closed tabs that never said goodbye); how many went."""
    deleted, _by_model = Presence.objects.filter(seen_at__lt=timezone.now() - HORIZON).delete()
    return deleted


def prune_now_and_then() -> None:
    """prune_stale, at most once per PRUNE_EVERY_SECONDS in this process (stale rows are never shown:
    this only keeps the table small)."""
    if _prune.due(PRUNE_EVERY_SECONDS):
        prune_stale()


# ---------------------------------------------------------------- reads


def others_on(ticket_id: int, user: User) -> list[Present]:
    """The colleagues who have the ticket open now, ``user`` left out: those replying first. One query."""
    rows = (
        Presence.objects.filter(ticket_id=ticket_id, seen_at__gte=timezone.now() - HORIZON)
        .exclude(user=user).select_related("user__staff_profile")
    )
    present = [Present(name=display_name(row.user), activity=row.activity) for row in rows]
    return sorted(present, key=lambda p: (p.activity != REPLYING, p.name.casefold()))
