"""Reading ratings: a ticket's resolution in force, what can still be rated, what staff see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from extdesk.helpdesk.models import Ticket

from .exceptions import RatingRefused
from .links import RATING_WINDOW
from .models import Rating, Resolution


def current_resolution(ticket_id: int) -> Resolution | None:
    """The ticket's resolution in force (it has not been reopened since), if any."""
    return Resolution.objects.filter(ticket_id=ticket_id, reopened_at__isnull=True).first()


def changeable_until(resolution: Resolution) -> datetime:
    return resolution.resolved_at + RATING_WINDOW


def refusal(resolution: Resolution, now: datetime | None = None) -> RatingRefused | None:
    """Why ``resolution`` can no longer be rated (reopened since, or its window is over); None if it can."""
    if resolution.reopened_at is not None:
        return RatingRefused(_("This ticket was reopened after this resolution: its rating can no longer "
                               "be changed. You will be asked again once it is resolved."), status=410)
    if (now or timezone.now()) >= changeable_until(resolution):
        return RatingRefused(_("Ratings are taken for %(days)d days after a ticket is resolved; "
                               "this one's time is over.") % {"days": RATING_WINDOW.days}, status=410)
    return None


@dataclass(frozen=True)
class RatingState:
    """What the customer's ticket page offers: the resolution in force, its rating so far, until when."""

    resolution: Resolution
    rating: Rating | None
    until: datetime


def portal_state(ticket: Ticket, now: datetime | None = None) -> RatingState | None:
    """The rating the ticket's page offers, while its resolution is in force and changeable. One query."""
    resolution = (Resolution.objects.filter(ticket_id=ticket.pk, reopened_at__isnull=True)
                  .select_related("rating").first())
    if resolution is None or refusal(resolution, now) is not None:
        return None
    return RatingState(resolution, getattr(resolution, "rating", None), changeable_until(resolution))


def ticket_ratings(ticket_id: int) -> list[Rating]:
    """Every rating of a ticket, the latest resolution's first, with who rated and who was credited.
    One query."""
    return list(Rating.objects.filter(ticket_id=ticket_id)
                .select_related("resolution__agent__staff_profile", "contact")
                .order_by("-resolution__resolved_at", "-id"))


def rated_ticket_ids(choice: str | None = None) -> QuerySet[Rating, int]:
    """The ids of the tickets that have a rating ``choice`` (None: any rating), as a subquery."""
    ratings = Rating.objects.all() if choice is None else Rating.objects.filter(choice=choice)
    return ratings.order_by().values_list("ticket_id", flat=True)
