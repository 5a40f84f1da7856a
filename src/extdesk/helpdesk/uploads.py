"""Refusing form posts whose body was cut off (the client hung up in the middle of an upload).

Django's multipart parser takes the end of the input for the end of the
form: a body cut midway parses as a shorter form whose last file is
truncated, and the view would save it. This middleware refuses such a
post before any view runs, so nothing of it is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

log = logging.getLogger("extdesk.uploads")


class CutUploadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None
        request.POST  # noqa: B018 (parsed here if the CSRF check has not done it already)
        stream = getattr(request, "_stream", None)
        # The parser reads the input to its end; short of the declared length, the body was cut.
        if isinstance(stream, LimitedStream) and stream._pos < stream.limit:
            log.warning("refused a form post to %s cut off after %d of %d bytes",
                        request.path, stream._pos, stream.limit)
            return HttpResponseBadRequest(
                "The upload ended before all of it arrived; nothing was saved. Please send it again.",
                content_type="text/plain; charset=utf-8",
            )
        return None
