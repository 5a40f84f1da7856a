"""The outbox against a real SMTP server: queued with the change, retried, given up, sent once."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from extdesk.cli import main
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Message
from extdesk.outbox import services as outbox
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.outbox.smtp import send_to_loopback_smtp, smtp_server

SECRET_WORDS = "the password of the customer's mailbox is hunter2"


@pytest.fixture
def smtp_port(settings) -> int:
    """Mail goes to SMTP on a free loopback port, where nothing listens until a test starts a server."""
    port = send_to_loopback_smtp(settings)
    settings.EXTDESK_MAIL_RETRY_SECONDS = 1
    return port


def _wait_until_due(mail: OutgoingMail) -> None:
    mail.refresh_from_db()
    time.sleep(max(0.0, (mail.next_attempt_at - timezone.now()).total_seconds()) + 0.05)


@pytest.mark.django_db(transaction=True)
def test_smtp_down_reply_saved_mail_queued_then_sent_once_by_send_queued_mail(smtp_port, caplog, capsys):
    contact = make_contact("acme", email="ann@example.com")
    staff = make_staff(password=None)
    ticket = make_ticket(contact)  # mails staff: fails too, nothing listens
    with caplog.at_level(logging.ERROR, logger="extdesk.mail"):
        reply = services.reply(ticket, author=staff, body=f"Here is the answer; {SECRET_WORDS}")

    assert Message.objects.filter(pk=reply.pk).exists()
    queued = OutgoingMail.objects.get(recipients=["ann@example.com"])
    assert (queued.attempts, queued.sent_at, queued.failed_at) == (1, None, None)
    assert "ConnectionRefusedError" in queued.last_error
    assert queued.next_attempt_at > timezone.now() - timedelta(seconds=1)
    failures = [r.getMessage() for r in caplog.records if "could not send" in r.getMessage()]
    assert any(f"mail {queued.pk} about the staff reply on {ticket.reference}" in line for line in failures)
    assert not any("hunter2" in r.getMessage() for r in caplog.records)

    with smtp_server(smtp_port) as received:
        _wait_until_due(queued)
        assert main(["send-queued-mail"]) == 0
        assert "sent 2," in capsys.readouterr().out  # the reply and the new-ticket mail to staff
        assert main(["send-queued-mail"]) == 0
        assert "sent 0," in capsys.readouterr().out

    assert sorted(received.recipients) == [["agent@example.com"], ["ann@example.com"]]
    pairs = zip(received.recipients, received.bodies(), strict=True)
    to_customer = [body for to, body in pairs if to == ["ann@example.com"]]
    assert len(to_customer) == 1 and SECRET_WORDS in to_customer[0]
    queued.refresh_from_db()
    assert queued.state == "sent" and queued.attempts == 2 and queued.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_queues_and_sends_nothing(smtp_port):
    contact = make_contact("acme", email="ann@example.com")
    staff = make_staff(password=None)
    with smtp_server(smtp_port) as received:
        ticket = make_ticket(contact)
        assert len(received.messages) == 1
        with pytest.raises(RuntimeError), transaction.atomic():
            services.reply(ticket, author=staff, body="rolled back")
            raise RuntimeError("abort")
        assert main(["send-queued-mail"]) == 0
    assert len(received.messages) == 1
    assert OutgoingMail.objects.count() == 1 and OutgoingMail.objects.get().state == "sent"
    assert not Message.objects.filter(body="rolled back").exists()


@pytest.mark.django_db
def test_gives_up_after_the_configured_attempts_keeps_the_mail_and_admin_retries_it(
        smtp_port, settings, client, django_capture_on_commit_callbacks):
    settings.EXTDESK_MAIL_MAX_ATTEMPTS = 2
    contact = make_contact("acme", email="ann@example.com")
    staff = make_staff(password=None, is_superuser=True)
    ticket = make_ticket(contact)
    OutgoingMail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_properties(ticket, actor=staff, status="resolved")
    mail = OutgoingMail.objects.get()
    assert (mail.attempts, mail.state) == (1, "queued")
    assert outbox.send_due().sent == 0  # not due yet: the first retry waits a second
    _wait_until_due(mail)
    report = outbox.send_due()
    assert (report.sent, report.retrying, report.given_up) == (0, 0, 1)
    mail.refresh_from_db()
    assert (mail.attempts, mail.state) == (2, "failed") and mail.failed_at is not None
    assert "ConnectionRefusedError" in mail.last_error
    assert str(outbox.send_due()) == "sent 0, to retry 0, given up 0, taken by another sender 0"

    client.force_login(staff)
    listing = client.get("/admin/outbox/outgoingmail/")
    assert listing.status_code == 200 and "Status: Solved" in listing.content.decode()
    assert client.get(f"/admin/outbox/outgoingmail/{mail.pk}/change/").status_code == 200
    with smtp_server(smtp_port) as received:
        answer = client.post("/admin/outbox/outgoingmail/",
                             {"action": "retry_now", "_selected_action": [mail.pk]}, follow=True)
    assert "Retried: sent 1" in answer.content.decode()
    assert received.recipients == [["ann@example.com"]]
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == ("sent", 3)


@pytest.mark.django_db
def test_admin_cannot_add_change_or_delete(client):
    staff = make_staff(password=None, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/outbox/outgoingmail/add/").status_code == 403
    mail = OutgoingMail.objects.create(recipients=["a@example.com"], subject="s", body="b", about="x",
                                       created_at=timezone.now(), next_attempt_at=timezone.now())
    assert client.post(f"/admin/outbox/outgoingmail/{mail.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutgoingMail.objects.filter(pk=mail.pk).exists()


def test_retry_delay_doubles_from_the_setting_up_to_six_hours(settings):
    settings.EXTDESK_MAIL_RETRY_SECONDS = 60
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox.retry_delay(9) == timedelta(hours=4, minutes=16)
    assert outbox.retry_delay(10) == outbox.retry_delay(1000) == timedelta(hours=6)


@pytest.mark.django_db
def test_a_message_is_claimed_by_one_sender_only():
    now = timezone.now()
    mail = OutgoingMail.objects.create(recipients=["a@example.com"], subject="s", body="b", about="x",
                                       created_at=now, next_attempt_at=now)
    assert outbox._claim(mail.pk, now) is True
    assert outbox._claim(mail.pk, now) is False
    mail.refresh_from_db()
    assert mail.attempts == 1 and mail.next_attempt_at == now + timedelta(seconds=outbox.CLAIM_SECONDS)


@pytest.mark.django_db
def test_no_recipient_queues_nothing():
    assert outbox.enqueue("s", "b", ["", ""], "nothing") is None
    assert OutgoingMail.objects.count() == 0


def test_send_queued_mail_refuses_a_bad_loop_value(capsys):
    for bad, why in (("0", "must be at least 1 second"), ("soon", "'soon' is not a whole number")):
        with pytest.raises(SystemExit) as exited:
            main(["send-queued-mail", "--loop", bad])
        assert exited.value.code == 2
        assert why in capsys.readouterr().err
