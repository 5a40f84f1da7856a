"""Copies (Cc) of the customer's mail, as a real SMTP server receives them."""

from __future__ import annotations

import pytest

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Status
from extdesk.outbox.services import enqueue
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.outbox.smtp import send_to_loopback_smtp, smtp_server


@pytest.mark.django_db(transaction=True)
def test_the_customers_mail_reaches_the_copies_by_cc_header_and_rcpt_to_and_notes_and_staff_mail_do_not(
        settings):
    port = send_to_loopback_smtp(settings)
    contact = make_contact("acme", email="ann@example.com")
    staff = make_staff(password=None)
    with smtp_server(port) as received:
        ticket = make_ticket(contact)
        services.add_copy(ticket, "Bea@example.net", actor=contact)
        services.add_copy(ticket, "carl@example.net", actor=staff)
        services.reply(ticket, author=staff, body="Staff only, this one.", internal=True)
        services.reply(ticket, author=contact, body="Any news?")
        services.reply(ticket, author=staff, body="Fixed.", then_status=Status.RESOLVED)
    sent = list(zip(received.messages, received.recipients, received.bodies(), strict=True))
    to_staff = [(message, rcpt_to) for message, rcpt_to, _ in sent if message["To"] == "agent@example.com"]
    to_customer = [entry for entry in sent if entry[0]["To"] == "ann@example.com"]
    to_copies = [entry for entry in sent if entry[0]["To"] == "Bea@example.net, carl@example.net"]
    # The new ticket and the customer's reply to staff; the staff reply and the status change (never
    # the note) to the customer; the resolution to the copies in a mail of their own.
    assert len(sent) == 5 and len(to_staff) == 2 and len(to_customer) == 2 and len(to_copies) == 1
    for message, rcpt_to in to_staff:
        assert message["Cc"] is None and rcpt_to == ["agent@example.com"]
    (reply, reply_to, _), (resolved, resolved_to, resolved_body) = to_customer
    assert reply["Cc"] == "Bea@example.net, carl@example.net"
    assert sorted(reply_to) == ["Bea@example.net", "ann@example.com", "carl@example.net"]
    # The rating's signed links are the customer's alone: never copied.
    assert resolved["Cc"] is None and resolved_to == ["ann@example.com"] and "/rate/" in resolved_body
    copies, copies_to, copies_body = to_copies[0]
    assert copies["Cc"] is None and sorted(copies_to) == ["Bea@example.net", "carl@example.net"]
    assert copies["Subject"] == resolved["Subject"] and "/rate/" not in copies_body
    assert copies["In-Reply-To"]
    assert not any("Staff only" in body for body in received.bodies())


@pytest.mark.django_db(transaction=True)
def test_enqueue_names_each_copy_once_and_never_a_recipient_again(settings):
    port = send_to_loopback_smtp(settings)
    with smtp_server(port) as received:
        mail = enqueue("Hello", "Text", ["ann@example.com"], "a test",
                       cc=["ANN@example.com", "bea@example.net", "Bea@Example.net", ""])
    assert mail is not None and mail.cc == ["bea@example.net"]
    assert received.messages[0]["Cc"] == "bea@example.net"
    assert sorted(received.recipients[0]) == ["ann@example.com", "bea@example.net"]


@pytest.mark.django_db(transaction=True)
def test_a_recipient_spelled_twice_in_other_cases_gets_one_mail(settings):
    port = send_to_loopback_smtp(settings)
    with smtp_server(port) as received:
        mail = enqueue("Hello", "Text", ["support@example.com", "Support@Example.com", "", "ops@example.com"],
                       "a test")
    assert mail is not None and mail.recipients == ["ops@example.com", "support@example.com"]
    assert sorted(received.recipients[0]) == ["ops@example.com", "support@example.com"]
