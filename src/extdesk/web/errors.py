"""Error pages in the site's layout: what happened in one sentence, and the way on.

error.html offers the signed-in visitor's own start page (``way_on`` from
the ``site`` context processor) and the control panel when
EXTDESK_PLATFORM_URL is set; it shows nothing of what was asked for, so a
404 for another customer's ticket tells nobody anything.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """The error page for ``request``, never cached (its way on depends on the session)."""
    response = render(request, "extdesk/error.html", {"title": title, "message": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler400 (a malformed request, a suspicious Host, a failed upload's parse)."""
    return error_page(request, 400, _("Bad request"),
                      _("The helpdesk could not understand this request; please go back and try again."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler403 (PermissionDenied raised by a view or the admin)."""
    return error_page(request, 403, _("Not allowed"), _("You may not open this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler404: the same words for "does not exist" and "not yours"."""
    return error_page(request, 404, _("Page not found"),
                      _("There is nothing here: the address may be mistyped, "
                        "or the page is not yours to see."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from an old page, or from another site."""
    return error_page(request, 403, _("Form expired"),
                      _("This form could not be accepted; reload the page and send it again."))
