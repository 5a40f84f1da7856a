"""The SLA's periodic duties, run by ``extdesk worker``: escalations and the closing of resolved tickets.

Both are safe to run in several processes (on several hosts) at once:
each ticket is claimed in the database in a short transaction of its own,
so every escalation step is mailed once and every ticket closed once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from extdesk.helpdesk import notifications
from extdesk.helpdesk import services as helpdesk
from extdesk.helpdesk.models import Status, Ticket

from . import selectors
from .services import claim_escalation

BATCH = 200


def _ids_in_batches(tickets: QuerySet[Ticket]) -> Iterator[int]:
    """The ids of ``tickets``, read a batch at a time in id order (each batch a fresh query)."""
    last_id = 0
    while True:
        batch = list(tickets.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:BATCH])
        yield from batch
        if len(batch) < BATCH:
            return
        last_id = batch[-1]


def escalate(now: datetime | None = None) -> int:
    """Notify every escalation step fallen due by ``now`` (default: now); the number of notifications.

    A ticket past 80 % of its pending target tells its assignee (nobody
    assigned: the desk users who want escalations of unassigned tickets;
    helpdesk.selectors.staff_mail_recipients) once; past the target once
    more, and the breach is marked. A step nobody wanted is still claimed and
    counted: it is not sent later. A worker that was down and finds both passed sends the
    breach alone.
    """
    now = now or timezone.now()
    sent = 0
    for ticket_id in _ids_in_batches(Ticket.objects.filter(next_escalation_at__lte=now)):
        with transaction.atomic():
            claimed = claim_escalation(ticket_id, now)
            if claimed is not None:
                ticket, target, step = claimed
                notifications.escalated(ticket.pk, target, step, zone=selectors.current().calendar.zone)
                sent += 1
    return sent


def auto_close(now: datetime | None = None) -> int:
    """Close the tickets resolved more than EXTDESK_AUTO_CLOSE_DAYS days before ``now``; how many.

    0 days: never. Each ticket in its own transaction, its customer told and
    its history saying why (extdesk.helpdesk.services.close_unanswered).
    """
    days = settings.EXTDESK_AUTO_CLOSE_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    resolved = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff)
    return sum(helpdesk.close_unanswered(ticket_id, resolved_before=cutoff, days=days)
               for ticket_id in _ids_in_batches(resolved))
