"""How large a request body may be, by path: one rule for the server's gate and for Django.

Each view says what it takes. The SOAP endpoint reads its own body up to a
setting (:func:`reads_own_body`, ``EXTDESK_MAX_BODY_BYTES``) and answers a
larger one with its own fault. A view whose forms carry attachments
(:func:`accepts_uploads`) takes the largest form it could legitimately
receive: the attachment count times their size, plus a margin for the text
fields and the multipart framing. Every other path takes a small form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from django.conf import settings
from django.urls import Resolver404, resolve

from extdesk.config import upload_form_bytes

# A form without files: a login, a property change, an admin page.
PLAIN_FORM_BYTES = 2 * 1024 * 1024

View = TypeVar("View", bound=Callable)


def accepts_uploads(view: View) -> View:
    """Mark a view whose forms carry attachments (the body limit admits them)."""
    view.accepts_uploads = True  # type: ignore[attr-defined]
    return view


def reads_own_body(setting: str) -> Callable[[View], View]:
    """Mark a view that reads and limits its body itself, up to ``settings.<setting>`` bytes."""
    def mark(view: View) -> View:
        view.body_limit_setting = setting  # type: ignore[attr-defined]
        return view
    return mark


@lru_cache(maxsize=4096)
def _view_marks(path: str) -> tuple[bool, str | None]:
    try:
        view = resolve(path).func
    except Resolver404:
        return False, None
    return bool(getattr(view, "accepts_uploads", False)), getattr(view, "body_limit_setting", None)


def takes_uploads(path: str) -> bool:
    """Whether the view at ``path`` accepts attachments."""
    return _view_marks(path)[0]


def answers_own_limit(path: str) -> bool:
    """Whether the view at ``path`` refuses an oversized body in its own words."""
    return _view_marks(path)[1] is not None


def request_body_limit(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    uploads, own_setting = _view_marks(path)
    if own_setting is not None:
        return getattr(settings, own_setting)
    if uploads:
        return upload_form_bytes(settings.EXTDESK_ATTACHMENT_MAX_COUNT, settings.EXTDESK_ATTACHMENT_MAX_BYTES)
    return PLAIN_FORM_BYTES
