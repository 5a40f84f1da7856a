"""The landing page of a one-time login URL."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from extdesk.contacts.models import Contact
from extdesk.helpdesk.selectors import ticket_for_contact
from extdesk.web.addresses import request_ip

from . import deep_links
from .models import Action
from .services import is_spent, redeem_token, used_token_act
from .sessions import contact_of, start_customer_session


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: never send it on as a referrer, never cache the page.
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


def _refused(request: HttpRequest, token: str) -> HttpResponse:
    # Used or expired: gone for good (410); anything else is not a link of ours for this visitor (403).
    status = 410 if is_spent(token) else 403
    body = render_to_string("sso/refused.html", request=request)
    return _private(HttpResponse(body, status=status, content_type="text/html; charset=utf-8"))


@never_cache
@require_GET
def landing(request: HttpRequest, token: str) -> HttpResponse:
    redeemed = redeem_token(token, request_ip(request.META), request.META.get("HTTP_USER_AGENT", ""))
    if redeemed is None:
        # A refused link leaves the session as it was: any page can make a
        # browser load a link, so signing out here let anyone end a session.
        contact = contact_of(request)
        act = used_token_act(token, contact) if contact is not None else None
        if contact is not None and act is not None:
            # The customer's own link again (back button, second click): go on.
            return _go_on(request, contact, act)
        return _refused(request, token)
    # A fresh session: nothing from before the login survives into it.
    request.session.flush()
    login(request, redeemed.user, backend="django.contrib.auth.backends.ModelBackend")
    # Idle timeout and cap instead of Django's two weeks (extdesk.sso.sessions).
    start_customer_session(request.session)
    return _go_on(request, redeemed.contact, redeemed.act)


def _go_on(request: HttpRequest, contact: Contact, act: str) -> HttpResponse:
    """To the ticket a mailed link asked for, if the contact may see it; else to the page ``act`` names."""
    number = deep_links.wanted_ticket(request)
    if number is not None and ticket_for_contact(contact, number) is not None:
        # Built from the number alone: the cookie never names an address.
        target = reverse("portal:ticket", args=[number])
    else:
        target = reverse("portal:new_ticket" if act == Action.ADD else "portal:tickets")
    response = _private(redirect(target))
    if deep_links.COOKIE in request.COOKIES:
        deep_links.forget(response)
    return response
