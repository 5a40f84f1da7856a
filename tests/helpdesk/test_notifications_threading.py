"""Notifications as a mail program sees them: tagged, threaded on the ticket, answerable by mail."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.helpdesk import notifications, services
from extdesk.helpdesk.models import MailReference, Status
from extdesk.outbox.identity import installation_token
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.outbox.smtp import send_to_loopback_smtp, smtp_server

PORTAL_LINK = "http://testserver/tickets/"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port; the helpdesk sends from support@example.com."""
    port = send_to_loopback_smtp(settings)
    settings.DEFAULT_FROM_EMAIL = "support@example.com"
    settings.EXTDESK_MAIL_TAG = ""
    with smtp_server(port) as received:
        yield received


@pytest.fixture
def sent(smtp, django_capture_on_commit_callbacks):
    """Run a change and send its mail: ``sent(lambda: ...)`` gives the messages the server got from it."""
    def run(change):
        before = len(smtp.messages)
        with django_capture_on_commit_callbacks(execute=True):
            change()
        return smtp.messages[before:]
    return run


@pytest.fixture
def contact(db):
    return make_contact("acme", email="ann@example.com")


@pytest.fixture
def staff(db):
    return make_staff(password=None)


def _guest(email: str = "guest@example.net", name: str = "Gus") -> Contact:
    now = timezone.now()
    return Contact.objects.create(platform_id=None, email=email, first_name=name, created_at=now,
                                  updated_at=now)


def _body(message) -> str:
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")


def _references(message) -> str:
    # Long headers arrive folded over several lines; a mail program reads them unfolded.
    return " ".join(message["References"].split())


def _ids(ticket) -> list[str]:
    return list(MailReference.objects.filter(ticket=ticket).order_by("created_at", "id")
                .values_list("mail_id", flat=True))


@pytest.mark.django_db
def test_three_notifications_of_one_ticket_form_one_thread(sent, contact, staff):
    ticket = None

    def create():
        nonlocal ticket
        ticket = make_ticket(contact, subject="Mail is down")

    (created,) = sent(create)
    assert ticket is not None
    (answered,) = sent(lambda: services.reply(ticket, author=staff, body="We are looking."))
    (resolved,) = sent(lambda: services.update_properties(ticket, actor=staff, status=Status.RESOLVED))

    first, second, third = _ids(ticket)
    assert [m["Message-ID"] for m in (created, answered, resolved)] == [f"<{first}>", f"<{second}>",
                                                                         f"<{third}>"]
    assert created["In-Reply-To"] is None and created["References"] is None
    assert answered["In-Reply-To"] == f"<{first}>" and _references(answered) == f"<{first}>"
    assert resolved["In-Reply-To"] == f"<{second}>"
    assert _references(resolved) == f"<{first}> <{second}>"
    # Each id is the one the outbox stored and sent, recorded with what the mail reports.
    assert set(OutgoingMail.objects.values_list("mail_id", flat=True)) == {first, second, third}
    reply = ticket.messages.get(author_user=staff)
    assert list(MailReference.objects.filter(ticket=ticket).order_by("created_at", "id")
                .values_list("message_id", flat=True)) == [ticket.messages.first().pk, reply.pk, None]
    for message in (created, answered, resolved):
        assert message["Subject"].startswith(f"[#{ticket.pk}] ")
        # From under the brand's name (EXTDESK_BRAND_NAME); replies go to the bare address.
        assert message["From"] == "Helpdesk <support@example.com>"
        assert message["Reply-To"] == "support@example.com"
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Extdesk-Mail"].split()[0] == installation_token()


@pytest.mark.django_db
def test_staff_notifications_thread_too_so_staff_can_answer_by_mail(sent, contact, staff):
    ticket = make_ticket(contact)
    (reply_mail,) = sent(lambda: services.reply(ticket, author=contact, body="Still broken."))
    first, second = _ids(ticket)
    assert reply_mail["To"] == staff.email
    assert reply_mail["In-Reply-To"] == f"<{first}>" and reply_mail["Message-ID"] == f"<{second}>"
    body = _body(reply_mail)
    assert "Still broken." in body
    assert "Reply to this e-mail to answer the customer" in body and f"[#{ticket.pk}]" in body
    assert f"http://testserver/desk/tickets/{ticket.pk}/" in body


@pytest.mark.django_db
def test_references_keep_the_first_and_the_latest_ten(sent, contact, staff):
    ticket = make_ticket(contact)
    for n in range(14):
        MailReference.objects.create(mail_id=f"m{n}@client.example", ticket=ticket, created_at=timezone.now())
    # A received id that cannot stand between angle brackets is left out, never sent broken.
    MailReference.objects.create(mail_id="bad id@client.example", ticket=ticket, created_at=timezone.now())
    ids = _ids(ticket)
    (answered,) = sent(lambda: services.reply(ticket, author=staff, body="Here."))
    expected = [ids[0], *[f"m{n}@client.example" for n in range(5, 14)]]
    assert _references(answered) == " ".join(f"<{m}>" for m in expected)
    assert answered["In-Reply-To"] == "<m13@client.example>"


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_neither_mail_nor_reference(sent, contact, staff):
    ticket = make_ticket(contact)
    before = (_ids(ticket), OutgoingMail.objects.count())

    def change_then_fail():
        with transaction.atomic():
            services.reply(ticket, author=staff, body="rolled back")
            assert len(_ids(ticket)) == 2  # written with the change...
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        sent(change_then_fail)
    assert (_ids(ticket), OutgoingMail.objects.count()) == before  # ...and gone with it


@pytest.mark.django_db
def test_the_subject_carries_the_installations_tag(sent, contact, staff, settings):
    settings.EXTDESK_MAIL_TAG = "Example Support"
    ticket = make_ticket(contact, subject="Mail is down")
    assert notifications.ticket_tag(ticket.pk) == f"[Example Support #{ticket.pk}]"
    (answered,) = sent(lambda: services.reply(ticket, author=staff, body="Here."))
    assert answered["Subject"] == f"[Example Support #{ticket.pk}] New reply: Mail is down"
    settings.EXTDESK_MAIL_TAG = ""
    assert notifications.ticket_tag(ticket.pk) == f"[#{ticket.pk}]"
    (again,) = sent(lambda: services.reply(ticket, author=staff, body="Again."))
    assert again["Subject"] == f"[#{ticket.pk}] New reply: Mail is down"


@pytest.mark.django_db
def test_a_guest_is_told_to_reply_by_mail_and_never_sent_a_portal_link(sent, staff):
    guest = _guest()
    ticket = make_ticket(guest, subject="Your invoice")
    (answered,) = sent(lambda: services.reply(ticket, author=staff, body="Which invoice?"))
    (status,) = sent(lambda: services.update_properties(ticket, actor=staff, status=Status.WAITING))
    for message in (answered, status):
        assert message["To"] == "guest@example.net"
        body = _body(message)
        assert "Reply to this e-mail to" in body
        assert PORTAL_LINK not in body and "control panel" not in body
    assert "Which invoice?" in _body(answered)


@pytest.mark.django_db
def test_a_platform_contact_may_reply_by_mail_or_at_the_portal(sent, contact, staff):
    ticket = make_ticket(contact)
    (answered,) = sent(lambda: services.reply(ticket, author=staff, body="Try again now."))
    body = _body(answered)
    assert "Reply to this e-mail to answer" in body
    assert f"{PORTAL_LINK}{ticket.pk}/" in body


@pytest.mark.django_db
def test_the_staff_mail_about_a_guests_ticket_says_it_is_a_guest(sent, staff):
    created = sent(lambda: make_ticket(_guest(name="Gus"), subject="Hello"))
    (to_staff,) = created
    body = _body(to_staff)
    assert "Gus <guest@example.net> filed a new ticket." in body and "guest" in body.split("\n")[1]


@pytest.mark.django_db
def test_the_acknowledgement_gives_the_number_how_to_add_and_what_was_not_stored(sent, contact, staff):
    ticket = make_ticket(contact, subject="Mail is down")
    # The Message-ID of the customer's own mail, as the mail channel records it.
    MailReference.objects.create(mail_id="ann-1@client.example", ticket=ticket,
                                 message=ticket.messages.first(), created_at=timezone.now())
    refused = ["big.iso (30.0 MB; the limit is 10.0 MB)", "sixth.pdf (only 5 files are kept from one mail)"]
    (ack,) = sent(lambda: notifications.acknowledge(ticket.pk, refused=refused))

    assert ack["To"] == "ann@example.com"
    assert ack["Subject"] == f"[#{ticket.pk}] Received: Mail is down"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<ann-1@client.example>"
    body = _body(ack)
    assert f"ticket #{ticket.pk}" in body
    assert f"reply to this e-mail, keeping [#{ticket.pk}] in the subject" in body
    assert f"{PORTAL_LINK}{ticket.pk}/" in body
    assert "- big.iso (30.0 MB; the limit is 10.0 MB)\n" in body
    assert "- sixth.pdf (only 5 files are kept from one mail)\n" in body
    reference = MailReference.objects.get(mail_id=ack["Message-ID"].strip("<>"))
    assert reference.ticket_id == ticket.pk and reference.message_id == ticket.messages.first().pk


@pytest.mark.django_db
def test_a_guests_acknowledgement_has_no_portal_link_nor_an_empty_list(sent, settings):
    settings.EXTDESK_MAIL_TAG = "Support"
    ticket = make_ticket(_guest(), subject="Hello")
    (ack,) = sent(lambda: notifications.acknowledge(ticket.pk))
    body = _body(ack)
    assert ack["Subject"] == f"[Support #{ticket.pk}] Received: Hello"
    assert f"keeping [Support #{ticket.pk}] in the subject" in body
    assert PORTAL_LINK not in body and "control panel" not in body
    assert "not stored" not in body


@pytest.mark.django_db
def test_the_author_of_a_mailed_reply_hears_which_attachments_were_not_stored(sent, contact, staff):
    ticket = make_ticket(contact, subject="Logs")
    message = services.reply(ticket, author=contact, body="Logs attached.")
    MailReference.objects.create(mail_id="ann-2@client.example", ticket=ticket, message=message,
                                 created_at=timezone.now())
    (notice,) = sent(lambda: notifications.attachments_refused(message.pk, ["huge.log (60.0 MB; the limit "
                                                                           "is 10.0 MB)"]))
    assert notice["To"] == "ann@example.com"
    assert notice["Subject"] == f"[#{ticket.pk}] Attachments not stored: Logs"
    assert notice["Auto-Submitted"] == "auto-replied"
    assert notice["In-Reply-To"] == "<ann-2@client.example>"
    assert "- huge.log (60.0 MB; the limit is 10.0 MB)" in _body(notice)
    assert MailReference.objects.filter(mail_id=notice["Message-ID"].strip("<>"), message=message).exists()
    # A staff member who answered by mail is told the same way.
    by_staff = services.reply(ticket, author=staff, body="Got them.")
    (to_staff,) = sent(lambda: notifications.attachments_refused(by_staff.pk, ["x.bin (1 file too many)"]))
    assert to_staff["To"] == staff.email
    # Nothing refused: nothing to tell.
    assert sent(lambda: notifications.attachments_refused(message.pk, [])) == []


@pytest.mark.django_db
def test_an_internal_note_mails_nobody_and_threads_nothing(sent, contact, staff):
    ticket = make_ticket(contact)
    before = _ids(ticket)
    assert sent(lambda: services.reply(ticket, author=staff, body="between us", internal=True)) == []
    assert _ids(ticket) == before
