"""Storing incoming mail through the one service behind receive-mail and fetch-mail."""

from __future__ import annotations

import pytest
from django.utils import timezone

from extdesk.contacts import services as contact_services
from extdesk.contacts.models import Contact
from extdesk.helpdesk import services as helpdesk
from extdesk.helpdesk.models import Channel, MailReference, Message, Status, Ticket
from extdesk.helpdesk.selectors import contact_tickets
from extdesk.mail.exceptions import NotAMail
from extdesk.mail.models import InboundMail, Outcome
from extdesk.mail.services import delete_held, receive, release_held
from extdesk.outbox.identity import installation_token
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db


def _mail_to(address: str) -> list[OutgoingMail]:
    return [m for m in OutgoingMail.objects.order_by("pk") if address in m.recipients]


def test_a_known_contacts_mail_opens_a_ticket_in_their_name_and_is_acknowledged():
    contact = make_contact("Acme", email="ann@example.com")
    receipt = receive(mail(sender="Ann <ANN@Example.com>", subject="Mail is down",
                           message_id="first@client.example.com"), source="pipe")
    assert receipt.outcome == Outcome.TICKET and not receipt.duplicate
    ticket = Ticket.objects.get(pk=receipt.ticket_id)
    assert ticket.contact == contact
    assert ticket.account.name == "Acme"
    assert ticket.subject == "Mail is down"
    message = ticket.messages.get()
    assert message.channel == Channel.EMAIL
    assert message.body == "Since this morning no mail arrives."
    assert message.inbound_mail.pk == receipt.inbound_id
    assert [t.pk for t in contact_tickets(contact)] == [ticket.pk]
    assert MailReference.objects.filter(mail_id="first@client.example.com", ticket=ticket).exists()
    acknowledgement = _mail_to("ann@example.com")
    assert len(acknowledgement) == 1
    assert f"#{ticket.pk}" in acknowledgement[0].subject


def test_a_contact_of_several_accounts_gets_a_ticket_about_none_of_them():
    make_contact("Acme", "Beta", email="ann@example.com")
    receipt = receive(mail(), source="pipe")
    assert Ticket.objects.get(pk=receipt.ticket_id).account is None


def test_the_lowest_platform_id_of_several_contacts_with_one_address_is_the_sender():
    first = make_contact(email="ann@example.com")
    make_contact(email="Ann@example.com")
    receipt = receive(mail(), source="pipe")
    assert Ticket.objects.get(pk=receipt.ticket_id).contact == first


def test_an_unknown_senders_mail_opens_a_guest_ticket_that_the_platform_contact_later_takes_over():
    receipt = receive(mail(sender="Bob Stranger <bob@example.net>", subject="Can you host me?"),
                      source="pipe")
    ticket = Ticket.objects.get(pk=receipt.ticket_id)
    guest = ticket.contact
    assert guest.is_guest and guest.user is None
    assert guest.email == "bob@example.net" and guest.display_name == "Bob Stranger"
    # A second mail from the guest lands on the same guest.
    again = receive(mail(sender="bob@example.net", subject="Second question"), source="pipe")
    assert Ticket.objects.get(pk=again.ticket_id).contact == guest
    # The guest is no synchronised contact.
    from extdesk.contacts.selectors import iter_platform_ids
    assert list(iter_platform_ids()) == []

    changed = contact_services.alter_contacts([{"id": 77, "email": "BOB@example.net", "first_name": "Bob"}])
    assert changed == 1
    contact = Contact.objects.get(platform_id=77)
    assert not Contact.objects.filter(pk=guest.pk).exists()
    assert set(contact.tickets.values_list("pk", flat=True)) == {receipt.ticket_id, again.ticket_id}
    assert Message.objects.filter(author_contact=contact).count() == 2
    assert ticket.events.filter(actor_contact=contact).exists()


def test_reject_mode_stores_nothing_and_explains_once_a_day(settings):
    settings.EXTDESK_MAIL_UNKNOWN_SENDERS = "reject"
    first = receive(mail(sender="bob@example.net", subject="Hello"), source="pipe")
    second = receive(mail(sender="bob@example.net", subject="Hello again"), source="pipe")
    assert first.outcome == second.outcome == Outcome.REFUSED
    assert not Ticket.objects.exists() and not Contact.objects.exists()
    assert not any(record.raw for record in InboundMail.objects.all())
    assert len(_mail_to("bob@example.net")) == 1
    # A known contact is still taken in.
    make_contact(email="ann@example.com")
    assert receive(mail(), source="pipe").outcome == Outcome.TICKET


def _notification_id(ticket: Ticket) -> str:
    """The Message-ID of the newest mail the helpdesk sent about ``ticket``."""
    return MailReference.objects.filter(ticket=ticket).exclude(
        mail_id__in=InboundMail.objects.values("mail_id")).latest("created_at", "pk").mail_id


def test_an_answer_to_a_notification_is_a_reply_showing_only_the_new_text():
    contact = make_contact(email="ann@example.com")
    ticket = make_ticket(contact)
    staff = make_staff()
    helpdesk.reply(ticket, author=staff, body="Please restart the router.")
    notification = _notification_id(ticket)
    body = ("It works again, thanks!\n\n-- \nAnn\n\n"
            "On Tue, 1 Dec 2026 at 10:00, Helpdesk <support@example.com> wrote:\n"
            "> Please restart the router.\n")
    receipt = receive(mail(subject="Re: whatever the subject became", in_reply_to=notification,
                           references=[notification], body=body), source="pipe")
    assert receipt.outcome == Outcome.REPLY and receipt.ticket_id == ticket.pk
    reply = ticket.messages.order_by("created_at", "pk").last()
    assert reply.author_contact == contact and reply.channel == Channel.EMAIL
    assert reply.body == "It works again, thanks!"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_an_outlook_forward_sent_into_a_ticket_keeps_the_forwarded_mail_on_the_ticket():
    contact = make_contact(email="ann@example.com")
    ticket = make_ticket(contact)
    body = ("The registrar wrote this today.\n\n________________________________\n"
            "From: Registrar <notice@registrar.example>\nSent: Tuesday, 1 December 2026 09:00\n"
            "To: Ann <ann@example.com>\nSubject: Transfer of example.com\n\n"
            "The transfer of example.com was refused: wrong auth code.\n")
    receipt = receive(mail(subject=f"FW: [#{ticket.pk}] Domain transfer", body=body), source="pipe")
    assert receipt.outcome == Outcome.REPLY and receipt.ticket_id == ticket.pk
    forwarded = ticket.messages.order_by("created_at", "pk").last()
    assert forwarded.body.startswith("The registrar wrote this today.")
    assert forwarded.body.endswith("The transfer of example.com was refused: wrong auth code.")


def test_the_subject_tag_threads_a_contacts_mail_but_never_a_strangers():
    contact = make_contact(email="ann@example.com")
    ticket = make_ticket(contact)
    reply = receive(mail(subject=f"Re: [#{ticket.pk}] Mail is down", body="Still broken."), source="pipe")
    assert reply.outcome == Outcome.REPLY and reply.ticket_id == ticket.pk
    stranger = receive(mail(sender="eve@example.net", subject=f"Re: [#{ticket.pk}] Mail is down",
                            body="Give me the password."), source="pipe")
    assert stranger.outcome == Outcome.TICKET and stranger.ticket_id != ticket.pk
    assert not ticket.messages.filter(body__contains="password").exists()


def test_a_strangers_reply_naming_someone_elses_message_id_is_a_new_ticket():
    ticket = make_ticket(make_contact(email="ann@example.com"))
    helpdesk.reply(ticket, author=make_staff(), body="Your password is in the panel.")
    receipt = receive(mail(sender="eve@example.net", in_reply_to=_notification_id(ticket)), source="pipe")
    assert receipt.outcome == Outcome.TICKET and receipt.ticket_id != ticket.pk


def test_the_installation_tag_threads_and_a_member_of_the_tickets_account_may_reply(settings):
    settings.EXTDESK_MAIL_TAG = "Support"
    ticket = make_ticket(make_contact("Acme", email="ann@example.com"))
    colleague = make_contact("Acme", email="carl@example.com")
    receipt = receive(mail(sender="carl@example.com", subject=f"Re: [Support #{ticket.pk}] Mail is down"),
                      source="pipe")
    assert receipt.outcome == Outcome.REPLY and receipt.ticket_id == ticket.pk
    assert ticket.messages.order_by("pk").last().author_contact == colleague


def test_staff_answer_by_mail_publicly_and_their_out_of_office_stays_internal():
    contact = make_contact(email="ann@example.com")
    staff = make_staff(email="Agent@Example.com")
    ticket = make_ticket(contact)
    notification = _notification_id(ticket)
    receipt = receive(mail(sender="agent@example.com", in_reply_to=notification,
                           body="Restart the router, please."), source="pipe")
    assert receipt.outcome == Outcome.REPLY
    answer = ticket.messages.order_by("pk").last()
    assert answer.author_user == staff and not answer.is_internal
    assert any("Restart the router" in m.body for m in _mail_to("ann@example.com"))
    sent_before = OutgoingMail.objects.count()
    receive(mail(sender="agent@example.com", in_reply_to=notification, body="I am away until Monday.",
                 headers=[("Auto-Submitted", "auto-replied")]), source="pipe")
    away = ticket.messages.order_by("pk").last()
    assert away.author_user == staff and away.is_internal
    assert OutgoingMail.objects.count() == sent_before


def test_the_same_mail_delivered_twice_is_stored_once_even_with_other_trace_headers():
    make_contact(email="ann@example.com")
    original = mail(message_id="once@client.example.com")
    first = receive(original, source="pipe")
    relayed = (b"Received: from mx2.example.com by mx.example.com; Tue, 1 Dec 2026 10:00:00 +0000\r\n"
               b"Delivered-To: support@example.com\r\n" + original.replace(b"\n", b"\r\n"))
    second = receive(relayed, source="imaps://support@mail.example.com:993/INBOX")
    assert second.duplicate and second.inbound_id == first.inbound_id
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1
    # The same Message-ID with other content is another mail.
    other = receive(mail(message_id="once@client.example.com", body="Something else entirely."),
                    source="pipe")
    assert not other.duplicate and Ticket.objects.count() == 2


def test_an_automatic_mail_is_stored_without_an_acknowledgement():
    make_contact(email="ann@example.com")
    receipt = receive(mail(headers=[("Precedence", "bulk")]), source="pipe")
    assert receipt.outcome == Outcome.TICKET
    assert _mail_to("ann@example.com") == []
    assert "Precedence" in InboundMail.objects.get().reason


def test_an_automatic_answer_to_a_closed_ticket_does_not_reopen_it():
    contact = make_contact(email="ann@example.com")
    ticket = make_ticket(contact)
    helpdesk.update_properties(ticket, actor=make_staff(), status=Status.CLOSED)
    receipt = receive(mail(in_reply_to=_notification_id(ticket), body="I am on holiday.",
                           headers=[("Auto-Submitted", "auto-replied")]), source="pipe")
    assert receipt.outcome == Outcome.DROPPED
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.messages.count() == 1
    # A person's answer reopens it.
    again = receive(mail(subject=f"Re: [#{ticket.pk}]", body="It is broken again."), source="pipe")
    ticket.refresh_from_db()
    assert again.outcome == Outcome.REPLY and ticket.status == Status.OPEN


def test_spam_is_held_until_staff_release_it_or_delete_it(django_capture_on_commit_callbacks):
    make_contact(email="ann@example.com")
    staff = make_staff()
    held = receive(mail(subject="Cheap pills", headers=[("X-Spam-Flag", "YES")]), source="pipe")
    assert held.outcome == Outcome.HELD and not Ticket.objects.exists()
    record = InboundMail.objects.get(pk=held.inbound_id)
    assert record.raw and "spam" in record.reason
    released = release_held(record.pk, by=staff)
    assert released.outcome == Outcome.TICKET and released.decided_by == staff
    assert Ticket.objects.get().subject == "Cheap pills"

    other = receive(mail(subject="More pills", headers=[("X-Spam-Flag", "YES")]), source="pipe")
    stored = InboundMail.objects.get(pk=other.inbound_id)
    path = stored.raw.path
    with django_capture_on_commit_callbacks(execute=True):
        delete_held(stored.pk, by=staff)
    stored.refresh_from_db()
    assert stored.outcome == Outcome.DELETED and not stored.raw
    import os
    assert not os.path.exists(path)
    from extdesk.helpdesk.exceptions import InvalidInput
    with pytest.raises(InvalidInput):
        release_held(stored.pk, by=staff)
    # The deleted mail, delivered again, is not taken in again.
    again = receive(mail(subject="More pills", headers=[("X-Spam-Flag", "YES")],
                         message_id=stored.mail_id), source="pipe")
    assert Ticket.objects.count() == 1
    assert again.outcome in (Outcome.DELETED, Outcome.HELD)


def test_more_new_tickets_an_hour_than_the_limit_are_held(settings):
    settings.EXTDESK_MAIL_MAX_NEW_PER_HOUR = 3
    make_contact(email="ann@example.com")
    outcomes = [receive(mail(subject=f"Number {n}"), source="pipe").outcome for n in range(5)]
    assert outcomes == [Outcome.TICKET] * 3 + [Outcome.HELD] * 2
    assert "more than 3 new tickets" in InboundMail.objects.filter(outcome=Outcome.HELD).first().reason
    # Replies are never held by the limit.
    ticket = Ticket.objects.order_by("pk").first()
    assert receive(mail(subject=f"Re: [#{ticket.pk}]"), source="pipe").outcome == Outcome.REPLY


def test_a_strangers_flood_is_held_too(settings):
    # Their first mail makes the guest; the count starts there.
    settings.EXTDESK_MAIL_MAX_NEW_PER_HOUR = 2
    outcomes = [receive(mail(sender="flood@example.net", subject=f"Buy {n}"), source="pipe").outcome
                for n in range(4)]
    assert outcomes == [Outcome.TICKET] * 2 + [Outcome.HELD] * 2
    assert Ticket.objects.filter(contact__email="flood@example.net").count() == 2


def test_the_helpdesks_own_mail_coming_back_is_dropped():
    make_contact(email="ann@example.com")
    receipt = receive(mail(sender="support@example.com",
                           headers=[("X-Extdesk-Mail", f"{installation_token()} 12"),
                                    ("Auto-Submitted", "auto-generated")]), source="pipe")
    assert receipt.outcome == Outcome.OWN
    assert not Ticket.objects.exists()


def _delivery_report(original_id: str, recipient: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
        "To: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.example.com>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: support@example.com\r\nTo: {recipient}\r\nMessage-ID: <{original_id}>\r\n"
        "Subject: [#1] New reply\r\n"
        "--b1--\r\n"
    ).encode()


def test_a_delivery_report_is_recorded_against_the_mail_it_bounces_not_as_a_ticket():
    contact = make_contact(email="ann@example.com")
    ticket = make_ticket(contact)
    helpdesk.reply(ticket, author=make_staff(), body="An answer.")
    outgoing = _mail_to("ann@example.com")[-1]
    receipt = receive(_delivery_report(outgoing.mail_id, "ann@example.com"), source="pipe")
    assert receipt.outcome == Outcome.BOUNCE
    outgoing.refresh_from_db()
    assert outgoing.bounced_at is not None and "5.1.1" in outgoing.bounce
    assert outgoing.state == "bounced"
    assert ticket.messages.count() == 2
    assert InboundMail.objects.get(pk=receipt.inbound_id).bounced == outgoing
    # A report about no mail of ours is recorded and dropped too.
    stray = receive(_delivery_report("unknown@elsewhere", "x@example.org").replace(b"dsn1", b"dsn2"),
                    source="pipe")
    assert stray.outcome == Outcome.BOUNCE and Ticket.objects.count() == 1


def test_an_attachment_over_the_limit_is_left_out_noted_and_told(settings):
    settings.EXTDESK_ATTACHMENT_MAX_BYTES = 1000
    make_contact(email="ann@example.com")
    receipt = receive(mail(attachments=[("small.txt", b"small file", "text/plain"),
                                        ("big.bin", b"x" * 5000, "application/octet-stream")]),
                      source="pipe")
    assert receipt.outcome == Outcome.TICKET
    message = Ticket.objects.get().messages.get()
    assert [a.original_name for a in message.attachments.all()] == ["small.txt"]
    with message.attachments.get().file.open("rb") as handle:
        assert handle.read() == b"small file"
    assert "big.bin" in message.body and "not stored" in message.body
    (acknowledgement,) = _mail_to("ann@example.com")
    assert "big.bin" in acknowledgement.body


def test_what_was_left_out_is_said_in_the_senders_language_on_the_ticket_and_in_the_mail(settings):
    settings.EXTDESK_ATTACHMENT_MAX_BYTES = 1000
    settings.EXTDESK_ATTACHMENT_MAX_COUNT = 1
    contact = make_contact(email="jan@example.com")
    Contact.objects.filter(pk=contact.pk).update(language="de")
    receive(mail(sender="jan@example.com", attachments=[
        ("kept.txt", b"small file", "text/plain"), ("second.txt", b"also small", "text/plain"),
        ("big.bin", b"x" * 5000, "application/octet-stream")]), source="pipe")
    body = Ticket.objects.get().messages.get().body
    assert "[Anhang nicht gespeichert: big.bin (4.9 KB; die Grenze ist 1000 bytes)]" in body
    assert "[Anhang nicht gespeichert: second.txt (aus einer E-Mail wird nur 1 Datei gespeichert)]" in body
    (acknowledgement,) = _mail_to("jan@example.com")
    assert "- big.bin (4.9 KB; die Grenze ist 1000 bytes)" in acknowledgement.body
    assert "not stored" not in acknowledgement.body and "the limit" not in acknowledgement.body


def test_input_that_is_not_a_mail_is_refused_and_stores_nothing():
    with pytest.raises(NotAMail):
        receive(b"", source="pipe")
    with pytest.raises(NotAMail):
        receive(b"\x00\x01\x02 binary", source="pipe")
    assert not InboundMail.objects.exists()


def test_a_mail_without_a_subject_or_text_still_makes_a_readable_ticket():
    make_contact(email="ann@example.com")
    receipt = receive(mail(subject="", body=""), source="pipe")
    ticket = Ticket.objects.get(pk=receipt.ticket_id)
    assert ticket.subject == "(no subject)"
    assert ticket.messages.get().body == "(This mail has no text.)"


def test_a_very_long_mail_is_cut_to_the_limit_with_a_note():
    make_contact(email="ann@example.com")
    receipt = receive(mail(body="word " * 30_000), source="pipe")
    body = Ticket.objects.get(pk=receipt.ticket_id).messages.get().body
    assert len(body) <= helpdesk.MAX_BODY_LENGTH
    assert body.endswith("original message.]")


def test_the_received_time_is_now():
    make_contact(email="ann@example.com")
    before = timezone.now()
    receive(mail(), source="pipe")
    assert InboundMail.objects.get().received_at >= before


def test_a_report_quoting_only_our_own_header_finds_the_mail_it_bounces():
    from extdesk.outbox.identity import own_mail_header
    ticket = make_ticket(make_contact(email="ann@example.com"))
    helpdesk.reply(ticket, author=make_staff(), body="An answer.")
    outgoing = _mail_to("ann@example.com")[-1]
    report = _delivery_report("rewritten-by-a-relay@relay.example", "ann@example.com").replace(
        b"Subject: [#1] New reply\r\n",
        f"Subject: [#1] New reply\r\nX-Extdesk-Mail: {own_mail_header(outgoing.pk)}\r\n".encode())
    assert receive(report, source="pipe").outcome == Outcome.BOUNCE
    outgoing.refresh_from_db()
    assert outgoing.state == "bounced"


def test_a_staff_address_quoting_only_a_ticket_number_is_no_staff_reply():
    ticket = make_ticket(make_contact(email="ann@example.com"))
    make_staff(email="agent@example.com")
    receipt = receive(mail(sender="agent@example.com", subject=f"Re: [#{ticket.pk}] Mail is down",
                           body="Forged: your account is closed."), source="pipe")
    assert receipt.ticket_id != ticket.pk
    assert not ticket.messages.filter(body__contains="Forged").exists()
