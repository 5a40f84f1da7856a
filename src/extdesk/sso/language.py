"""The language a page is read in: the header's switcher, and each contact's mail language.

Django's LocaleMiddleware picks the language of a request: the switcher's
cookie, else the browser's Accept-Language, else LANGUAGE_CODE. A signed-in
contact's choice is also stored on the contact (Contact.language), since the
mail sent to them is written in the language they last read the portal in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from extdesk.contacts.services import remember_language

from .sessions import contact_of

# The customers' pages: opening one records the contact's language. The desk,
# the admin and the SOAP endpoint are not theirs and write nothing.
CUSTOMER_NAMESPACES = frozenset({"portal", "kb", "ratings"})


def configured_languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def is_same_site_path(target: str, request: HttpRequest) -> bool:
    """``target`` is a path on this site ("/tickets/?state=all"), never an address elsewhere.

    Not "//host/" (scheme-relative), not "/\\host" (read as "//host" by some
    browsers), nothing with a scheme, a host or a control character.
    """
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "extdesk/error.html", {
        "title": _("The language was not changed"), "message": message,
    }, status=400)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """The header's form: remember ``language`` (cookie; a contact's too) and go back to ``next``."""
    code = request.POST.get("language", "")
    target = request.POST.get("next", "") or "/"
    if code not in configured_languages():
        return _refused(request, _("Choose one of the languages offered."))
    if not is_same_site_path(target, request):
        # Never an open redirect: a forged form cannot send the browser elsewhere.
        return _refused(request, _("The page to go back to is not on this site."))
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )
    contact = contact_of(request)
    if contact is not None:
        remember_language(contact, code)
    return response


class ContactLanguageMiddleware:
    """Stores the language of a customer page on its signed-in contact, when it differs from theirs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any) -> None:
        match = request.resolver_match
        if match is None or match.namespace not in CUSTOMER_NAMESPACES:
            return
        contact = contact_of(request)
        code = translation.get_language()
        if contact is not None and code in configured_languages():
            remember_language(contact, code)
