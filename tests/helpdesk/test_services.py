"""The write services: validation, history, status rules, notifications after commit."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from extdesk.helpdesk import services
from extdesk.helpdesk.exceptions import NotAllowed
from extdesk.helpdesk.models import Attachment, EventKind, Message, Priority, Status, Ticket, TicketEvent
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket, upload

# Mail goes out in on_commit callbacks: tests run them with django_capture_on_commit_callbacks
# (execute=True), except the one that checks a real rollback.
pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return make_contact("acme", email="ann@example.com")


@pytest.fixture
def staff():
    return make_staff()


def test_create_ticket_records_history_and_mails_staff(contact, staff, django_capture_on_commit_callbacks):
    make_staff("other", "other@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(contact, subject="  Mail   is down ", priority="4")
    assert ticket.subject == "Mail is down"
    assert ticket.priority == Priority.URGENT
    assert ticket.account.name == "acme"
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sorted(sent.to) == ["agent@example.com", "other@example.com"]
    assert f"[#{ticket.pk}]" in sent.subject and "Since this morning." in sent.body
    assert f"http://testserver/desk/tickets/{ticket.pk}/" in sent.body


@pytest.mark.parametrize(("field", "kwargs"), [
    ("subject", {"subject": ""}),
    ("subject", {"subject": "x" * 201}),
    ("subject", {"subject": "bell\x07"}),
    ("body", {"body": "   \n "}),
    ("body", {"body": "a\x00b"}),
    ("priority", {"priority": 7}),
    ("priority", {"priority": "high"}),
])
def test_create_ticket_refuses_bad_input_and_writes_nothing(contact, field, kwargs,
                                                             django_capture_on_commit_callbacks):
    arguments = {"contact": contact, "subject": "ok", "body": "ok", **kwargs}
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as caught:
        services.create_ticket(**arguments)
    assert field in caught.value.message_dict
    assert Ticket.objects.count() == Message.objects.count() == TicketEvent.objects.count() == 0
    assert mail.outbox == []


def test_inactive_category_is_refused(contact):
    retired = make_category("Old", is_active=False)
    with pytest.raises(ValidationError) as caught:
        make_ticket(contact, category=retired)
    assert "category" in caught.value.message_dict


def test_refused_attachments_leave_no_file(contact, settings, tmp_path):
    settings.EXTDESK_ATTACHMENT_MAX_BYTES = 5
    with pytest.raises(ValidationError) as caught:
        make_ticket(contact, attachments=[upload("ok.txt", b"12345"), upload("big.txt", b"123456")])
    assert "big.txt" in str(caught.value.message_dict["attachments"])
    assert Attachment.objects.count() == 0


def test_failed_write_removes_stored_files(contact, monkeypatch, settings):
    from pathlib import Path

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    def stored() -> set[Path]:
        return {p for p in (Path(settings.DATA_DIR) / "attachments").rglob("*") if p.is_file()}

    make_ticket(contact, attachments=[upload("first.txt")])
    before = stored()
    monkeypatch.setattr(services, "_record", explode)
    with pytest.raises(RuntimeError):
        make_ticket(contact, attachments=[upload("a.txt"), upload("b.txt")])
    assert stored() == before
    assert Ticket.objects.count() == 1


def test_attachment_names_are_sanitised(contact):
    ticket = make_ticket(contact, attachments=[upload("../../etc/passwd", b"x", "text/plain; charset=x"),
                                               upload("evil.bin", b"y", "not a type")])
    names = list(Attachment.objects.filter(message__ticket=ticket).values_list(
        "original_name", "content_type", "file"))
    assert [n[:2] for n in names] == [("passwd", "text/plain"), ("evil.bin", "application/octet-stream")]
    assert all(".." not in stored and "passwd" not in stored for _, _, stored in names)


def test_staff_reply_mails_the_contact_and_opens_a_new_ticket(contact, staff,
                                                              django_capture_on_commit_callbacks):
    ticket = make_ticket(contact)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket, author=staff, body="We are looking.", attachments=[upload()])
    assert ticket.status == Status.OPEN
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert "We are looking." in mail.outbox[0].body
    assert f"http://testserver/tickets/{ticket.pk}/" in mail.outbox[0].body
    assert list(ticket.events.values_list("kind", "old_value", "new_value"))[-2:] == [
        (EventKind.REPLIED, "", ""), (EventKind.STATUS, "New", "Open")]


def test_customer_reply_reopens_waiting_and_mails_the_assignee(contact, staff,
                                                               django_capture_on_commit_callbacks):
    ticket = make_ticket(contact)
    services.update_properties(ticket, actor=staff, assignee=staff)
    services.update_properties(ticket, actor=staff, status=Status.WAITING)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket, author=contact, body="Here you go")
    assert ticket.status == Status.OPEN
    assert [m.to for m in mail.outbox] == [["agent@example.com"]]


def test_customer_cannot_reply_to_a_closed_ticket(contact):
    ticket = make_ticket(contact)
    services.close_by_customer(ticket, contact=contact)
    with pytest.raises(ValidationError):
        services.reply(ticket, author=contact, body="more")
    assert ticket.messages.count() == 1


def test_internal_note_is_silent_and_staff_only(contact, staff, django_capture_on_commit_callbacks):
    ticket = make_ticket(contact)
    activity = ticket.last_activity_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = services.reply(ticket, author=staff, body="check the logs", internal=True)
    assert callbacks == []
    assert note.is_internal
    assert mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.last_activity_at == activity
    with pytest.raises(NotAllowed):
        services.reply(ticket, author=contact.user, body="sneaky", internal=True)


def test_status_change_by_staff_mails_the_contact(contact, staff, django_capture_on_commit_callbacks):
    ticket = make_ticket(contact)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.update_properties(ticket, actor=staff, status=Status.RESOLVED) == ["status"]
        assert services.update_properties(ticket, actor=staff, status=Status.RESOLVED) == []
    # In the customer's words: the desk's "Resolved" is the customer's "Solved".
    assert len(mail.outbox) == 1 and "is now solved (it was received)" in mail.outbox[0].body
    with pytest.raises(ValidationError):
        services.update_properties(ticket, actor=staff, status="bogus")


def test_priority_assignee_category_changes_are_recorded(contact, staff):
    ticket = make_ticket(contact)
    billing = make_category("Billing")
    assert services.update_properties(ticket, actor=staff, priority=Priority.HIGH) == ["priority"]
    assert services.update_properties(ticket, actor=staff, assignee=staff) == ["assignee"]
    assert services.update_properties(ticket, actor=staff, category=billing) == ["category"]
    assert services.update_properties(ticket, actor=staff, category=billing) == []
    assert services.update_properties(ticket, actor=staff, assignee=None) == ["assignee"]
    events = list(ticket.events.values_list("kind", "old_value", "new_value"))[1:]
    assert events == [
        (EventKind.PRIORITY, "Normal", "High"),
        (EventKind.ASSIGNEE, "", "agent"),
        (EventKind.CATEGORY, "", "Billing"),
        (EventKind.ASSIGNEE, "agent", ""),
    ]
    with pytest.raises(ValidationError):
        services.update_properties(ticket, actor=staff, assignee=contact.user)


def test_mail_failure_is_logged_and_the_reply_kept(contact, staff, settings, caplog,
                                                   django_capture_on_commit_callbacks):
    ticket = make_ticket(contact)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port: nothing listens, the connection is refused
    settings.EMAIL_TIMEOUT = 2
    with caplog.at_level(logging.ERROR, logger="extdesk.mail"), \
            django_capture_on_commit_callbacks(execute=True):
        message = services.reply(ticket, author=staff, body="Answer that must not be lost")
    assert Message.objects.filter(pk=message.pk, body="Answer that must not be lost").exists()
    assert any("could not send" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_mail_is_sent_and_only_after_a_real_commit(contact, staff):
    ticket = make_ticket(contact)
    assert [m.to for m in mail.outbox] == [["agent@example.com"]]
    mail.outbox.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.reply(ticket, author=staff, body="rolled back")
        raise RuntimeError("abort")
    assert mail.outbox == []
    assert not Message.objects.filter(body="rolled back").exists()


def test_services_refuse_actors_without_rights(contact, staff):
    ticket = make_ticket(contact)
    stranger = make_contact("elsewhere")
    colleague = make_contact("acme")
    for action in (
        lambda: services.reply(ticket, author=stranger, body="hi"),
        lambda: services.close_by_customer(ticket, contact=stranger),
        lambda: services.reopen_by_customer(ticket, contact=stranger),
        lambda: services.update_properties(ticket, actor=stranger, status=Status.OPEN),
        lambda: services.update_properties(ticket, actor=contact, priority=Priority.HIGH),
        lambda: services.update_properties(ticket, actor=contact.user, category=None),
        lambda: services.update_properties(ticket, actor=colleague, assignee=staff),
    ):
        with pytest.raises(NotAllowed):
            action()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee) == (Status.NEW, Priority.NORMAL, None)
    assert ticket.messages.count() == 1
    services.reply(ticket, author=colleague, body="a colleague may answer")
    assert services.close_by_customer(ticket, contact=colleague)


def test_a_reply_and_the_status_change_after_it_are_one_write(contact, staff):
    ticket = make_ticket(contact)
    with pytest.raises(ValidationError) as caught:
        services.reply(ticket, author=staff, body="Please try again.", then_status="bogus")
    assert "then_status" in caught.value.message_dict
    assert ticket.messages.count() == 1
    services.reply(ticket, author=staff, body="Waiting for logs.", internal=True, then_status=Status.WAITING)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert list(ticket.events.values_list("kind", flat=True))[1:] == [EventKind.NOTE, EventKind.STATUS]


def test_notes_and_status_changes_are_for_staff_only(contact):
    ticket = make_ticket(contact)
    for extra in ({"internal": True}, {"then_status": Status.CLOSED}):
        with pytest.raises(NotAllowed):
            services.reply(ticket, author=contact, body="mine", **extra)
    assert ticket.messages.count() == 1


def test_update_properties_names_what_it_cannot_set(contact, staff):
    ticket = make_ticket(contact)
    with pytest.raises(TypeError, match="subject"):
        services.update_properties(ticket, actor=staff, subject="renamed")


def test_every_write_to_a_ticket_counts_one_more_version():
    contact = make_contact()
    staff = make_staff(password=None)
    ticket = make_ticket(contact)
    assert ticket.version == 1
    services.reply(ticket, author=staff, body="An answer.", then_status="waiting")
    assert ticket.version == 2
    services.reply(ticket, author=staff, body="A note.", internal=True)
    assert ticket.version == 3
    assert services.update_properties(ticket, actor=staff, priority=ticket.priority) == []
    assert ticket.version == 3
    services.update_properties(ticket, actor=staff, priority=4)
    services.close_by_customer(ticket, contact=contact)
    ticket.refresh_from_db()
    assert ticket.version == 5
