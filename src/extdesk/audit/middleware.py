"""Recording logins through the platform's one-time URLs, accepted or refused."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse

from extdesk.web.addresses import request_address

from .services import record_login

LANDING_VIEW = "sso:landing"


class PlatformLoginAuditMiddleware:
    """Log every answer of the login-URL landing: who, from where, let in or not.

    Seen from outside the landing view, so the token itself never reaches
    the log; only the outcome does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is None or match.view_name != LANDING_VIEW or response.status_code >= 500:
            return response
        address = request_address(request.META)
        person = None
        accepted = response.status_code in (301, 302, 303) and request.user.is_authenticated
        if accepted:
            try:
                person = request.user.contact.platform_id  # type: ignore[union-attr]  # authenticated
            except ObjectDoesNotExist:
                person = None
        landing = response.get("Location", "") if accepted else ""
        record_login(address, person, landing, "ok" if accepted else "refused", response.status_code)
        return response
