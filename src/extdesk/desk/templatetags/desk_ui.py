"""Small display helpers of the staff desk."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date

register = template.Library()


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, in the short form a queue wants ("just now", "5 min ago", "3 h ago")."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days < 7:
        return f"{days} day{'s' if days != 1 else ''} ago"
    return format_date(timezone.localtime(moment), "M j, Y")
