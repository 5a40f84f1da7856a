"""Starting an article from a ticket: a public staff reply becomes the first draft of an article.

Only the reply's text and the ticket's subject are carried over, never the customer's name,
address or the rest of the thread; the agent edits the prefilled editor and saves a draft as
with any new article, so nothing reaches readers without a deliberate publication.
"""

from __future__ import annotations

from extdesk.helpdesk.models import Message

from .services import MAX_TITLE_LENGTH


def article_prefill(message_id: str) -> dict[str, str] | None:
    """The editor's title and body from public staff reply ``message_id``; None if it is no such reply.

    Internal notes stay internal and a customer's message is the customer's own words, so both are
    refused like an unknown id.
    """
    if not message_id.isdigit():
        return None
    message = (Message.objects.select_related("ticket")
               .filter(pk=int(message_id), is_internal=False, author_user__isnull=False).first())
    if message is None:
        return None
    return {"title": message.ticket.subject[:MAX_TITLE_LENGTH], "body": message.body}
