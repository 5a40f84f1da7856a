"""The ratings' blocks on other apps' pages: the customer's form on the ticket page, staff's list."""

from __future__ import annotations

from typing import Any

from django import template

from extdesk.helpdesk.models import Ticket

from .. import selectors
from ..forms import PortalRatingForm
from ..models import Choice

register = template.Library()


@register.inclusion_tag("ratings/_portal_rating.html", takes_context=True)
def portal_rating(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    """Good / Bad and a comment, while the ticket's resolution is in force and changeable. One query."""
    state = selectors.portal_state(ticket)
    rating = state.rating if state else None
    return {
        "ticket": ticket, "state": state, "csrf_token": context.get("csrf_token"),
        "form": PortalRatingForm(initial={"comment": rating.comment if rating else ""}),
        "choices": Choice.choices,
    }


@register.inclusion_tag("ratings/_desk_ratings.html")
def ticket_ratings(ticket: Ticket) -> dict[str, Any]:
    """The ticket's ratings, one per resolution, with their comments. One query."""
    return {"ticket": ticket, "ratings": selectors.ticket_ratings(ticket.pk)}
