"""The WSGI application: signed POSTs to /soap/ answered ahead of Django's handler.

A signed call needs little of what Django's handler does per request: no
session, no CSRF (the signature authenticates it), no user, no messages, no
static files, no URL resolution, and the platform calls the endpoint
thousands of times per sync (docs/performance.md, "greet"). So a
POST to /soap or /soap/ goes straight to the endpoint's view, wrapped only
in the middleware of ``settings.MIDDLEWARE`` that add response headers (in
their configured order), which is the view Django's URL route serves too:
one handler, two ways of reaching it, the same headers (tests compare both).
Everything else, including GET ?wsdl, goes to Django unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from .views import soap_endpoint

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The endpoint's two spellings (conf/urls.py routes the same view there).
SOAP_PATHS = frozenset({"/soap", "/soap/"})

# Middleware whose only effect on a SOAP answer is a response header.
_HEADER_MIDDLEWARE = frozenset({
    "django.middleware.security.SecurityMiddleware",
    "extdesk.security.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
})


def _with_header_middleware(view: Callable[[HttpRequest], HttpResponse]
                            ) -> Callable[[HttpRequest], HttpResponse]:
    handler = view
    for path in reversed(settings.MIDDLEWARE):
        if path in _HEADER_MIDDLEWARE:
            handler = import_string(path)(handler)
    return handler


class SoapFirst:
    """Serve POST /soap and /soap/ through the endpoint view; hand every other request to ``django``."""

    def __init__(self, django: WSGIApplication) -> None:
        self.django = django
        self.endpoint = _with_header_middleware(soap_endpoint)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") not in SOAP_PATHS:
            return self.django(environ, start_response)
        # What Django's request_started and request_finished signals do for
        # the database: drop a connection that is too old or broke in an
        # earlier request, and arm the health check of the one kept.
        close_old_connections()
        try:
            response = self.endpoint(WSGIRequest(environ))
        finally:
            close_old_connections()
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response
