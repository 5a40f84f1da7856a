"""The customer's ticket list rows, and statuses in the customer's words."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from extdesk.helpdesk.models import Ticket
from extdesk.helpdesk.wording import customer_status_label
from extdesk.search.snippets import snippet_line
from extdesk.web.templatetags.extdesk_ui import (
    category_note,
    moment_iso,
    moment_text,
    priority_badge,
    ticket_url_maker,
)

register = template.Library()


@register.simple_tag
def customer_status_badge(status: str) -> SafeString:
    """The status badge as customers read it ("Awaiting your reply"), coloured as the desk's."""
    return format_html('<span class="badge badge-status-{}">{}</span>', status, customer_status_label(status))

_ROW = (
    '<tr>\n'
    '  <td class="number">{}</td>\n'
    '  <td class="subject"><a href="{}">{}</a>{}{}</td>\n'
    '  <td>{}</td>\n'
    '  <td>{}</td>\n'
    '  <td>{}</td>\n'
    '  <td><time datetime="{}">{}</time></td>\n'
    '</tr>\n'
)


@register.simple_tag
def ticket_rows(tickets: Iterable[Ticket]) -> SafeString:
    """The rows of ``portal/ticket_list.html``'s table (category, account and contact joined)."""
    url = ticket_url_maker("portal:ticket")
    return format_html_join("", _ROW, (
        (
            ticket.reference, url(ticket.pk), ticket.subject,
            category_note(ticket.category), snippet_line(ticket),
            customer_status_badge(ticket.status), priority_badge(ticket.priority),
            ticket.account if ticket.account else "—",
            moment_iso(ticket.last_activity_at), moment_text(ticket.last_activity_at),
        )
        for ticket in tickets
    ))
