"""Who reads the knowledge base: a signed-in customer, a desk user, or an anonymous visitor."""

from __future__ import annotations

from django.http import HttpRequest

from extdesk.helpdesk.staff import is_desk_user
from extdesk.sso.sessions import contact_of

from .selectors import Reader, request_language


def reader_of(request: HttpRequest) -> Reader:
    staff = is_desk_user(request.user)
    return Reader(contact=None if staff else contact_of(request), staff=staff,
                  language=request_language(request))


def base_template(reader: Reader) -> str:
    """Staff read inside the desk's frame, everyone else inside the portal's."""
    return "desk/base.html" if reader.staff else "portal/base.html"
