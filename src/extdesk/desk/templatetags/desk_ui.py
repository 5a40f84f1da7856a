"""Small display helpers of the staff desk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django import template
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from extdesk.helpdesk.models import Ticket
from extdesk.helpdesk.staff import display_name
from extdesk.web.templatetags.extdesk_ui import (
    category_note,
    moment_iso,
    moment_text,
    priority_badge,
    status_badge,
    ticket_url_maker,
)

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


_ROW = (
    '<tr>\n'
    '  <td class="number">{}</td>\n'
    '  <td class="subject"><a href="{}">{}</a>{}</td>\n'
    '  <td>{}<div class="muted small">{}</div></td>\n'
    '  <td>{}</td>\n'
    '  <td>{}</td>\n'
    '  <td>{}</td>\n'
    '  <td><time datetime="{}" title="{}">{}</time></td>\n'
    '</tr>\n'
)
_UNASSIGNED = mark_safe('<span class="muted">Unassigned</span>')


def _assignee(user: User | None) -> str:
    if user is None:
        return _UNASSIGNED
    return display_name(user)


@register.simple_tag
def queue_rows(tickets: Iterable[Ticket]) -> SafeString:
    """The rows of ``desk/queue.html``'s table (contact, account, category and assignee joined)."""
    url = ticket_url_maker("desk:ticket")
    return format_html_join("", _ROW, (
        (
            ticket.reference, url(ticket.pk), ticket.subject,
            category_note(ticket.category),
            ticket.contact.display_name, ticket.account if ticket.account else "no account",
            status_badge(ticket.status), priority_badge(ticket.priority), _assignee(ticket.assignee),
            moment_iso(ticket.last_activity_at), moment_text(ticket.last_activity_at),
            ago(ticket.last_activity_at),
        )
        for ticket in tickets
    ))
