"""The WSGI application: signed POSTs to /soap/ answered ahead of Django's handler.

A signed call needs none of what Django's handler does per request (the
request object, its signals, the middleware chain, URL resolution): the
platform calls the endpoint thousands of times per sync, and that machinery
was a fifth of a greet's cost. Everything else, including GET ?wsdl, goes
to Django unchanged, where SoapEndpointMiddleware serves /soap/ too (the
test client and `manage.py runserver` take that path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.wsgi import LimitedStream
from django.db import close_old_connections
from django.http.response import responses

from extdesk.security.headers import security_headers

from .calls import XML_CONTENT_TYPE, answer_post
from .middleware import SOAP_PATHS

log = logging.getLogger("extdesk.soap")

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SoapFirst:
    """Serve POST /soap and /soap/ directly; hand every other request to ``django``."""

    def __init__(self, django: WSGIApplication) -> None:
        self.django = django

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
            *security_headers(environ),
        ]
        if answer.retry_after is not None:
            headers.append(("Retry-After", str(answer.retry_after)))
        start_response(f"{answer.status} {responses.get(answer.status, 'Unknown')}", headers)
        return [answer.body]
