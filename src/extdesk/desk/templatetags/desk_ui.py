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

from extdesk.helpdesk.models import Escalation, Speaker, Status, Ticket
from extdesk.helpdesk.staff import display_name
from extdesk.search.snippets import snippet_line
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


def span(seconds: float) -> str:
    """A duration in the queue's short form: "< 1 min", "35 min", "5 h", "3 d"."""
    if seconds < 60:
        return "< 1 min"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _pending_escalation(ticket: Ticket) -> int:
    """The escalation step of the target still pending: the first response until it happened."""
    if ticket.first_responded_at is None:
        return ticket.first_response_escalation
    return ticket.resolution_escalation


def due_state(ticket: Ticket, now: datetime) -> str:
    """``overdue``, ``close`` (past 80 % of its pending target), ``due``, or "" when nothing is due."""
    if ticket.next_due_at is None:
        return ""
    if ticket.next_due_at <= now:
        return "overdue"
    if _pending_escalation(ticket) >= Escalation.WARNED or (
            ticket.next_escalation_at is not None and ticket.next_escalation_at <= now):
        return "close"
    return "due"


_DUE = '<time class="due due-{}" datetime="{}" title="Due {}">{}</time>'
_CLOSE_TAG = mark_safe(' <span class="due-tag">soon</span>')
_NOT_DUE: dict[str, str] = {Status.WAITING: "paused: waiting on customer"}


def _due(ticket: Ticket, now: datetime) -> str:
    """The due time, relative to ``now``, as text that says overdue or soon (colour only repeats it)."""
    state, due = due_state(ticket, now), ticket.next_due_at
    if not state or due is None:
        return format_html('<span class="muted small">{}</span>', _NOT_DUE.get(ticket.status, "not due"))
    seconds = (due - now).total_seconds()
    text = f"overdue by {span(-seconds)}" if state == "overdue" else f"due in {span(seconds)}"
    html = format_html(_DUE, state, moment_iso(due), moment_text(due), text)
    return html + _CLOSE_TAG if state == "close" else html


_BREACH = ' <span class="badge badge-breached" title="Missed: {}">Breached</span>'


def _breach(ticket: Ticket) -> str:
    missed = [name for name, breached in (("first response", ticket.first_response_breached),
                                          ("resolution", ticket.resolution_breached)) if breached]
    return format_html(_BREACH, " and ".join(missed)) if missed else ""


_SPEAKER = ('<div class="last-message small"><span class="speaker speaker-{}">{}:</span> '
            '<span class="excerpt">{}</span></div>')


def _last_message(ticket: Ticket) -> str:
    """Who spoke last, and the first line of what they wrote."""
    if not ticket.last_speaker:
        return ""
    return format_html(_SPEAKER, ticket.last_speaker, Speaker(ticket.last_speaker).label,
                       ticket.last_message_excerpt)


# data-label: the column's heading, which a phone shows in the cell once the table's head is hidden.
_ROW = (
    '<tr{}>\n'
    '  <td class="select"><input type="checkbox" name="ticket" value="{}" form="bulk"'
    ' aria-label="Select {}"></td>\n'
    '  <td class="number">{}</td>\n'
    '  <td class="subject"><a href="{}">{}</a>{}{}</td>\n'
    '  <td data-label="Customer">{}<div class="muted small">{}</div></td>\n'
    '  <td data-label="Status">{}</td>\n'
    '  <td data-label="Priority">{}</td>\n'
    '  <td data-label="Assignee">{}{}</td>\n'
    '  <td data-label="Due" class="due-cell">{}{}</td>\n'
    '  <td data-label="Age"><time datetime="{}" title="Opened {}">{}</time></td>\n'
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
    not assigned to that viewer offers "Assign to me". Due times and ages are
    relative to one moment, from the ticket's stored fields.
    """
    url = ticket_url_maker("desk:ticket")
    assign_url = ticket_url_maker("desk:assign_to_me")
    now = timezone.now()
    return format_html_join("", _ROW, (
        (
            format_html(' class="row-{}"', state) if (state := due_state(ticket, now)) else "",
            ticket.pk, ticket.reference,
            ticket.reference, url(ticket.pk), ticket.subject,
            category_note(ticket.category), snippet_line(ticket) or _last_message(ticket),
            ticket.contact.display_name, ticket.account if ticket.account else "no account",
            status_badge(ticket.status), priority_badge(ticket.priority), _assignee(ticket.assignee),
            _assign_me(ticket, assign_url(ticket.pk), viewer_id),
            _due(ticket, now), _breach(ticket),
            moment_iso(ticket.created_at), moment_text(ticket.created_at),
            span((now - ticket.created_at).total_seconds()),
            moment_iso(ticket.last_activity_at), moment_text(ticket.last_activity_at),
            ago(ticket.last_activity_at),
        )
        for ticket in tickets
    ))
