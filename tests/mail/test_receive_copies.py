"""Copies (Cc) by mail: who a new ticket or the contact's reply copies, and the copied people's answers."""

from __future__ import annotations

import pytest

from extdesk.contacts.models import Contact
from extdesk.helpdesk import services as helpdesk
from extdesk.helpdesk.models import CopyWay, EventKind, MailReference, Status, Ticket
from extdesk.helpdesk.selectors import copied_addresses
from extdesk.helpdesk.services import MAX_COPIES
from extdesk.mail.models import InboundMail, Outcome
from extdesk.mail.services import receive
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db


def _latest_sent_to(address: str, ticket: Ticket) -> str:
    """The Message-ID of the newest mail sent to ``address`` (as recipient or Cc) about ``ticket``."""
    ids = set(MailReference.objects.filter(ticket=ticket).values_list("mail_id", flat=True))
    for outgoing in OutgoingMail.objects.order_by("-pk"):
        if outgoing.mail_id in ids and address in [*outgoing.recipients, *outgoing.cc]:
            return outgoing.mail_id
    raise AssertionError(f"nothing was sent to {address}")


@pytest.fixture
def ann(settings):
    settings.DEFAULT_FROM_EMAIL = "Example Support <support@example.com>"
    return make_contact("Acme", email="ann@example.com")


def test_a_new_ticket_copies_its_cc_and_to_but_not_the_helpdesk_staff_nor_the_sender(ann, settings):
    make_staff(email="Agent@Example.com", password=None)
    settings.EXTDESK_INBOXES = [type("Inbox", (), {"user": "help@example.org"})()]
    receipt = receive(mail(
        sender="Ann <ann@example.com>",
        to="Support <SUPPORT@example.com>, Help <help@example.org>, Carl <carl@example.net>",
        headers=[("Cc", "Bea <bea@example.net>, agent@example.com, ANN@example.com, Bea@Example.net")],
    ), source="pipe")
    ticket = Ticket.objects.get(pk=receipt.ticket_id)
    assert copied_addresses(ticket.pk) == ["bea@example.net", "carl@example.net"]
    assert set(ticket.copies.values_list("how", flat=True)) == {CopyWay.MAIL}
    assert list(ticket.copies.values_list("added_by_contact", flat=True)) == [ann.pk, ann.pk]
    assert list(ticket.events.filter(kind=EventKind.COPY_ADDED).values_list("new_value", flat=True)) == [
        "bea@example.net", "carl@example.net"]
    # The acknowledgement goes to Ann with the copies in Cc; staff's new-ticket mail has no Cc.
    acknowledgement = OutgoingMail.objects.get(about__startswith="the acknowledgement")
    assert acknowledgement.recipients == ["ann@example.com"]
    assert acknowledgement.cc == ["bea@example.net", "carl@example.net"]
    assert OutgoingMail.objects.get(about__startswith="new ticket").cc == []


def test_an_automatic_mail_copies_nobody(ann):
    receipt = receive(mail(headers=[("Cc", "bea@example.net"), ("Auto-Submitted", "auto-replied")]),
                      source="pipe")
    assert copied_addresses(receipt.ticket_id) == []


def test_a_new_ticket_copies_at_most_the_cap(ann):
    named = ", ".join(f"person{n}@example.net" for n in range(MAX_COPIES + 3))
    receipt = receive(mail(headers=[("Cc", named)]), source="pipe")
    assert copied_addresses(receipt.ticket_id) == [f"person{n}@example.net" for n in range(MAX_COPIES)]


def test_the_contacts_reply_adds_copies_and_a_copied_persons_reply_adds_none(ann):
    ticket = make_ticket(ann)
    helpdesk.reply(ticket, author=make_staff(password=None), body="Which domain?")
    receive(mail(subject="Re: Mail is down", in_reply_to=_latest_sent_to("ann@example.com", ticket),
                 headers=[("Cc", "bea@example.net")]), source="pipe")
    assert copied_addresses(ticket.pk) == ["bea@example.net"]
    # Bea answers the staff reply she got in Cc, copying Dan: her mail lands on the ticket, Dan is not copied.
    other = make_staff("other", email="other@example.com", password=None)
    helpdesk.reply(ticket, author=other, body="Thanks")
    receipt = receive(mail(sender="Bea <bea@example.net>", subject="Re: whatever",
                           in_reply_to=_latest_sent_to("bea@example.net", ticket),
                           headers=[("Cc", "dan@example.net")]), source="pipe")
    assert receipt.outcome == Outcome.REPLY and receipt.ticket_id == ticket.pk
    assert copied_addresses(ticket.pk) == ["bea@example.net"]
    message = ticket.messages.order_by("created_at", "pk").last()
    # Bea was unknown: she writes as a guest, whose own tickets are none.
    assert message.author_contact.is_guest and message.author_contact.email == "bea@example.net"
    assert not Ticket.objects.filter(contact=message.author_contact).exists()


def test_a_copied_persons_tagged_answer_reopens_the_closed_ticket_as_the_contacts_would(ann):
    bea = make_contact(email="bea@example.net")
    ticket = make_ticket(ann)
    staff = make_staff(password=None)
    helpdesk.add_copy(ticket, "bea@example.net", actor=staff)
    helpdesk.update_properties(ticket, actor=staff, status=Status.CLOSED)
    receipt = receive(mail(sender="bea@example.net", subject=f"Re: [#{ticket.pk}] it broke again"),
                      source="pipe")
    assert receipt.outcome == Outcome.REPLY and receipt.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.messages.order_by("created_at", "pk").last().author_contact == bea
    assert ticket.events.filter(kind=EventKind.STATUS, actor_contact=bea).exists()


def test_a_stranger_and_a_removed_copy_are_never_threaded(ann):
    ticket = make_ticket(ann)
    staff = make_staff(password=None)
    helpdesk.add_copy(ticket, "bea@example.net", actor=staff)
    helpdesk.reply(ticket, author=staff, body="Looking into it.")
    sent_to_bea = _latest_sent_to("bea@example.net", ticket)
    stranger = receive(mail(sender="eve@example.net", subject=f"Re: [#{ticket.pk}]", in_reply_to=sent_to_bea),
                       source="pipe")
    assert stranger.outcome == Outcome.TICKET and stranger.ticket_id != ticket.pk
    helpdesk.remove_copy(ticket, "BEA@example.net", actor=staff)
    removed = receive(mail(sender="bea@example.net", subject=f"Re: [#{ticket.pk}]", in_reply_to=sent_to_bea),
                      source="pipe")
    assert removed.outcome == Outcome.TICKET and removed.ticket_id != ticket.pk
    assert Ticket.objects.get(pk=removed.ticket_id).contact.email == "bea@example.net"


def test_a_copied_person_is_threaded_even_when_strangers_are_refused(ann, settings):
    settings.EXTDESK_MAIL_UNKNOWN_SENDERS = "reject"
    ticket = make_ticket(ann)
    helpdesk.add_copy(ticket, "bea@example.net", actor=ann)
    receipt = receive(mail(sender="bea@example.net", subject=f"Re: [#{ticket.pk}] details"), source="pipe")
    assert receipt.outcome == Outcome.REPLY and receipt.ticket_id == ticket.pk
    assert InboundMail.objects.get(pk=receipt.inbound_id).contact.email == "bea@example.net"
    assert Contact.objects.filter(email="bea@example.net", platform_id__isnull=True).count() == 1
