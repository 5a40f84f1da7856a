"""Mail the channel itself sends: the one polite answer to a stranger when strangers' mail is refused."""

from __future__ import annotations

from django.conf import settings

from extdesk.outbox.identity import threadable
from extdesk.outbox.services import enqueue


def unknown_sender_refused(address: str, subject: str, mail_id: str) -> None:
    """Tell ``address`` that this helpdesk takes mail from its customers only.

    Sent when EXTDESK_MAIL_UNKNOWN_SENDERS=reject, at most once a day to an address.
    """
    lines = [
        "Hello,",
        "",
        f"Your message{f' “{subject}”' if subject else ''} was not taken in: this helpdesk answers",
        "mail from the customers of its hosting service only, sent from the address they",
        "registered with us.",
        "",
        "If you are a customer, please write from that address, or open the helpdesk",
        "from your control panel.",
        "",
        "Nothing of your message was kept. This answer is sent once a day at most.",
    ]
    headers = [("In-Reply-To", f"<{mail_id}>"), ("References", f"<{mail_id}>")] if threadable(mail_id) else []
    enqueue(f"Not delivered: {subject}" if subject else "Not delivered", "\n".join(lines), [address],
            f"the refusal of a stranger's mail to {settings.DEFAULT_FROM_EMAIL}", headers=headers,
            auto_submitted="auto-replied")
