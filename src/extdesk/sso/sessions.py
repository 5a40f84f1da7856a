"""Customer sessions from one-time links: an idle timeout and an absolute cap.

A customer's session ends after EXTDESK_CUSTOMER_SESSION_IDLE seconds
without a request, and EXTDESK_CUSTOMER_SESSION_MAX seconds after the
login whatever the activity. Both clocks are stamps in the session itself,
so they hold for every worker process; staff sessions carry no stamps and
keep Django's SESSION_COOKIE_AGE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse

from extdesk.contacts.models import Contact

log = logging.getLogger("extdesk.sso")

SINCE = "extdesk_customer_since"  # epoch seconds of the one-time login
SEEN = "extdesk_customer_seen"  # epoch seconds of the last request counted as activity

# The idle stamp is rewritten at most this often: a customer clicking around
# costs one session write a minute, not one per request.
REFRESH_SECONDS = 60


def _limits() -> tuple[int, int]:
    # Read per request, so that a changed setting (and a test) applies at once.
    return settings.EXTDESK_CUSTOMER_SESSION_IDLE, settings.EXTDESK_CUSTOMER_SESSION_MAX


def _expiry(idle: int, cap: int, since: int, now: int) -> int:
    """Seconds the stored session and its cookie live from ``now``: the idle time, cut at the cap."""
    return max(1, min(idle, cap - (now - since)))


def start_customer_session(session: SessionBase) -> None:
    """Stamp a session that a one-time login has just opened."""
    idle, cap = _limits()
    now = int(time.time())
    session[SINCE] = now
    session[SEEN] = now
    session.set_expiry(_expiry(idle, cap, now, now))


class CustomerSessionMiddleware:
    """End a stamped session that is idle or too old; count the request as activity.

    Placed right after SessionMiddleware, so the session is emptied before
    AuthenticationMiddleware or a view reads the user from it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # No cookie, no stamps: an anonymous visitor or staff; nothing is loaded.
        if session.session_key is not None and SINCE in session:
            self._check(session)
        return self.get_response(request)

    def _check(self, session: SessionBase) -> None:
        idle, cap = _limits()
        now = int(time.time())
        since, seen = session.get(SINCE), session.get(SEEN)
        if not (isinstance(since, int) and isinstance(seen, int)):
            # Only this module writes the stamps; anything else is not trusted.
            reason = "unreadable"
        elif now - since >= cap:
            reason = "older than EXTDESK_CUSTOMER_SESSION_MAX"
        elif now - seen >= idle:
            reason = "idle for EXTDESK_CUSTOMER_SESSION_IDLE"
        else:
            if now - seen >= min(REFRESH_SECONDS, idle):
                session[SEEN] = now
                session.set_expiry(_expiry(idle, cap, since, now))
            return
        log.info("customer session ended: %s", reason)
        session.flush()


def contact_of(request: HttpRequest) -> Contact | None:
    """The contact signed in on ``request`` through a one-time link, if any."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.contact
    except Contact.DoesNotExist:
        return None
