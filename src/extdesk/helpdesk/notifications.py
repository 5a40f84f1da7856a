"""E-mail about ticket changes, queued in the transaction of the change.

Each function is called inside the transaction that makes the change: the
message is queued in the outbox with it (a rolled-back change queues
nothing) and sent once it commits; a mail server that is down delays the
message, which ``extdesk send-queued-mail`` retries, and never the change.

Every message is threaded on its ticket, so that answering it from any mail
program lands on the ticket: the subject carries the ticket's tag
(``[#123]``, ``[Support #123]`` with EXTDESK_MAIL_TAG), In-Reply-To and
References name the Message-IDs sent and received for the ticket before,
and its own Message-ID is recorded as one more (a MailReference) with the
message it reports.

A customer's mail is written in the language the contact last read the
portal in (Contact.language, empty: LANGUAGE_CODE); staff mail in
LANGUAGE_CODE, whatever the language of the request that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import tzinfo
from functools import wraps
from typing import ParamSpec, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from extdesk.contacts.models import Contact
from extdesk.outbox.identity import threadable
from extdesk.outbox.services import enqueue

from . import selectors
from .models import Channel, MailReference, Message, StaffMail, Status, Ticket
from .staff import display_name
from .wording import customer_status_label

# References names the thread's first Message-ID and this many of the
# latest: enough for any mail program to thread it, a short header still.
REFERENCES_KEPT = 10

# Sent while the mail telling a customer their ticket is resolved is written (inside the change's
# transaction), with the ``ticket``; each receiver returns lines to add (extdesk.ratings: its "Were you
# helped?" links). A signal: this package cannot import the apps that add to its mail.
resolved_mail_lines = Signal()


_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextmanager
def in_language_of(contact: Contact | None) -> Iterator[None]:
    """The contact's language while what they read is written (their mail, notes on their message);
    the site's default for anyone else."""
    code = (contact.language if contact is not None else "") or settings.LANGUAGE_CODE
    with translation.override(code):
        yield


def _staff_mail(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Staff mail in LANGUAGE_CODE: the change may come from a customer's page in another language."""

    @wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


def ticket_tag(ticket_id: int) -> str:
    """What marks mail about ticket ``ticket_id``: ``[#123]``, or ``[TAG #123]`` with EXTDESK_MAIL_TAG."""
    tag = settings.EXTDESK_MAIL_TAG
    return f"[{tag} #{ticket_id}]" if tag else f"[#{ticket_id}]"


def _absolute(path: str) -> str:
    return f"{settings.EXTDESK_BASE_URL}{path}"


def _staff_ticket_url(ticket: Ticket) -> str:
    return _absolute(reverse("desk:ticket", args=[ticket.pk]))


def _customer_ticket_url(ticket: Ticket) -> str:
    return _absolute(reverse("portal:ticket", args=[ticket.pk]))


def _staff_recipients(ticket: Ticket, about: StaffMail) -> list[str]:
    """The staff a mail ``about`` the ticket goes to, by their preferences (selectors.staff_mail_recipients):
    the assignee if they want it; while nobody is assigned, the desk users who want it then.

    Staff mail quotes customers' text, so it goes to desk users only (the
    desk's own rule), never to a customer's login that has staff rights. An
    assignee who opted out of it means nobody is mailed.
    """
    return selectors.staff_mail_recipients(about, ticket.assignee_id)


def _subject(ticket: Ticket, text: str) -> str:
    return f"{ticket_tag(ticket.pk)} {text}: {ticket.subject}"


def _thread_headers(ticket: Ticket) -> list[tuple[str, str]]:
    """In-Reply-To (the latest Message-ID of the ticket) and References (the first and the latest ones)."""
    references = MailReference.objects.filter(ticket=ticket).values_list("mail_id", flat=True)
    # One query while the thread is short; a longer one names its first mail too, fetched apart.
    latest = list(references.order_by("-created_at", "-id")[:REFERENCES_KEPT + 1])
    if len(latest) <= REFERENCES_KEPT:
        first = latest[-1:]
    else:
        latest = latest[:REFERENCES_KEPT]
        first = list(references.order_by("created_at", "id")[:1])
    chain = [mail_id for mail_id in dict.fromkeys([*first, *latest[::-1]]) if threadable(mail_id)]
    if not chain:
        return []
    return [("In-Reply-To", f"<{chain[-1]}>"), ("References", " ".join(f"<{m}>" for m in chain))]


def _send(ticket: Ticket, subject: str, lines: Sequence[str], recipients: Sequence[str], about: str, *,
          message: Message | None = None, auto_submitted: str = "auto-generated",
          thread: bool = True, copied: bool = False) -> None:
    """Queue one mail on the ticket's thread and remember its Message-ID for the replies to it.

    ``thread`` False: the ticket has no mail yet to answer (it was made in this transaction).
    ``copied``: a mail to the customer, sent with the ticket's copies in Cc
    (helpdesk.models.TicketCopy); never staff mail, nor a notice about one mail to its author.
    """
    # A savepoint inside the change's transaction: the mail and its
    # reference are written together or not at all, even for a caller without one.
    with transaction.atomic():
        headers = _thread_headers(ticket) if thread else []
        cc = selectors.copied_addresses(ticket.pk) if copied else []
        mail = enqueue(subject, "\n".join(lines), recipients, about, cc=cc, headers=headers,
                       auto_submitted=auto_submitted)
        if mail is not None:
            MailReference.objects.create(mail_id=mail.mail_id, ticket=ticket, message=message,
                                         created_at=timezone.now())


def _how_to_answer(ticket: Ticket, *, adding: bool) -> list[str]:
    """How the ticket's contact answers (``adding``: adds to it): by mail always; at the portal too,
    unless they are a guest."""
    if ticket.contact.is_guest:
        # A guest has no portal access: a link would only lead to a sign-in they cannot pass.
        return [_("Reply to this e-mail to add to it.") if adding else _("Reply to this e-mail to answer.")]
    url = _customer_ticket_url(ticket)
    return [
        (_("Reply to this e-mail to add to it, or go to %(url)s") if adding
         else _("Reply to this e-mail to answer, or go to %(url)s")) % {"url": url},
        _("(or open the helpdesk from your control panel)."),
    ]


def _staff_how_to_answer(ticket: Ticket) -> list[str]:
    return [
        f"Reply to this e-mail to answer the customer (keep {ticket_tag(ticket.pk)} in the subject),",
        f"or open the ticket on the desk: {_staff_ticket_url(ticket)}",
    ]


def _by_mail(message: Message | None) -> str:
    return " by e-mail" if message is not None and message.channel == Channel.EMAIL else ""


@_staff_mail
def ticket_created(ticket: Ticket, first: Message) -> None:
    """Tell staff of a new ticket, given as create_ticket has just written it with its first message.

    The objects in hand, not ids: a new ticket is the most frequent write of
    the mail channel, and its relations are the ones it was made with.
    """
    lines = [f"{ticket.contact.display_name} <{ticket.contact.email}> filed a new ticket{_by_mail(first)}."]
    if ticket.contact.is_guest:
        lines.append("They are a guest: known by this address only, with no customer account.")
    lines += [
        f"Account: {ticket.account or '-'}",
        f"Priority: {ticket.get_priority_display()}",
        f"Category: {ticket.category or '-'}",
        "",
        first.body,
        "",
        *_staff_how_to_answer(ticket),
    ]
    # Nothing was sent or received for a ticket made just now: no thread to name.
    _send(ticket, _subject(ticket, "New ticket"), lines, _staff_recipients(ticket, StaffMail.NEW_TICKET),
          f"new ticket {ticket.reference}", message=first, thread=False)


@_staff_mail
def customer_replied(message_id: int) -> None:
    message = Message.objects.select_related("ticket__assignee", "author_contact").get(pk=message_id)
    ticket = message.ticket
    lines = [f"{message.author_name} replied{_by_mail(message)}:", "", message.body, "",
             *_staff_how_to_answer(ticket)]
    _send(ticket, _subject(ticket, "Customer reply"), lines,
          _staff_recipients(ticket, StaffMail.CUSTOMER_REPLY),
          f"the customer reply on {ticket.reference}", message=message)


def staff_replied(message_id: int) -> None:
    message = (Message.objects.select_related("ticket__contact", "author_user__staff_profile")
               .get(pk=message_id))
    if message.is_internal:
        return
    ticket = message.ticket
    with in_language_of(ticket.contact):
        lines = [
            _("Hello %(name)s,") % {"name": ticket.contact.display_name},
            "",
            # The name the customer knows the agent by; never the login name.
            _("%(agent)s answered your ticket %(reference)s:") % {
                "agent": message.public_author_name, "reference": ticket.reference},
            "",
            message.body,
            "",
            *_how_to_answer(ticket, adding=False),
        ]
        subject = _subject(ticket, _("New reply"))
    _send(ticket, subject, lines, [ticket.contact.email],
          f"the staff reply on {ticket.reference}", message=message, copied=True)


def status_changed(ticket_id: int, old: str, new: str) -> None:
    ticket = Ticket.objects.select_related("contact").get(pk=ticket_id)
    with in_language_of(ticket.contact):
        lines = [
            _("Hello %(name)s,") % {"name": ticket.contact.display_name},
            "",
            _("Your ticket %(reference)s is now %(new)s (it was %(old)s).") % {
                "reference": ticket.reference, "new": _in_sentence(customer_status_label(new)),
                "old": _in_sentence(customer_status_label(old))},
            "",
        ]
        contact_lines: list[str] = []
        if new == Status.RESOLVED:
            # The receivers write their lines in the contact's language too.
            for _receiver, extra in resolved_mail_lines.send(sender=Ticket, ticket=ticket):
                contact_lines += [*cast(list[str], extra), ""]
        answer = _how_to_answer(ticket, adding=True)
        subject = _subject(ticket, _("Status: %(status)s") % {"status": customer_status_label(new)})
    about = f"the status change of {ticket.reference}"
    if not contact_lines:
        _send(ticket, subject, [*lines, *answer], [ticket.contact.email], about, copied=True)
        return
    # What the resolution adds (the rating's signed links) is the contact's alone: the copies
    # get the same news in a mail of their own, without it.
    _send(ticket, subject, [*lines, *contact_lines, *answer], [ticket.contact.email], about)
    copies = selectors.copied_addresses(ticket.pk)
    if copies:
        _send(ticket, subject, [*lines, *answer], copies, f"{about}, to its copies")


def _in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter small, the rest as it is (German keeps its nouns)."""
    return label[:1].lower() + label[1:]


def _not_stored(refused: Sequence[object]) -> list[str]:
    if not refused:
        return []
    return [
        "",
        _("These attachments were not stored:"),
        *(f"- {entry}" for entry in refused),
        _("Please send them another way, or smaller ones."),
    ]


def acknowledge(ticket_id: int, *, refused: Sequence[object] = ()) -> None:
    """Tell the contact that their mail opened ticket ``ticket_id``, and how to add to it.

    ``refused`` are the attachments not stored, each a sentence of its own in the active language
    as ``str`` makes it ("big.iso (30.0 MB; the limit is 10.0 MB)"). Whether to acknowledge at
    all (EXTDESK_MAIL_ACKNOWLEDGE, automatic mail) is the caller's choice.
    """
    ticket = Ticket.objects.select_related("contact").get(pk=ticket_id)
    first = ticket.messages.order_by("created_at", "id").first()
    tag = ticket_tag(ticket.pk)
    with in_language_of(ticket.contact):
        lines = [
            _("Hello %(name)s,") % {"name": ticket.contact.display_name},
            "",
            _("We have received your message and filed it as ticket %(reference)s:") % {
                "reference": ticket.reference},
            _("“%(subject)s”. We will answer you by e-mail.") % {"subject": ticket.subject},
            "",
            _("To add to it, reply to this e-mail, keeping %(tag)s in the subject.") % {"tag": tag},
        ]
        if not ticket.contact.is_guest:
            lines += [_("You can also follow it at %(url)s") % {"url": _customer_ticket_url(ticket)},
                      _("(or open the helpdesk from your control panel).")]
        lines += _not_stored(refused)
        subject = _("%(tag)s Received: %(subject)s") % {"tag": tag, "subject": ticket.subject}
    # auto-replied: this answers their mail (RFC 3834); their autoresponder must not answer it back.
    _send(ticket, subject, lines, [ticket.contact.email],
          f"the acknowledgement of {ticket.reference}", message=first, auto_submitted="auto-replied",
          copied=True)


def attachments_refused(message_id: int, refused: Sequence[object]) -> None:
    """Tell the author of a mailed message which of its attachments were not stored."""
    if not refused:
        return
    message = Message.objects.select_related("ticket", "author_contact", "author_user").get(pk=message_id)
    ticket = message.ticket
    author = message.author_contact or message.author_user
    address = author.email if author is not None else ""
    # A contact's in their language; a staff member's (who mailed from their address) in the default.
    with in_language_of(message.author_contact):
        lines = [
            _("Hello %(name)s,") % {"name": message.author_name},
            "",
            _("Your message was added to ticket %(reference)s (“%(subject)s”),") % {
                "reference": ticket.reference, "subject": ticket.subject},
            _("but not all of its attachments were."),
            *_not_stored(refused),
        ]
        subject = _subject(ticket, _("Attachments not stored"))
    _send(ticket, subject, lines, [address],
          f"the attachments refused on {ticket.reference}", message=message, auto_submitted="auto-replied")


def ticket_merged(source_id: int, target_id: int) -> None:
    """Tell the contact of ticket ``source_id`` that it goes on as ``target_id``: one mail, target's thread.

    The merge rules give both tickets the same contact or the same account, so
    the contact of either is a guest (who has no account) only if both are.
    """
    source = Ticket.objects.select_related("contact").get(pk=source_id)
    target = Ticket.objects.get(pk=target_id)
    names = {"source": source.reference, "source_subject": source.subject,
             "target": target.reference, "target_subject": target.subject}
    with in_language_of(source.contact):
        lines = [
            _("Hello %(name)s,") % {"name": source.contact.display_name},
            "",
            _("Your ticket %(source)s (“%(source_subject)s”) has been merged into ticket") % names,
            _("%(target)s (“%(target_subject)s”), which now holds its whole conversation.") % names,
            _("%(source)s is closed; we will go on in %(target)s.") % names,
            "",
            *_how_to_answer(target, adding=True),
        ]
        subject = _subject(target, _("Merged with %(source)s") % names)
    _send(target, subject, lines, [source.contact.email],
          f"the merge of {source.reference} into {target.reference}", copied=True)


def closed_unanswered(ticket_id: int, days: int) -> None:
    """Tell the contact that their resolved ticket was closed, nobody having answered it for ``days`` days."""
    ticket = Ticket.objects.select_related("contact").get(pk=ticket_id)
    with in_language_of(ticket.contact):
        lines = [
            _("Hello %(name)s,") % {"name": ticket.contact.display_name},
            "",
            ngettext("Your ticket %(reference)s (“%(subject)s”) was resolved %(days)d day ago",
                     "Your ticket %(reference)s (“%(subject)s”) was resolved %(days)d days ago", days) % {
                "reference": ticket.reference, "subject": ticket.subject, "days": days},
            _("and has had no reply since, so we have closed it."),
            "",
            _("If the problem is back, or not solved after all, reply to this e-mail to reopen it."),
        ]
        if not ticket.contact.is_guest:
            # A guest has no portal access: the mail is their only way back.
            lines += [_("You can also reopen it at %(url)s") % {"url": _customer_ticket_url(ticket)},
                      _("(or open the helpdesk from your control panel).")]
        subject = _subject(ticket, _("Closed"))
    _send(ticket, subject, lines, [ticket.contact.email],
          f"the automatic closing of {ticket.reference}", copied=True)


# What each escalation step tells staff, by target and step (extdesk.helpdesk.models.Escalation).
_ESCALATION_TEXT = {
    ("first_response", 1): ("First response due soon", "is close to its first-response target"),
    ("first_response", 2): ("First response overdue", "has missed its first-response target"),
    ("resolution", 1): ("Resolution due soon", "is close to its resolution target"),
    ("resolution", 2): ("Resolution overdue", "has missed its resolution target"),
}


@_staff_mail
def escalated(ticket_id: int, target: str, step: int, *, zone: tzinfo) -> bool:
    """Tell the assignee (nobody assigned: the desk users who want escalations of unassigned tickets)
    that a target is at 80 % (step 1) or missed (step 2); ``target`` is "first_response" or
    "resolution", the due time is given in ``zone`` (the business calendar's). False when nobody was
    told (nobody could be, or nobody wanted to)."""
    ticket = Ticket.objects.select_related("contact", "assignee").get(pk=ticket_id)
    title, sentence = _ESCALATION_TEXT[(target, step)]
    due = ticket.first_response_due_at if target == "first_response" else ticket.resolution_due_at
    recipients = _staff_recipients(ticket, StaffMail.ESCALATION)
    nobody = "nobody (so the staff who asked for these are told)"
    lines = [
        f"Ticket {ticket.reference} (“{ticket.subject}”) {sentence}.",
        "",
        f"Due: {due.astimezone(zone):%Y-%m-%d %H:%M} ({zone})" if due else "Due: now",
        f"Priority: {ticket.get_priority_display()}",
        f"Customer: {ticket.contact.display_name} <{ticket.contact.email}>",
        f"Assigned to: {display_name(ticket.assignee) if ticket.assignee else nobody}",
        "",
        *_staff_how_to_answer(ticket),
    ]
    _send(ticket, _subject(ticket, title), lines, recipients, f"the escalation of {ticket.reference}")
    return bool(recipients)
