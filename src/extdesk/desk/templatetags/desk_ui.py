"""Small display helpers of the staff desk."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from django import template
from django.contrib.auth.models import User
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
        return _("just now")
    if seconds < 3600:
        return _("%(minutes)s min ago") % {"minutes": int(seconds // 60)}
    if seconds < 86400:
        return _("%(hours)s h ago") % {"hours": int(seconds // 3600)}
    days = int(seconds // 86400)
    if days < 7:
        return ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": days}
    return format_date(timezone.localtime(moment), "M j, Y")


def span(seconds: float) -> str:
    """A duration in the queue's short form: "< 1 min", "35 min", "5 h", "3 d"."""
    if seconds < 60:
        return _("< 1 min")
    if seconds < 3600:
        return _("%(minutes)s min") % {"minutes": int(seconds // 60)}
    if seconds < 2 * 86400:
        return _("%(hours)s h") % {"hours": int(seconds // 3600)}
    return _("%(days)s d") % {"days": int(seconds // 86400)}


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


def _due(ticket: Ticket, now: datetime) -> str:
    """The due time, relative to ``now``, as text that says overdue or soon (colour only repeats it)."""
    state, due = due_state(ticket, now), ticket.next_due_at
    if not state or due is None:
        return format_html('<span class="muted small">{}</span>',
                           _("paused: waiting on customer") if ticket.status == Status.WAITING
                           else _("not due"))
    seconds = (due - now).total_seconds()
    text = (_("overdue by %(time)s") % {"time": span(-seconds)} if state == "overdue"
            else _("due in %(time)s") % {"time": span(seconds)})
    html = format_html('<time class="due due-{}" datetime="{}" title="{}">{}</time>', state, moment_iso(due),
                       _("Due %(moment)s") % {"moment": moment_text(due)}, text)
    if state == "close":
        return html + format_html(' <span class="due-tag">{}</span>', _("soon"))
    return html


def _breach(ticket: Ticket) -> str:
    if ticket.first_response_breached and ticket.resolution_breached:
        missed = _("Missed: first response and resolution")
    elif ticket.first_response_breached:
        missed = _("Missed: first response")
    elif ticket.resolution_breached:
        missed = _("Missed: resolution")
    else:
        return ""
    return format_html(' <span class="badge badge-breached" title="{}">{}</span>', missed, _("Breached"))


_SPEAKER = ('<div class="last-message small"><span class="speaker speaker-{}">{}:</span> '
            '<span class="excerpt">{}</span></div>')


def _last_message(ticket: Ticket) -> str:
    """Who spoke last, and the first line of what they wrote."""
    if not ticket.last_speaker:
        return ""
    return format_html(_SPEAKER, ticket.last_speaker, Speaker(ticket.last_speaker).label,
                       ticket.last_message_excerpt)


# data-label: the column's heading, which a phone shows in the cell once the table's head is hidden.
# The %(...)s are the words of the page's language (_row_format), the {} each row's values.
_ROW = (
    '<tr{}>\n'
    '  <td class="select"><input type="checkbox" name="ticket" value="{}" form="bulk"'
    ' aria-label="%(select)s"></td>\n'
    '  <td class="number">{}</td>\n'
    '  <td class="subject"><a href="{}">{}</a>{}{}</td>\n'
    '  <td data-label="%(customer)s">{}<div class="muted small">{}</div></td>\n'
    '  <td data-label="%(status)s">{}</td>\n'
    '  <td data-label="%(priority)s">{}</td>\n'
    '  <td data-label="%(assignee)s">{}{}</td>\n'
    '  <td data-label="%(due)s" class="due-cell">{}{}</td>\n'
    '  <td data-label="%(age)s"><time datetime="{}" title="%(opened)s">{}</time></td>\n'
    '  <td data-label="%(activity)s"><time datetime="{}" title="{}">{}</time></td>\n'
    '</tr>\n'
)
# Where a row's value goes in a translated sentence, until it becomes the format's {}.
_SLOT = "\x00"


def _format_text(text: str) -> str:
    """``text`` escaped for HTML, and its braces doubled for str.format, but for its _SLOT."""
    return escape(text).replace("{", "{{").replace("}", "}}").replace(_SLOT, "{}")


@functools.lru_cache(maxsize=16)
def _row_format(language: str | None) -> str:
    """_ROW in ``language`` (the argument keys the cache; gettext reads the active language)."""
    return _ROW % {key: _format_text(text) for key, text in {
        "select": _("Select %(ticket)s") % {"ticket": _SLOT}, "customer": _("Customer"),
        "status": _("Status"), "priority": _("Priority"), "assignee": _("Assignee"), "due": _("Due"),
        "age": _("Age"), "opened": _("Opened %(moment)s") % {"moment": _SLOT},
        "activity": _("Last activity"),
    }.items()}


def _assignee(user: User | None) -> str:
    if user is None:
        return format_html('<span class="muted">{}</span>', _("Unassigned"))
    return display_name(user)


# Posted by the queue's "assign-me" form (desk/_bulk_bar.html) to the ticket's own address.
_ASSIGN_ME = '<button type="submit" form="assign-me" formaction="{}" class="link small assign-me">{}</button>'


def _assign_me(ticket: Ticket, url: str, viewer_id: int | None) -> str:
    if viewer_id is None or ticket.assignee_id == viewer_id:
        return ""
    return format_html(_ASSIGN_ME, url, _("Assign to me"))


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
    no_account = _("no account")
    return format_html_join("", _row_format(translation.get_language()), (
        (
            format_html(' class="row-{}"', state) if (state := due_state(ticket, now)) else "",
            ticket.pk, ticket.reference,
            ticket.reference, url(ticket.pk), ticket.subject,
            category_note(ticket.category), snippet_line(ticket) or _last_message(ticket),
            ticket.contact.display_name, ticket.account if ticket.account else no_account,
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
