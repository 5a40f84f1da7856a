"""Badges and small helpers shared by the customer portal and the staff desk."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from django import template
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.html import format_html

from extdesk.helpdesk.models import Priority, Status
from extdesk.helpdesk.services import format_size
from extdesk.helpdesk.staff import display_name as user_display_name

register = template.Library()


# Both badges are pure functions of a few distinct values (and the page's
# language), and a ticket list shows one of each per row: built once, then looked up.
@register.simple_tag
def status_badge(status: str) -> str:
    """A coloured label for a ticket status (the class carries the colour, the text the meaning)."""
    return _status_badge(status, translation.get_language())


@functools.lru_cache(maxsize=64)
def _status_badge(status: str, language: str | None) -> str:
    try:
        label = str(Status(status).label)
    except ValueError:
        label = status
    return format_html('<span class="badge badge-status-{}">{}</span>', status, label)


@register.simple_tag
def priority_badge(priority: int) -> str:
    return _priority_badge(priority, translation.get_language())


@functools.lru_cache(maxsize=64)
def _priority_badge(priority: int, language: str | None) -> str:
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


@register.filter
def display_name(user: User) -> str:
    """A user as every page names them (extdesk.helpdesk.staff.display_name)."""
    return user_display_name(user)


# ---------------------------------------------------------------- ticket list rows
#
# The ticket lists render their rows in Python (see the portal's and the desk's
# ``*_rows`` tags): through the template language each row's variable lookups,
# URL reversing and date formatting cost more than the page's queries
# (docs/performance.md has the figures).


def ticket_url_maker(view_name: str) -> Callable[[int], str]:
    """``number -> reverse(view_name, args=[number])``, reversing once per page instead of once per row.

    The view's URL takes the ticket number as its last path element.
    """
    sentinel = 987654321
    head, tail = reverse(view_name, args=[sentinel]).rsplit(str(sentinel), 1)
    return lambda number: f"{head}{int(number)}{tail}"


def moment_iso(moment: datetime) -> str:
    """The ``date:'c'`` filter's output: ISO 8601 in the current time zone."""
    return timezone.localtime(moment).isoformat()


def moment_text(moment: datetime) -> str:
    """The ``date:"M j, Y H:i"`` filter's output (e.g. "Nov 8, 2026 09:05"), in the current time zone."""
    local = timezone.localtime(moment)
    month = MONTHS_3[local.month].title()
    return f"{month} {local.day}, {local.year:04d} {local.hour:02d}:{local.minute:02d}"


def category_note(category: object | None) -> str:
    """The category line under a listed ticket's subject; nothing without a category."""
    return format_html('\n    <div class="muted small">{}</div>', category) if category else ""
