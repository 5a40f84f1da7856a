"""Response headers every page carries, and the body-size refusal every request passes."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from extdesk.helpdesk.services import format_size

from .limits import answers_own_limit, request_body_limit, takes_uploads

# Scripts, styles, images and fonts from this site's own files only: no
# inline script or style (templates use classes from the stylesheet), no
# plugins, no framing, forms post back to this site alone.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Set Content-Security-Policy on every response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class BodyLimitMiddleware:
    """Refuse a request body over its path's limit from its declared length, before anything reads it.

    CSRF and the multipart parser read the whole body of every POST; this
    comes before them. Under ``extdesk serve`` the gate has already stopped
    reading such a body at the same limit (``security.limits``) and passes
    the length it refused.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if answers_own_limit(request.path_info):
            return self.get_response(request)
        limit = request_body_limit(request.path_info)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body it cannot measure
        if declared <= limit:
            return self.get_response(request)
        if takes_uploads(request.path_info):
            message = (f"Attachments may be at most {format_size(settings.EXTDESK_ATTACHMENT_MAX_BYTES)} "
                       f"each, {settings.EXTDESK_ATTACHMENT_MAX_COUNT} at a time. "
                       "Go back and choose smaller files.")
        else:
            message = f"This form takes at most {format_size(limit)}; nothing was saved."
        response = render(request, "extdesk/error.html",
                          {"title": "Too much to upload", "message": message}, status=413)
        # The unread body must not be taken for the next request on this connection.
        response["Connection"] = "close"
        return response
