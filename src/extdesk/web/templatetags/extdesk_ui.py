"""Badges and small helpers shared by the customer portal and the staff desk."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from extdesk.helpdesk.models import Priority, Status
from extdesk.helpdesk.services import format_size

register = template.Library()


@register.simple_tag
def status_badge(status: str) -> str:
    """A coloured label for a ticket status (the class carries the colour, the text the meaning)."""
    try:
        label = Status(status).label
    except ValueError:
        label = status
    return format_html('<span class="badge badge-status-{}">{}</span>', status, label)


@register.simple_tag
def priority_badge(priority: int) -> str:
    try:
        value = Priority(int(priority))
    except (TypeError, ValueError):
        return format_html('<span class="badge">{}</span>', priority)
    return format_html(
        '<span class="badge badge-priority-{}">{}</span>', value.name.lower(), value.label
    )


@register.filter
def filesize(size: int) -> str:
    return format_size(int(size))
