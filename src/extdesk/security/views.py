"""The page shown when a request fails on the server's side."""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from extdesk.web.branding import at_desk_address, brand_context, way_on

RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: a database outage is a temporary 503, anything else a 500.

    Rendered without the request's context processors, which would reach
    for the session and the user (the database, possibly the failing part):
    the layout gets the brand and the control panel from settings alone, and
    a desk address (staff, or on the way to the desk's sign-in) the desk's
    layout, known from the path alone.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        status, title, message = (
            503, _("Temporarily unavailable"),
            _("The helpdesk cannot reach its database right now. Please try again in a minute."),
        )
    else:
        status, title, message = (
            500, _("Something went wrong"),
            _("The helpdesk could not complete this request. It has been logged; please try again."),
        )
    at_desk = at_desk_address(request)
    body = render_to_string("extdesk/error.html", {
        **brand_context(), "title": title, "message": message,
        "desk_layout": at_desk, "way_on": way_on(request, at_desk) if at_desk else None,
    })
    response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
