"""Who may use the customer portal: a browser logged in as a contact."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from extdesk.contacts.models import Contact
from extdesk.sso.sessions import contact_of


class ContactRequest(HttpRequest):
    """The request of a view behind contact_required, for the type checker: it carries its contact."""

    contact: Contact


def contact_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sets ``request.contact``; anyone else gets a page saying how to get in.

    Customers have no password here: they arrive through the platform's
    one-time login links, so there is no login form to send them to.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        contact = contact_of(request)
        if contact is None:
            response = render(request, "extdesk/error.html", {
                "title": "Please sign in through your control panel",
                "message": "Your helpdesk session has ended or was never started. "
                           "Open the helpdesk again from your hosting control panel.",
            }, status=403)
            response["Cache-Control"] = "no-store"
            return response
        cast(ContactRequest, request).contact = contact
        return view(request, *args, **kwargs)

    return wrapper
