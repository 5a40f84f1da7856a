"""How large a request body may be, by path: one rule for the server's gate and for Django.

The SOAP endpoint takes up to ``EXTDESK_MAX_BODY_BYTES``. A page whose
view accepts attachments (marked with :func:`accepts_uploads`) takes the
largest form it could legitimately receive: the attachment count times
their size, plus a margin for the text fields and the multipart framing.
Every other path takes a small form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from django.urls import Resolver404, resolve

from extdesk.helpdesk.config import upload_form_bytes

# A form without files: a login, a property change, an admin page.
PLAIN_FORM_BYTES = 2 * 1024 * 1024

_SOAP_PATHS = frozenset({"/soap", "/soap/"})

View = TypeVar("View", bound=Callable)


def accepts_uploads(view: View) -> View:
    """Mark a view whose forms carry attachments (the body limit admits them)."""
    view.accepts_uploads = True  # type: ignore[attr-defined]
    return view


def request_body_limit(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    if path in _SOAP_PATHS:
        return settings.EXTDESK_MAX_BODY_BYTES
    if takes_uploads(path):
        return upload_form_bytes(settings.EXTDESK_ATTACHMENT_MAX_COUNT, settings.EXTDESK_ATTACHMENT_MAX_BYTES)
    return PLAIN_FORM_BYTES


@lru_cache(maxsize=4096)
def takes_uploads(path: str) -> bool:
    """Whether the view at ``path`` accepts attachments."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return bool(getattr(match.func, "accepts_uploads", False))
