"""The ticket page's parts for the agents' tools: canned reply picker, tags, merging."""

from __future__ import annotations

from django import template

from extdesk.helpdesk import selectors
from extdesk.helpdesk.models import Ticket

from .. import canned

register = template.Library()

# The picker lists this many replies; "find" narrows it to the names wanted.
PICKER_SIZE = 200


@register.inclusion_tag("desk/_canned_picker.html", takes_context=True)
def canned_picker(context: template.Context, ticket: Ticket) -> dict[str, object]:
    """The canned replies the viewer may use, in the reply form; "find" (posted) narrows them by name."""
    request = context["request"]
    posted = request.POST if request.method == "POST" else {}
    search = " ".join(str(posted.get("canned_q", ""))[:100].split())
    # Names only: the texts (up to 20,000 characters each) are fetched when one is inserted.
    replies = list(canned.canned_replies_for(request.user, search).only("pk", "title", "owner")
                   [:PICKER_SIZE + 1])
    shown = replies[:PICKER_SIZE]
    return {
        "ticket": ticket,
        "search": search,
        "mine": [reply for reply in shown if not reply.is_shared],
        "shared": [reply for reply in shown if reply.is_shared],
        "more": len(replies) > PICKER_SIZE,
        "chosen": str(posted.get("canned", "")),
    }


@register.inclusion_tag("desk/_ticket_tags.html")
def ticket_tags(ticket: Ticket) -> dict[str, object]:
    return {"ticket": ticket, "tags": selectors.ticket_tags(ticket), "suggestions": selectors.tag_names()}
