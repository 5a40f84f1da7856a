from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def demo(request: HttpRequest) -> dict[str, bool]:
    """``demo``: whether the base layout shows the demo banner."""
    return {"demo": settings.EXTDESK_DEMO}
