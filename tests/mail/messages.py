"""Building test mails as bytes, the way a mail program sends them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

_serial = itertools.count(1)


def mail(
    *,
    sender: str = "Ann Customer <ann@example.com>",
    to: str = "support@example.com",
    subject: str = "Mail is down",
    body: str = "Since this morning no mail arrives.\n",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> bytes:
    """One mail; ``message_id`` etc. without angle brackets; attachments as (name, bytes, type)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(f"t{next(_serial)}",
                                                                           "client.example.com")
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{ref}>" for ref in references)
    for name, value in headers:
        message[name] = value
    message.set_content(body)
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
