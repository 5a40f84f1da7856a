"""The rating pages: a mailed link's confirmation, and the portal ticket page's form.

A GET never writes (mail scanners open links); a POST records, throttled per address.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from extdesk.helpdesk import selectors as helpdesk_selectors
from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import Ticket
from extdesk.sso.sessions import contact_of
from extdesk.web.addresses import request_address
from extdesk.web.forms import apply_errors

from . import links, selectors, services
from .exceptions import RatingRefused, Throttled
from .forms import CommentForm, PortalRatingForm
from .models import Choice, Resolution


def _refused(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    response = render(request, "extdesk/error.html", {"title": title, "message": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    minutes = max(1, round(exc.retry_after / 60))
    response = _refused(request, _("Too many ratings"),
                        ngettext("Too many ratings came from your address. Please try again in %(minutes)d "
                                 "minute.",
                                 "Too many ratings came from your address. Please try again in %(minutes)d "
                                 "minutes.", minutes) % {"minutes": minutes},
                        429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, ticket_id: int, token: str) -> HttpResponse:
    """A mailed link: the page asks to confirm (and for a comment); only its POST records the choice."""
    if request.method == "POST":
        try:
            services.throttle(request_address(request.META))
        except Throttled as exc:
            return _throttled(request, exc)
    try:
        target = links.read(ticket_id, token)
        resolution = (Resolution.objects.filter(pk=target.resolution_id, ticket_id=ticket_id)
                      .select_related("ticket", "rating").first())
        if resolution is None:
            raise RatingRefused(str(links.NOT_VALID))
    except RatingRefused as exc:
        return _refused(request, _("This link cannot be used"), exc.message, exc.status)
    existing = getattr(resolution, "rating", None)
    form = CommentForm(request.POST or None, initial={"comment": existing.comment if existing else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.rate_by_link(ticket_id, token, comment=form.cleaned_data["comment"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        except RatingRefused as exc:
            return _refused(request, _("This rating cannot be changed"), exc.message, exc.status)
        else:
            messages.success(request, _("Thank you: your rating is recorded."))
            # Back to the same page (no address taken from the request): it shows the rating as stored.
            return redirect(reverse("ratings:link", args=[ticket_id, token]))
    refused = selectors.refusal(resolution)
    return render(request, "ratings/link.html", {
        "ticket": resolution.ticket, "choice": Choice(target.choice), "rating": existing,
        "form": form, "closed": refused.message if refused else "",
        "until": selectors.changeable_until(resolution),
    }, status=400 if form.errors else 200)


@never_cache
@require_POST
def portal_rate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The ticket page's form, for a signed-in customer who may see the ticket."""
    contact = contact_of(request)
    if contact is None:
        return _refused(request, _("Please sign in through your control panel"),
                        _("Your helpdesk session has ended or was never started. "
                          "Open the helpdesk again from your hosting control panel."), 403)
    ticket: Ticket | None = helpdesk_selectors.ticket_for_contact(contact, ticket_id)
    if ticket is None:
        return _refused(request, _("No such ticket"), _("There is no such ticket among yours."), 404)
    try:
        services.throttle(request_address(request.META))
    except Throttled as exc:
        return _throttled(request, exc)
    back = reverse("portal:ticket", args=[ticket.pk]) + "#rating"
    form = PortalRatingForm(request.POST)
    if form.is_valid():
        try:
            services.rate_in_portal(ticket, contact=contact, choice=form.cleaned_data["choice"],
                                    comment=form.cleaned_data["comment"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        except RatingRefused as exc:
            messages.error(request, exc.message)
            return redirect(back)
        else:
            messages.success(request, _("Thank you: your rating is recorded."))
            return redirect(back)
    # The refusal next to its field, the comment kept.
    return render(request, "ratings/portal_form.html", {"ticket": ticket, "form": form, "back": back},
                  status=400)
