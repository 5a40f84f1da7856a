"""Errors of the helpdesk domain: what its services refuse, and why."""

from __future__ import annotations

from django.core.exceptions import ValidationError


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
