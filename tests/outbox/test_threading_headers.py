"""What the outbox puts on every message, as a real SMTP server receives it."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from extdesk.outbox import identity
from extdesk.outbox import services as outbox
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_staff
from tests.outbox.smtp import send_to_loopback_smtp, smtp_server

SENDER = "Example Support <support@Help.Example.COM>"


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port, and the helpdesk's address set."""
    port = send_to_loopback_smtp(settings)
    settings.DEFAULT_FROM_EMAIL = SENDER
    with smtp_server(port) as received:
        yield received


def _send(capture, *args, **kwargs) -> OutgoingMail:
    with capture(execute=True):
        mail = outbox.enqueue(*args, **kwargs)
    assert mail is not None
    mail.refresh_from_db()
    return mail


@pytest.mark.django_db
def test_a_sent_message_carries_its_stored_id_threading_and_own_headers(
        smtp, django_capture_on_commit_callbacks):
    mail = _send(django_capture_on_commit_callbacks, "[#7] New reply: Mail is down", "Hello",
                 ["ann@example.com"], "a test", headers=[("In-Reply-To", "<first@client.example>"),
                                    ("References", "<root@client.example> <first@client.example>")])

    assert mail.state == "sent"
    assert re.fullmatch(r"extdesk\.[0-9a-f]{32}@help\.example\.com", mail.mail_id)
    (received,) = smtp.messages
    assert received["Message-ID"] == f"<{mail.mail_id}>"
    assert received["From"] == SENDER
    assert received["Reply-To"] == SENDER
    assert received["To"] == "ann@example.com"
    assert received["Subject"] == "[#7] New reply: Mail is down"
    assert received["In-Reply-To"] == "<first@client.example>"
    assert received["References"] == "<root@client.example> <first@client.example>"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["X-Extdesk-Mail"] == f"{identity.installation_token()} {mail.pk}"
    assert identity.is_own_mail(received["X-Extdesk-Mail"])
    assert identity.own_mail_id(received["X-Extdesk-Mail"]) == mail.pk
    # What was sent is what the row says was sent, in order, each header once.
    assert mail.headers == [
        ["In-Reply-To", "<first@client.example>"],
        ["References", "<root@client.example> <first@client.example>"],
        ["Reply-To", SENDER], ["Auto-Submitted", "auto-generated"],
        ["X-Extdesk-Mail", f"{identity.installation_token()} {mail.pk}"],
    ]
    for name in ("Message-ID", "From", "Reply-To", "Auto-Submitted", "X-Extdesk-Mail", "In-Reply-To"):
        assert len(received.get_all(name)) == 1, name


@pytest.mark.django_db
def test_an_answer_to_a_mail_says_auto_replied_and_each_message_has_its_own_id(
        smtp, django_capture_on_commit_callbacks):
    first = _send(django_capture_on_commit_callbacks, "Received", "b", ["ann@example.com"], "ack",
                  auto_submitted="auto-replied")
    second = _send(django_capture_on_commit_callbacks, "Notice", "b", ["ann@example.com"], "notice")
    assert [m["Auto-Submitted"] for m in smtp.messages] == ["auto-replied", "auto-generated"]
    assert first.mail_id != second.mail_id
    assert [m["Message-ID"] for m in smtp.messages] == [f"<{first.mail_id}>", f"<{second.mail_id}>"]
    # No threading asked for: none invented.
    assert smtp.messages[0]["In-Reply-To"] is None and smtp.messages[0]["References"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(("headers", "auto_submitted", "why"), [
    ([("In-Reply-To", "<a@b>\r\nBcc: victim@example.net")], "auto-generated", "line break"),
    ([("References", "<a@b>\nBcc: victim@example.net")], "auto-generated", "line break"),
    ([("References", "<a@b>\rBcc: victim@example.net")], "auto-generated", "line break"),
    ([("References", "<a@b>\u2028Bcc: victim@example.net")], "auto-generated", "line break"),
    ([("Bcc: victim@example.net\r\nX-A", "b")], "auto-generated", "not a header name"),
    ([("X-Note", "a"), ("x-note", "b")], "auto-generated", "twice"),
    ([("Bcc", "victim@example.net")], "auto-generated", "itself"),
    ([("message-id", "<forged@example.net>")], "auto-generated", "itself"),
    ([("X-Extdesk-Mail", "0000 1")], "auto-generated", "itself"),
    ([], "auto-generated\r\nBcc: victim@example.net", "Auto-Submitted"),
])
def test_header_injection_is_refused_and_nothing_is_queued(headers, auto_submitted, why):
    with pytest.raises(ValueError, match=why):
        outbox.enqueue("s", "b", ["ann@example.com"], "x", headers=headers, auto_submitted=auto_submitted)
    assert OutgoingMail.objects.count() == 0


@pytest.mark.django_db
def test_a_line_break_in_the_subject_becomes_a_space_and_the_mail_still_goes(
        smtp, django_capture_on_commit_callbacks):
    mail = _send(django_capture_on_commit_callbacks, "[#1] New ticket: broken\r\nBcc: victim@example.net",
                 "b", ["ann@example.com"], "x")
    assert mail.subject == "[#1] New ticket: broken Bcc: victim@example.net"
    (received,) = smtp.messages
    assert received["Subject"] == mail.subject and received["Bcc"] is None
    assert smtp.recipients == [["ann@example.com"]]


@pytest.mark.django_db
def test_mail_queued_before_ids_were_fixed_still_goes_with_an_id_of_its_own(
        smtp, django_capture_on_commit_callbacks):
    now = timezone.now()
    old = OutgoingMail.objects.create(recipients=["ann@example.com"], subject="s", body="b", about="x",
                                      created_at=now, next_attempt_at=now)
    assert outbox.deliver(old.pk) == "sent"
    (received,) = smtp.messages
    assert received["Message-ID"] and received["From"] == SENDER


def test_the_installation_token_is_stable_and_follows_the_secret_key(settings):
    token = identity.installation_token()
    assert re.fullmatch(r"[0-9a-f]{16}", token)
    assert identity.installation_token() == token
    assert identity.own_mail_header(42) == f"{token} 42"
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = old_key + "-another-installation"
    assert identity.installation_token() != token
    # Our earlier header is another installation's now...
    assert not identity.is_own_mail(f"{token} 42")
    # ...unless the old key is kept as a fallback: then the key was rotated, and it is still ours.
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert identity.is_own_mail(f"{token} 42") and identity.own_mail_id(f"{token} 42") == 42
    assert identity.own_mail_header(42) != f"{token} 42"  # new mail goes out under the new key


@pytest.mark.parametrize(("value", "own", "mail_id"), [
    ("{token} 42", True, 42),
    ("  {token}   42 ", True, 42),
    ("{token}", True, None),
    ("{token} x", True, None),
    ("{token}0 42", False, None),
    ("{short} 42", False, None),
    ("0123456789abcdef 42", False, None),
    ("", False, None),
    ("   ", False, None),
])
def test_own_mail_is_known_by_the_first_word_only(value, own, mail_id):
    token = identity.installation_token()
    value = value.format(token=token, short=token[:8])
    assert identity.is_own_mail(value) is own
    assert identity.own_mail_id(value) == mail_id


@pytest.mark.parametrize(("sender", "domain"), [
    ("Support <support@Help.Example.COM>", "help.example.com"),
    ("helpdesk@testserver", "testserver"),
    ("literal@[192.0.2.1]", "extdesk.invalid"),
    ("no-at-sign", "extdesk.invalid"),
    ("a@b@c", "extdesk.invalid"),
])
def test_mail_ids_are_random_under_the_senders_domain(settings, sender, domain):
    settings.DEFAULT_FROM_EMAIL = sender
    ids = {identity.make_mail_id() for _ in range(50)}
    assert len(ids) == 50
    for mail_id in ids:
        local, _, right = mail_id.partition("@")
        assert right == domain
        assert re.fullmatch(r"extdesk\.[0-9a-f]{32}", local)


@pytest.mark.django_db
def test_the_admin_shows_the_message_id_and_the_headers_escaped(client, smtp,
                                                               django_capture_on_commit_callbacks):
    mail = _send(django_capture_on_commit_callbacks, "s", "b", ["ann@example.com"], "x",
                 headers=[("X-Note", "<b>bold</b>")])
    client.force_login(make_staff(password=None, is_superuser=True))
    html = client.get(f"/admin/outbox/outgoingmail/{mail.pk}/change/").content.decode()
    assert mail.mail_id in html
    assert f"X-Extdesk-Mail: {identity.installation_token()} {mail.pk}" in html
    assert "X-Note: &lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert client.get("/admin/outbox/outgoingmail/", {"q": mail.mail_id}).content.decode().count(
        f"/admin/outbox/outgoingmail/{mail.pk}/change/") == 1
