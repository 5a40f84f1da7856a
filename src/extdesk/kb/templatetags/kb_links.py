"""The article-link picker beside the desk's reply box, drawn by the knowledge base itself.

A template tag rather than a value from the desk's view, so that the desk never imports the
knowledge base (which builds on the desk's sign-in and ticket page).
"""

from __future__ import annotations

from django import template

from extdesk.helpdesk.models import Ticket
from extdesk.kb import link_picker

register = template.Library()


@register.inclusion_tag("kb/desk/_link_picker.html", takes_context=True)
def kb_link_picker(context: template.Context, ticket: Ticket) -> dict[str, object]:
    return {"links": link_picker.picker(context["request"]), "ticket": ticket}
