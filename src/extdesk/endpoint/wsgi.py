"""The WSGI application: signed POSTs to /soap/ answered ahead of Django's handler.

A signed call needs little of what Django's handler does per request: no
session, no CSRF (the signature authenticates it), no user, no messages, no
static files, no URL resolution, and the platform calls the endpoint
thousands of times per sync (docs/performance.md, "greet"). So a POST to
/soap or /soap/ is served here, through the same call core as the Django
view (calls.answer_post), and carries the headers that the header-setting
middleware of ``settings.MIDDLEWARE`` (Django's security, CSP and
clickjacking middleware) give the view's answers: those classes run once
per kind of request (plain or TLS) on an empty response, and their headers
are kept until a setting changes. Tests compare both paths header by header.
Everything else, including GET ?wsdl, goes to Django unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http.client import responses
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream, WSGIRequest
from django.core.signals import setting_changed
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from .calls import XML_CONTENT_TYPE, answer_post

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The endpoint's two spellings (conf/urls.py routes the same view there).
SOAP_PATHS = frozenset({"/soap", "/soap/"})

# Middleware whose only effect on a SOAP answer is a response header.
_HEADER_MIDDLEWARE = frozenset({
    "django.middleware.security.SecurityMiddleware",
    "extdesk.security.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
})


def _empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


def _middleware_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The headers the header-setting middleware give an answer to a request like ``environ``."""
    handler: Callable[[HttpRequest], HttpResponse] = _empty
    for path in reversed(settings.MIDDLEWARE):
        if path in _HEADER_MIDDLEWARE:
            handler = import_string(path)(handler)
    response = handler(WSGIRequest(environ))
    return [(name, value) for name, value in response.items() if name.lower() != "content-type"]


class SoapFirst:
    """Serve POST /soap and /soap/ through the call core; hand every other request to ``django``."""

    def __init__(self, django: WSGIApplication) -> None:
        self.django = django
        self._headers: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
        setting_changed.connect(self._forget_headers, weak=False)

    def _forget_headers(self, **kwargs: Any) -> None:
        self._headers.clear()

    def _security_headers(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        # What decides them: the scheme, as request.is_secure() reads it.
        proxy = settings.SECURE_PROXY_SSL_HEADER
        key = (environ.get("wsgi.url_scheme", "http"), environ.get(proxy[0]) if proxy else None)
        headers = self._headers.get(key)
        if headers is None:
            probe = {"REQUEST_METHOD": "POST", "PATH_INFO": "/soap/", "SERVER_NAME": "localhost",
                     "SERVER_PORT": "80", "wsgi.input": LimitedStream(environ["wsgi.input"], 0),
                     "wsgi.url_scheme": key[0]}
            if proxy and key[1] is not None:
                probe[proxy[0]] = key[1]
            headers = self._headers[key] = _middleware_headers(probe)
        return headers

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") not in SOAP_PATHS:
            return self.django(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # answer_post reports the bad header; nothing is read
        # What Django's request_started and request_finished signals do for
        # the database: drop a connection that is too old or broke in an
        # earlier request, and arm the health check of the one kept.
        close_old_connections()
        try:
            answer = answer_post(environ, LimitedStream(environ["wsgi.input"], max(length, 0)))
        finally:
            close_old_connections()
        headers = [
            ("Content-Type", XML_CONTENT_TYPE),
            ("Content-Length", str(len(answer.body))),
            *self._security_headers(environ),
        ]
        if answer.retry_after is not None:
            headers.append(("Retry-After", str(answer.retry_after)))
        start_response(f"{answer.status} {responses.get(answer.status, 'Unknown')}", headers)
        return [answer.body]
