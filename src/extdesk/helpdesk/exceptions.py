"""Errors of the helpdesk domain: what its services refuse, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from .models import Ticket


class NotAllowed(Exception):
    """The actor may not do this: a contact outside the ticket, or a user who is not a desk user.

    The views let nobody this far; reaching it is a bug in a caller, never a
    message for the person on the page.
    """


class InvalidInput(ValidationError):
    """Input a service refuses, with the problems by field (``message_dict``).

    A ValidationError, so that a form takes it as it takes its own: each
    field's problems go next to that field.
    """


class Conflict(Exception):
    """The post was drawn from an older version of the ticket than the one stored: it is not applied.

    ``ticket`` is the ticket as it is now (its ``version`` the current one);
    ``since_version`` the version the form showed, from which
    helpdesk.selectors.changes_since tells what others did meanwhile.
    """

    def __init__(self, ticket: Ticket, since_version: int) -> None:
        super().__init__(f"ticket {ticket.pk} is at version {ticket.version}, the post was drawn from "
                         f"version {since_version}")
        self.ticket = ticket
        self.since_version = since_version
