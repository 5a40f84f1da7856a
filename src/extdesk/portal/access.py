"""Who may use the customer portal: a browser logged in as a contact."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from extdesk.contacts.models import Contact
from extdesk.sso import deep_links
from extdesk.sso.sessions import contact_of
from extdesk.web.errors import error_page


class ContactRequest(HttpRequest):
    """The request of a view behind contact_required, for the type checker: it carries its contact."""

    contact: Contact


def _wanted_ticket(request: HttpRequest) -> int | None:
    """The ticket number of a GET for the portal's ticket page (a link from our mail), else None."""
    match = request.resolver_match
    if request.method != "GET" or match is None or match.view_name != "portal:ticket":
        return None
    number = match.kwargs.get("number")
    return number if isinstance(number, int) else None


def contact_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sets ``request.contact``; anyone else gets a page saying how to get in.

    Customers have no password here: they arrive through the platform's
    one-time login links, so there is no login form to send them to. A
    ticket page asked for without a session is remembered
    (extdesk.sso.deep_links), so that the login after it goes on there.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        contact = contact_of(request)
        if contact is None:
            number = _wanted_ticket(request)
            if number is not None:
                message = _("Sign in through your control panel to see this ticket.")
            else:
                message = _("Your helpdesk session has ended or was never started. "
                            "Open the helpdesk again from your hosting control panel.")
            response = error_page(request, 403, _("Please sign in through your control panel"), message)
            if number is not None:
                deep_links.remember(response, request, number)
            return response
        cast(ContactRequest, request).contact = contact
        return view(request, *args, **kwargs)

    return wrapper
