"""Writing ratings: the resolutions they are about, and the customers' answers, throttled per address.

A resolution is recorded when a ticket enters resolved or closed (from
helpdesk's ``ticket_written`` signal, connected in RatingsConfig.ready), or
a moment before, when the resolved mail is written in the same transaction
(``resolved_mail_lines``): that mail's links must name it. It ends when the
ticket is reopened. A rating is given for the resolution in force, within
RATING_WINDOW of it; a second answer replaces the first.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from extdesk.contacts.models import Contact
from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import CLOSED_STATUSES, OPEN_STATUSES, Message, Ticket
from extdesk.helpdesk.selectors import visible_to_contact
from extdesk.periodic import Periodic

from . import links, selectors
from .exceptions import RatingRefused, Throttled
from .models import Choice, Rating, Resolution, SubmissionWindow

log = logging.getLogger("extdesk.ratings")

MAX_COMMENT_LENGTH = 1000
# Submissions one address may make in THROTTLE_WINDOW seconds: far more than one customer rates, far too
# few to stuff the figures.
THROTTLE_LIMIT = 20
THROTTLE_WINDOW = 3600

_TABLE = SubmissionWindow._meta.db_table
# A submission opens a new window (the old one has passed) or counts in the current one; one statement.
_UPSERT = (
    f"INSERT INTO {_TABLE} (address, window_start, submissions) VALUES (%s, %s, 1) "
    f"ON CONFLICT (address) DO UPDATE SET "
    f"submissions = CASE WHEN {_TABLE}.window_start <= %s THEN 1 ELSE {_TABLE}.submissions + 1 END, "
    f"window_start = CASE WHEN {_TABLE}.window_start <= %s THEN excluded.window_start "
    f"ELSE {_TABLE}.window_start END "
    f"RETURNING window_start, submissions"
)
_PRUNE_EVERY_SECONDS = 60
_pruning = Periodic()


# ---------------------------------------------------------------- resolutions


def _credited_agent_id(ticket: Ticket) -> int | None:
    """The assignee; nobody assigned: the staff member who wrote the latest public reply."""
    if ticket.assignee_id is not None:
        return ticket.assignee_id
    return (Message.objects.filter(ticket_id=ticket.pk, is_internal=False, author_user__isnull=False)
            .order_by("-created_at", "-id").values_list("author_user_id", flat=True).first())


def open_resolution(ticket: Ticket, now: datetime | None = None) -> Resolution:
    """The ticket's resolution in force, recorded now if it has none (call inside the resolving write)."""
    current = selectors.current_resolution(ticket.pk)
    if current is not None:
        return current
    return Resolution.objects.create(ticket_id=ticket.pk, resolved_at=now or timezone.now(),
                                     agent_id=_credited_agent_id(ticket), category_id=ticket.category_id)


def follow_status(ticket: Ticket, *, status_before: str, now: datetime | None = None) -> None:
    """Record or end a locked ticket's resolution after a write; ``status_before``: its status before."""
    if ticket.status in OPEN_STATUSES and status_before in CLOSED_STATUSES:
        Resolution.objects.filter(ticket_id=ticket.pk, reopened_at__isnull=True).update(
            reopened_at=now or timezone.now())
    elif (ticket.status in CLOSED_STATUSES and status_before not in CLOSED_STATUSES
          and ticket.merged_into_id is None):
        # A merged ticket goes on elsewhere: it was not resolved.
        resolution = open_resolution(ticket, now)
        # The resolved mail may have recorded it earlier in this write, before the write's other changes
        # (an assignee set with the status): what is credited is the ticket as the write leaves it.
        agent_id = _credited_agent_id(ticket)
        if (resolution.agent_id, resolution.category_id) != (agent_id, ticket.category_id):
            resolution.agent_id, resolution.category_id = agent_id, ticket.category_id
            resolution.save(update_fields=["agent", "category"])


def mail_lines(ticket: Ticket) -> list[str]:
    """The resolved mail's question, with a signed link for each answer."""
    resolution = open_resolution(ticket)
    # Written in the language of the mail it goes in (notifications.status_changed chooses it).
    return [_("Were you helped? Good: %(good)s / Bad: %(bad)s") % {
        "good": links.url(resolution, Choice.GOOD), "bad": links.url(resolution, Choice.BAD)}]


# ---------------------------------------------------------------- ratings


def clean_choice(choice: str) -> str:
    if choice not in Choice.values:
        raise InvalidInput({"choice": _("Choose Good or Bad.")})
    return choice


def clean_comment(comment: str) -> str:
    comment = (comment or "").replace("\r\n", "\n").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidInput({"comment": _("Keep the comment to %(limit)s characters (it has %(length)s).") % {
            "limit": f"{MAX_COMMENT_LENGTH:,}", "length": f"{len(comment):,}"}})
    if "\x00" in comment:
        raise InvalidInput({"comment": _("The comment contains a NUL character.")})
    return comment


def rate(resolution_id: int, *, contact: Contact | None, choice: str, comment: str = "",
         now: datetime | None = None) -> Rating:
    """Record the answer for a resolution still in force and in its window; a second replaces the first.

    InvalidInput for a wrong choice or comment, RatingRefused when the
    resolution can no longer be rated; either way nothing is written.
    """
    cleaned = (clean_choice(choice), clean_comment(comment))
    now = now or timezone.now()
    with transaction.atomic():
        # Locked: two answers at once are applied one after the other, never as two ratings.
        resolution = Resolution.objects.select_for_update().filter(pk=resolution_id).first()
        if resolution is None:
            raise RatingRefused(str(links.NOT_VALID))
        if (refused := selectors.refusal(resolution, now)) is not None:
            raise refused
        values = {"choice": cleaned[0], "comment": cleaned[1], "contact": contact, "updated_at": now}
        rating = Rating.objects.filter(resolution=resolution).first()
        if rating is None:
            try:
                with transaction.atomic():
                    return Rating.objects.create(resolution=resolution, ticket_id=resolution.ticket_id,
                                                 created_at=now, **values)
            except IntegrityError:
                # Another answer got in first (SQLite has no row lock): this one replaces it.
                rating = Rating.objects.get(resolution=resolution)
        for name, value in values.items():
            setattr(rating, name, value)
        rating.save(update_fields=[*values])
    return rating


def rate_by_link(ticket_id: int, token: str, *, comment: str = "", now: datetime | None = None) -> Rating:
    """Rate through a mailed link: the choice is the link's, the rater the ticket's contact (who got it)."""
    target = links.read(ticket_id, token)
    contact_id = (Resolution.objects.filter(pk=target.resolution_id, ticket_id=ticket_id)
                  .values_list("ticket__contact_id", flat=True).first())
    if contact_id is None:
        raise RatingRefused(str(links.NOT_VALID))
    return rate(target.resolution_id, contact=Contact.objects.get(pk=contact_id), choice=target.choice,
                comment=comment, now=now)


def rate_in_portal(ticket: Ticket, *, contact: Contact, choice: str, comment: str = "",
                   now: datetime | None = None) -> Rating:
    """A signed-in customer rates the resolution in force of a ticket they may see."""
    if not Ticket.objects.filter(visible_to_contact(contact), pk=ticket.pk).exists():
        raise NotAllowed(f"contact {contact.pk} may not rate ticket {ticket.pk}")
    resolution = selectors.current_resolution(ticket.pk)
    if resolution is None:
        raise RatingRefused(_("This ticket is not resolved: there is nothing to rate yet."))
    return rate(resolution.pk, contact=contact, choice=choice, comment=comment, now=now)


# ---------------------------------------------------------------- throttle


def throttle(address: str, now: float | None = None) -> None:
    """Count one submission from ``address``; Throttled past THROTTLE_LIMIT in THROTTLE_WINDOW seconds.

    Counted in the database (every worker shares the count), before the
    submission is looked at: refused ones count too.
    """
    now = int(time.time() if now is None else now)
    expired = now - THROTTLE_WINDOW
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPSERT, [address, now, expired, expired])
        window_start, submissions = cursor.fetchone()
    if _pruning.due(_PRUNE_EVERY_SECONDS):
        SubmissionWindow.objects.filter(window_start__lte=expired).delete()
    if submissions > THROTTLE_LIMIT:
        if submissions == THROTTLE_LIMIT + 1:
            log.warning("throttling ratings from %s for up to %d s", address, THROTTLE_WINDOW)
        raise Throttled(max(1, window_start + THROTTLE_WINDOW - now))
