"""Where an incoming mail belongs: who wrote it, and which ticket it answers.

Reads only. A mail answers a ticket when its In-Reply-To or References name
a Message-ID the helpdesk sent or received for that ticket, else when its
subject carries the ticket's tag; and in both cases only when its sender may
see that ticket: staff, its customer side, or an address copied on it (Cc).
A stranger quoting a ticket number opens a new ticket.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models.functions import Lower
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.contacts.selectors import contact_by_address
from extdesk.helpdesk import selectors as helpdesk_selectors
from extdesk.helpdesk.models import MailReference, Ticket
from extdesk.helpdesk.staff import desk_users

from .models import InboundMail, Outcome

# The column's width: longer ids are stored and looked up cut to it, alike.
MAIL_ID_LENGTH = 255


def mail_id_key(mail_id: str) -> str:
    return mail_id[:MAIL_ID_LENGTH]


@dataclass(frozen=True)
class Sender:
    """Who a mail is from, as the helpdesk knows them: staff, a contact, a guest, or nobody yet."""

    address: str
    name: str
    staff: User | None = None
    # A synchronised contact, or the guest who wrote from this address before.
    contact: Contact | None = None

    @property
    def known(self) -> bool:
        return self.staff is not None or self.contact is not None


def identify(address: str, name: str) -> Sender:
    """The sender of a mail from ``address``, matched case-insensitively.

    A desk user's address means the desk user (staff answer by mail); else
    the synchronised contact with it (the lowest platform id of several),
    else the guest who wrote from it before.
    """
    address = address.strip()
    if not address:
        return Sender(address="", name=name)
    staff = (desk_users().alias(email_lower=Lower("email")).filter(email_lower=address.lower())
             .order_by("pk").first())
    if staff is not None:
        return Sender(address=address, name=name, staff=staff)
    return Sender(address=address, name=name, contact=contact_by_address(address))


def may_see(sender: Sender, ticket: Ticket) -> bool:
    """Staff see every ticket; a contact its own and its accounts' (as the portal decides); anyone the
    tickets they are copied on, for as long as they are (a contact, a guest, or nobody yet)."""
    if sender.staff is not None:
        return True
    if helpdesk_selectors.is_copied(ticket.pk, sender.address):
        return True
    contact = sender.contact
    if contact is None:
        return False
    if ticket.contact_id == contact.pk:
        return True
    return ticket.account_id is not None and contact.accounts.filter(pk=ticket.account_id).exists()


def tag_pattern() -> re.Pattern[str]:
    """``[#123]``, and ``[TAG #123]`` for the installation's EXTDESK_MAIL_TAG."""
    tag = settings.EXTDESK_MAIL_TAG
    prefix = rf"(?:{re.escape(tag)}\s*)?" if tag else ""
    return re.compile(rf"\[\s*{prefix}#(\d{{1,18}})\s*\]", re.IGNORECASE)


def tagged_ticket_ids(subject: str) -> list[int]:
    return [int(number) for number in tag_pattern().findall(subject)]


# A merged ticket points to the one it went into; merging keeps the chain one step long.
_MERGE_STEPS = 10


def _merged_into(ticket: Ticket | None) -> Ticket | None:
    """The ticket a merged ticket's conversation went on in, else the ticket itself."""
    for _step in range(_MERGE_STEPS):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.filter(pk=ticket.merged_into_id).first()
    return ticket


def threaded_ticket(sender: Sender, mail_ids: Sequence[str], subject: str) -> Ticket | None:
    """The ticket this mail answers, if any, that its sender may see.

    References are tried newest first (In-Reply-To before References, whose
    last entry is the parent), then the subject's tag (not for staff). A
    merged ticket's mail goes to the ticket it was merged into. Someone the
    helpdesk does not know answers only the tickets they are copied on.
    """
    if not sender.known and not helpdesk_selectors.is_copied_anywhere(sender.address):
        return None
    wanted = [mail_id_key(mail_id) for mail_id in mail_ids if mail_id]
    if wanted:
        tickets = dict(MailReference.objects.filter(mail_id__in=wanted).values_list("mail_id", "ticket_id"))
        for mail_id in wanted:
            if mail_id in tickets:
                ticket = _merged_into(Ticket.objects.filter(pk=tickets[mail_id]).first())
                if ticket is not None and may_see(sender, ticket):
                    return ticket
    if sender.staff is not None:
        # A From address is easily forged, and staff may answer any ticket: a
        # staff reply must answer a mail the helpdesk sent (its Message-ID is
        # random, so it cannot be guessed), never just quote a number.
        return None
    for number in tagged_ticket_ids(subject):
        ticket = _merged_into(Ticket.objects.filter(pk=number).first())
        if ticket is not None and may_see(sender, ticket):
            return ticket
    return None


def new_tickets_last_hour(address: str) -> int:
    """How many new tickets mail from ``address`` opened in the past hour."""
    since = timezone.now() - timedelta(hours=1)
    return InboundMail.objects.filter(sender_address=address.lower(), outcome=Outcome.TICKET,
                                      received_at__gte=since).count()


def refusal_explained_recently(address: str, within: timedelta = timedelta(days=1)) -> bool:
    """Whether a stranger at ``address`` was already told, within ``within``, that mail is not taken."""
    since = timezone.now() - within
    return InboundMail.objects.filter(sender_address=address.lower(), outcome=Outcome.REFUSED,
                                      reason__startswith=REFUSAL_EXPLAINED, received_at__gte=since).exists()


REFUSAL_EXPLAINED = "unknown sender; told so"
