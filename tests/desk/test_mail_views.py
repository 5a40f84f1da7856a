"""The desk's incoming-mail pages: held list, record and headers, .eml download; mail on the ticket page."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from extdesk.helpdesk.models import Channel, Message
from extdesk.helpdesk.storage import attachment_storage, write_file
from extdesk.mail.models import InboundMail, Outcome
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db

_keys = itertools.count(1)

RAW = (b"Return-Path: <ann@acme.example>\r\n"
       b"From: Ann Customer <ann@acme.example>\r\n"
       b"To: support@example.com\r\n"
       b"Subject: =?utf-8?q?Caf=C3=A9_<script>alert(1)</script>?=\r\n"
       b"X-Evil: <img src=x onerror=alert(2)>\r\n"
       b"X-Folded: first part\r\n"
       b"\tsecond part\r\n"
       b"Message-ID: <ann-1@client.example>\r\n"
       b"X-Spam-Flag: YES\r\n"
       b"\r\n"
       b"Body with an 8-bit byte: \xe9 and <b>markup</b>\r\n")


def _inbound(raw: bytes | None = RAW, outcome: str = Outcome.HELD, **fields) -> InboundMail:
    """An incoming-mail record as the mail channel leaves it, its original in the attachment store."""
    defaults = {"source": "pipe", "sender_address": "ann@acme.example", "subject": "Café"}
    record = InboundMail(dedup_key=f"key-{next(_keys)}", size=len(raw or b""), outcome=outcome,
                         received_at=timezone.now(), **{**defaults, **fields})
    if raw is not None:
        record.raw.name = write_file(ContentFile(raw), [])
    record.save()
    return record


@pytest.fixture
def contact():
    return make_contact("acme", email="ann@acme.example", first_name="Ann")


def _urls(record: InboundMail) -> dict[str, str]:
    return {name: reverse(f"desk:{name}", args=[record.pk])
            for name in ("inbound_mail", "inbound_eml", "release_mail", "delete_mail")}


def test_customers_and_strangers_are_kept_out(client, contact):
    held = _inbound()
    urls = _urls(held)
    for who in (None, contact.user):
        if who:
            client.force_login(who)
        for method, target in (("get", reverse("desk:held_mail")), ("get", urls["inbound_mail"]),
                               ("get", urls["inbound_eml"]), ("post", urls["release_mail"]),
                               ("post", urls["delete_mail"])):
            response = getattr(client, method)(target)
            assert response.status_code == 302, target
            assert response["Location"].startswith("/desk/login/")
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD and held.raw and held.decided_by is None


def _nav_link(html: str) -> str:
    link = re.search(r'<a href="/desk/mail/held/"[^>]*>.*?</a>', html, re.S)
    assert link is not None
    return re.sub(r"<[^>]+>", "", link.group(0))


def test_the_held_list_shows_held_mail_only_with_release_and_delete_forms(desk):
    first = _inbound(subject="Cheap watches", reason="marked as spam (X-Spam-Flag)")
    second = _inbound(subject="Ticket 21 of the hour", sender_name="Busy <b>Bee</b>",
                      reason="more than 20 new tickets in an hour from this sender")
    _inbound(subject="Became a ticket", outcome=Outcome.TICKET)
    _inbound(raw=None, subject="Deleted earlier", outcome=Outcome.DELETED)

    response = desk.get(reverse("desk:held_mail"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cheap watches" in html and "Ticket 21 of the hour" in html
    assert "Became a ticket" not in html and "Deleted earlier" not in html
    assert "marked as spam (X-Spam-Flag)" in html
    assert "Busy &lt;b&gt;Bee&lt;/b&gt;" in html and "<b>Bee</b>" not in html
    for record in (first, second):
        for action in ("release", "delete"):
            target = f"/desk/mail/{record.pk}/{action}/"
            form = re.search(rf'<form method="post" action="{target}"[^>]*>(.*?)</form>', html, re.S)
            assert form is not None, (record.pk, action)
            assert 'name="csrfmiddlewaretoken"' in form.group(1)
        assert f'href="/desk/mail/{record.pk}/"' in html
    assert _nav_link(html) == "Held mail (2)"


def test_the_navigation_counts_held_mail_only_when_there_is_some(desk):
    assert _nav_link(desk.get(reverse("desk:queue")).content.decode()) == "Held mail"
    _inbound()
    assert _nav_link(desk.get(reverse("desk:queue")).content.decode()) == "Held mail (1)"
    assert "No mail is held." not in desk.get(reverse("desk:held_mail")).content.decode()


def test_an_empty_held_list_says_so(desk):
    _inbound(outcome=Outcome.TICKET)
    assert "No mail is held." in desk.get(reverse("desk:held_mail")).content.decode()


def test_release_and_delete_need_post_and_csrf(agent):
    held = _inbound()
    urls = _urls(held)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    for action in ("release_mail", "delete_mail"):
        assert strict.post(urls[action]).status_code == 403
        assert strict.get(urls[action]).status_code == 405
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD and held.raw


def test_the_eml_download_is_the_stored_file_byte_for_byte(desk, contact):
    ticket = make_ticket(contact)
    on_ticket = _inbound(outcome=Outcome.TICKET, ticket=ticket)
    response = desk.get(reverse("desk:inbound_eml", args=[on_ticket.pk]))
    assert response.status_code == 200
    assert response.content == RAW
    with attachment_storage().open(on_ticket.raw.name, "rb") as stored:
        assert response.content == stored.read()
    assert response["Content-Type"] == "message/rfc822"
    name = f"ticket-{ticket.pk}-mail-{on_ticket.pk}.eml"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]

    held = _inbound()
    response = desk.get(reverse("desk:inbound_eml", args=[held.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="mail-{held.pk}.eml"'


def test_no_original_no_download(desk):
    deleted = _inbound(raw=None, outcome=Outcome.DELETED)
    assert desk.get(reverse("desk:inbound_eml", args=[deleted.pk])).status_code == 404
    lost = _inbound()
    attachment_storage().delete(lost.raw.name)
    assert desk.get(reverse("desk:inbound_eml", args=[lost.pk])).status_code == 404
    assert desk.get(reverse("desk:inbound_eml", args=[lost.pk + 1000])).status_code == 404


def _header_rows(html: str) -> list[tuple[str, str]]:
    table = re.search(r'<table class="mail-headers">(.*?)</table>', html, re.S)
    assert table is not None
    return re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', table.group(1))


def test_the_headers_page_shows_every_header_in_order_decoded_and_escaped(desk, contact):
    ticket = make_ticket(contact)
    record = _inbound(outcome=Outcome.REPLY, ticket=ticket, reason="<i>why</i>", source="imaps://u@host/INBOX",
                      mail_id="ann-1@client.example")
    response = desk.get(reverse("desk:inbound_mail", args=[record.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert _header_rows(html) == [
        ("Return-Path", "&lt;ann@acme.example&gt;"),
        ("From", "Ann Customer &lt;ann@acme.example&gt;"),
        ("To", "support@example.com"),
        ("Subject", "Café &lt;script&gt;alert(1)&lt;/script&gt;"),
        ("X-Evil", "&lt;img src=x onerror=alert(2)&gt;"),
        ("X-Folded", "first part second part"),
        ("Message-ID", "&lt;ann-1@client.example&gt;"),
        ("X-Spam-Flag", "YES"),
    ]
    assert "<script>" not in html and "<img src=x" not in html and "<i>why</i>" not in html
    # The record: outcome, reason, source, the ticket, the download; no release for a mail not held.
    assert "Reply on a ticket" in html and "&lt;i&gt;why&lt;/i&gt;" in html and "imaps://u@host/INBOX" in html
    assert f'href="/desk/tickets/{ticket.pk}/"' in html
    assert f'href="/desk/mail/{record.pk}.eml"' in html
    assert "/release/" not in html and "/delete/" not in html
    # The body is not shown on this page at all.
    assert "markup" not in html


def test_a_held_mails_page_offers_release_and_delete(desk):
    held = _inbound()
    html = desk.get(reverse("desk:inbound_mail", args=[held.pk])).content.decode()
    assert f'action="/desk/mail/{held.pk}/release/"' in html
    assert f'action="/desk/mail/{held.pk}/delete/"' in html


def test_raw_8bit_and_undecodable_headers_are_shown_without_breaking_the_page(desk):
    raw = (b"From: \xc3\x89mile <emile@example.net>\r\n"
           b"X-Junk: \xff\xfe\r\n"
           b"To: <<<@@@>>>, \"\r\n"
           b"\r\nbody\r\n")
    html = desk.get(reverse("desk:inbound_mail", args=[_inbound(raw=raw).pk])).content.decode()
    assert _header_rows(html) == [("From", "Émile &lt;emile@example.net&gt;"), ("X-Junk", "\ufffd\ufffd"),
                                  ("To", "&lt;&lt;&lt;@@@&gt;&gt;&gt;, &quot;")]


def test_a_mail_without_its_original_says_so_and_an_unknown_one_is_not_found(desk):
    deleted = _inbound(raw=None, outcome=Outcome.DELETED)
    html = desk.get(reverse("desk:inbound_mail", args=[deleted.pk])).content.decode()
    assert "The original of this mail is not kept" in html and ".eml" not in html
    assert desk.get(reverse("desk:inbound_mail", args=[deleted.pk + 1000])).status_code == 404


def test_the_ticket_page_marks_mail_messages_and_links_their_mail(desk, agent, contact):
    from extdesk.helpdesk import services

    ticket = make_ticket(contact, body="Opened on the web.")
    by_mail = services.reply(ticket, author=contact, body="Answered by mail.")
    unrecorded = services.reply(ticket, author=contact, body="By mail, record gone.")
    Message.objects.filter(pk__in=[by_mail.pk, unrecorded.pk]).update(channel=Channel.EMAIL)
    record = _inbound(outcome=Outcome.REPLY, ticket=ticket, message=by_mail)

    html = desk.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    items = re.findall(r'<li class="thread-item.*?</li>', html, re.S)
    web, mailed, no_record = (next(i for i in items if text in i) for text in (
        "Opened on the web.", "Answered by mail.", "By mail, record gone."))
    assert "by e-mail" not in web and "/desk/mail/" not in web
    assert "by e-mail" in mailed
    assert f'href="/desk/mail/{record.pk}/"' in mailed and f'href="/desk/mail/{record.pk}.eml"' in mailed
    assert "by e-mail" in no_record and "/desk/mail/" not in no_record


# ---------------------------------------------------------------- release and delete (extdesk.mail.services)


def _held_by_the_channel(**kwargs) -> InboundMail:
    mail_services = pytest.importorskip("extdesk.mail.services")
    receipt = mail_services.receive(mail(headers=[("X-Spam-Flag", "YES")], **kwargs), source="pipe")
    record = InboundMail.objects.get(pk=receipt.inbound_id)
    assert record.outcome == Outcome.HELD
    return record


def test_release_stores_the_held_mail_and_a_second_release_is_told_it_is_gone(desk, agent, contact):
    held = _held_by_the_channel(sender="Ann <ann@acme.example>", subject="Not spam at all")
    response = desk.post(reverse("desk:release_mail", args=[held.pk]), follow=True)
    assert response.redirect_chain == [(reverse("desk:held_mail"), 302)]
    held.refresh_from_db()
    assert held.outcome == Outcome.TICKET and held.decided_by == agent and held.decided_at is not None
    assert held.ticket is not None and held.ticket.contact == contact
    html = response.content.decode()
    assert f"Released the mail from ann@acme.example: New ticket #{held.ticket_id}." in html
    assert "Not spam at all" not in html.split("</nav>", 1)[1]  # off the list

    again = desk.post(reverse("desk:release_mail", args=[held.pk]), follow=True)
    assert again.redirect_chain == [(reverse("desk:held_mail"), 302)]
    assert "no longer held" in again.content.decode()
    assert InboundMail.objects.get(pk=held.pk).ticket_id == held.ticket_id  # not stored twice


def test_delete_drops_the_original_keeps_the_record_and_release_then_fails(
        desk, agent, contact, django_capture_on_commit_callbacks):
    held = _held_by_the_channel(sender="Ann <ann@acme.example>", subject="Junk")
    stored = held.raw.name
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(reverse("desk:delete_mail", args=[held.pk]), follow=True)
    assert response.redirect_chain == [(reverse("desk:held_mail"), 302)]
    assert "Deleted the mail from ann@acme.example." in response.content.decode()
    held.refresh_from_db()
    assert held.outcome == Outcome.DELETED and not held.raw and held.decided_by == agent
    assert not attachment_storage().exists(stored)
    assert desk.get(reverse("desk:inbound_eml", args=[held.pk])).status_code == 404

    refused = desk.post(reverse("desk:release_mail", args=[held.pk]), follow=True)
    assert "no longer held" in refused.content.decode()
    assert InboundMail.objects.get(pk=held.pk).outcome == Outcome.DELETED


def test_release_or_delete_of_an_unknown_mail_is_not_found(desk):
    pytest.importorskip("extdesk.mail.services")
    assert desk.post(reverse("desk:release_mail", args=[999999])).status_code == 404
    assert desk.post(reverse("desk:delete_mail", args=[999999])).status_code == 404


# ---------------------------------------------------------------- admin


def test_the_incoming_mail_admin_lists_searches_and_changes_nothing(client):
    held = _inbound(sender_address="spammer@example.net", subject="Cheap watches")
    _inbound(sender_address="ann@acme.example", subject="Real question", outcome=Outcome.TICKET)
    client.force_login(make_staff(password=None, is_superuser=True))
    listing = client.get("/admin/mail/inboundmail/", {"q": "spammer"}).content.decode()
    assert "Cheap watches" in listing and "Real question" not in listing
    tickets = client.get("/admin/mail/inboundmail/", {"outcome__exact": "ticket"}).content.decode()
    assert "Real question" in tickets and "Cheap watches" not in tickets
    detail = client.get(f"/admin/mail/inboundmail/{held.pk}/change/").content.decode()
    assert f'href="/desk/mail/{held.pk}/"' in detail and f'href="/desk/mail/{held.pk}.eml"' in detail
    assert client.get("/admin/mail/inboundmail/add/").status_code == 403
    assert client.post(f"/admin/mail/inboundmail/{held.pk}/delete/", {"post": "yes"}).status_code == 403
    assert InboundMail.objects.filter(pk=held.pk).exists()
