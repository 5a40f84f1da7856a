"""The ticket a mailed link asked for, kept across the sign-in through the control panel.

A notification links to the portal's ticket page; opened without a session
it answers "sign in through your control panel" and remembers the ticket's
number in a signed cookie. The one-time login that follows (any act) goes
on to that ticket if the contact may see it. Only a number is stored and
only our own ticket URL is built from it, so the cookie can never send a
browser anywhere else; it is sent to the login landing alone and lasts an hour.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "extdesk_wanted_ticket"
MAX_AGE = 3600
# Read only by the login landing (/sso/<token>): other pages never see it.
COOKIE_PATH = "/sso/"
_SALT = "extdesk.sso.deep-link"


def remember(response: HttpResponse, request: HttpRequest, number: int) -> None:
    """Set the cookie naming ticket ``number`` on ``response``."""
    value = signing.dumps({"ticket": number}, salt=_SALT)
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, path=COOKIE_PATH, httponly=True,
                        samesite="Lax", secure=request.is_secure())


def wanted_ticket(request: HttpRequest) -> int | None:
    """The ticket number in a valid, unexpired cookie of ours; None for none, a forged or an old one."""
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    number = data.get("ticket") if isinstance(data, dict) else None
    # A bool is an int to Python; only a positive whole number names a ticket.
    if type(number) is not int or number < 1:
        return None
    return number


def forget(response: HttpResponse) -> None:
    """Delete the cookie (it is used once, whether or not its ticket could be shown)."""
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
