"""The desk's deflection figures, shown on the knowledge base's list whatever its filters."""

from __future__ import annotations

from django import template

from extdesk.kb import deflection

register = template.Library()


@register.inclusion_tag("kb/desk/_deflection.html")
def deflection_figures() -> dict[str, object]:
    minutes = int(deflection.FILING_WINDOW.total_seconds() // 60)
    return {"summary": deflection.summary(), "window_minutes": minutes}


@register.simple_tag
def suggestion_min_chars() -> int:
    """The shortest subject the new-ticket form asks suggestions for (the portal never imports kb)."""
    return deflection.MIN_QUERY_CHARS
