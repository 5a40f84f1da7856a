"""Times in the viewer's time zone: as their browser reports it, stored per user.

``static/extdesk/timezone.js`` reads the browser's zone and, when it is not
the one the page was drawn in, posts it to :func:`set_time_zone`, which
stores it in ``Preferences.time_zone``. :class:`TimeZoneMiddleware` shows
each signed-in user's pages in their zone, else in ``EXTDESK_TIME_ZONE``.

The zone travels in the session: copied there when the user signs in (the
``user_logged_in`` receiver, connected in ``apps.WebConfig.ready``) and when
it changes, so pages read no preference row; only a session from before this
existed reads it once.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import Preferences

# The session's copy of the user's zone; "" when they have none.
SESSION_ZONE = "extdesk_time_zone"
MAX_ZONE_LENGTH = Preferences._meta.get_field("time_zone").max_length or 64


@functools.cache
def _zone_names() -> frozenset[str]:
    # Read once: the tz database is walked on disk for the list.
    return frozenset(zoneinfo.available_timezones())


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone name this server knows ("Europe/Berlin", "UTC")."""
    return 0 < len(name) <= MAX_ZONE_LENGTH and name in _zone_names()


def default_zone() -> str:
    """The installation's zone: what a user who reported none sees."""
    return str(settings.EXTDESK_TIME_ZONE)


def stored_zone(user_id: int | str) -> str:
    """The user's reported zone, "" when none (or one this server no longer knows). One query."""
    name = Preferences.objects.filter(user_id=user_id).values_list("time_zone", flat=True).first() or ""
    return name if valid_zone(name) else ""


def copy_zone_to_session(sender: object, request: HttpRequest | None, user: Any, **kwargs: object) -> None:
    """``user_logged_in`` receiver: the new session carries the user's zone."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ZONE] = stored_zone(user.pk)


def _signed_in_session(request: HttpRequest) -> Any:
    """The request's session when someone is signed in to it, else None.

    Without a session cookie there is no session to look into, and looking anyway would make
    the answer vary on cookies (the SOAP endpoint's WSDL, pages of anonymous visitors).
    """
    session = getattr(request, "session", None)
    if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    return session if SESSION_KEY in session else None


def _session_zone(request: HttpRequest) -> str:
    session = _signed_in_session(request)
    if session is None:
        return ""
    if SESSION_ZONE not in session:
        session[SESSION_ZONE] = stored_zone(session[SESSION_KEY])
    return str(session[SESSION_ZONE])


class TimeZoneMiddleware:
    """Draw the page in the signed-in user's zone, else in ``EXTDESK_TIME_ZONE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = _session_zone(request)
        if not name:
            if _signed_in_session(request) is None:
                # Anonymous requests (the SOAP endpoint, sign-in pages) keep the server's zone.
                return self.get_response(request)
            name = default_zone()
        timezone.activate(zoneinfo.ZoneInfo(name))
        try:
            return self.get_response(request)
        finally:
            # Threads serve the next request: this one's zone must not leak into it.
            timezone.deactivate()


@require_POST
def set_time_zone(request: HttpRequest) -> JsonResponse:
    """Store the zone the browser reports (``time_zone``) for the signed-in user."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in first.")}, status=403)
    name = request.POST.get("time_zone", "").strip()
    if not valid_zone(name):
        return JsonResponse({"error": _("That is not a time zone name (such as Europe/Berlin).")}, status=400)
    Preferences.objects.update_or_create(user=request.user, defaults={"time_zone": name})
    request.session[SESSION_ZONE] = name
    return JsonResponse({"time_zone": name})
