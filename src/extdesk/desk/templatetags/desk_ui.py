"""Small display helpers of the staff desk."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django import template
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
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


# data-label: the column's heading, which a phone shows in the cell once the table's head is hidden.
_ROW = (
    '<tr>\n'
    '  <td class="select"><input type="checkbox" name="ticket" value="{}" form="bulk"'
    ' aria-label="Select {}"></td>\n'
    '  <td class="number">{}</td>\n'
    '  <td class="subject"><a href="{}">{}</a>{}</td>\n'
    '  <td data-label="Customer">{}<div class="muted small">{}</div></td>\n'
    '  <td data-label="Status">{}</td>\n'
    '  <td data-label="Priority">{}</td>\n'
    '  <td data-label="Assignee">{}{}</td>\n'
    '  <td data-label="Last activity"><time datetime="{}" title="{}">{}</time></td>\n'
    '</tr>\n'
)
_UNASSIGNED = mark_safe('<span class="muted">Unassigned</span>')


def _assignee(user: User | None) -> str:
    if user is None:
        return _UNASSIGNED
    return display_name(user)


# Posted by the queue's "assign-me" form (desk/_bulk_bar.html) to the ticket's own address.
_ASSIGN_ME = ('<button type="submit" form="assign-me" formaction="{}" class="link small assign-me">'
              'Assign to me</button>')


def _assign_me(ticket: Ticket, url: str, viewer_id: int | None) -> str:
    if viewer_id is None or ticket.assignee_id == viewer_id:
        return ""
    return format_html(_ASSIGN_ME, url)


@register.simple_tag
def queue_rows(tickets: Iterable[Ticket], viewer_id: int | None = None) -> SafeString:
    """The rows of ``desk/queue.html``'s table (contact, account, category and assignee joined).

    Each row's check box belongs to the bulk form; ``viewer_id`` given, a row
    not assigned to that viewer offers "Assign to me".
    """
    url = ticket_url_maker("desk:ticket")
    assign_url = ticket_url_maker("desk:assign_to_me")
    return format_html_join("", _ROW, (
        (
            ticket.pk, ticket.reference,
            ticket.reference, url(ticket.pk), ticket.subject,
            category_note(ticket.category),
            ticket.contact.display_name, ticket.account if ticket.account else "no account",
            status_badge(ticket.status), priority_badge(ticket.priority), _assignee(ticket.assignee),
            _assign_me(ticket, assign_url(ticket.pk), viewer_id),
            moment_iso(ticket.last_activity_at), moment_text(ticket.last_activity_at),
            ago(ticket.last_activity_at),
        )
        for ticket in tickets
    ))
