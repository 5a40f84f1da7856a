"""A contact never sees nor touches a ticket outside its own accounts, whatever the URL."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Attachment, Message, Ticket
from tests.helpdesk.factories import make_contact, make_staff, make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two companies; Ann and Bob work at acme, Eve at evil."""
    ann = make_contact("acme")
    bob = make_contact("acme")
    eve = make_contact("evil")
    staff = make_staff()
    acme_ticket = make_ticket(ann, subject="Acme secret plans", attachments=[upload("plans.txt", b"plans")])
    services.reply(acme_ticket, author=staff, body="internal",
                   attachments=[upload("note.txt", b"staff only")], internal=True)
    eve_ticket = make_ticket(eve, subject="Evil ticket", attachments=[upload("evil.txt", b"evil")])
    return {"ann": ann, "bob": bob, "eve": eve, "staff": staff, "acme": acme_ticket, "evil": eve_ticket}


def _attachment(ticket: Ticket, internal: bool = False) -> Attachment:
    return Attachment.objects.get(message__ticket=ticket, message__is_internal=internal)


def test_account_colleague_sees_the_ticket(client, world):
    client.force_login(world["bob"].user)
    assert client.get(reverse("portal:ticket", args=[world["acme"].pk])).status_code == 200
    file = _attachment(world["acme"])
    assert client.get(reverse("portal:attachment", args=[file.pk, "plans.txt"])).status_code == 200


def test_other_company_gets_404_on_every_url(client, world):
    client.force_login(world["eve"].user)
    target = world["acme"]
    before = (target.status, Message.objects.filter(ticket=target).count())
    assert client.get(reverse("portal:ticket", args=[target.pk])).status_code == 404
    assert client.post(reverse("portal:ticket", args=[target.pk]), {"body": "hijack"}).status_code == 404
    assert client.post(reverse("portal:close", args=[target.pk])).status_code == 404
    assert client.post(reverse("portal:reopen", args=[target.pk])).status_code == 404
    file = _attachment(target)
    assert client.get(reverse("portal:attachment", args=[file.pk, "plans.txt"])).status_code == 404
    target.refresh_from_db()
    assert (target.status, Message.objects.filter(ticket=target).count()) == before
    listing = client.get(reverse("portal:tickets"), {"state": "all", "q": f"#{target.pk}"})
    assert list(listing.context["page"].object_list) == []


def test_unknown_and_foreign_numbers_answer_the_same(client, world):
    client.force_login(world["eve"].user)
    foreign = client.get(reverse("portal:ticket", args=[world["acme"].pk]))
    missing = client.get(reverse("portal:ticket", args=[999_999]))
    assert foreign.status_code == missing.status_code == 404
    assert _without_switcher(foreign.content) == _without_switcher(missing.content)


def _without_switcher(page: bytes) -> bytes:
    # The header's language form carries a fresh CSRF token and the page's own address back.
    return re.sub(rb'<form[^>]*class="language-switcher".*?</form>', b"", page, flags=re.S)


def test_every_ticket_number_is_probed(client, world):
    client.force_login(world["eve"].user)
    visible = {pk for pk in Ticket.objects.values_list("pk", flat=True)
               if client.get(reverse("portal:ticket", args=[pk])).status_code == 200}
    assert visible == {world["evil"].pk}
    files = {a.pk for a in Attachment.objects.all()
             if client.get(reverse("portal:attachment", args=[a.pk, "x"])).status_code == 200}
    assert files == {_attachment(world["evil"]).pk}


def test_internal_note_attachments_are_staff_only(client, world):
    note_file = _attachment(world["acme"], internal=True)
    client.force_login(world["ann"].user)
    assert client.get(reverse("portal:attachment", args=[note_file.pk, "note.txt"])).status_code == 404
    client.force_login(world["staff"])
    response = client.get(reverse("portal:attachment", args=[note_file.pk, "note.txt"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"staff only"


def test_anonymous_download_is_refused(client, world):
    file = _attachment(world["acme"])
    assert client.get(reverse("portal:attachment", args=[file.pk, "plans.txt"])).status_code == 404


def test_download_headers_are_safe(client, world):
    ticket = make_ticket(world["ann"], attachments=[upload("page.html", b"<script>alert(1)</script>",
                                                           "text/html")])
    file = _attachment(ticket)
    client.force_login(world["ann"].user)
    response = client.get(reverse("portal:attachment", args=[file.pk, "page.html"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="page.html"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_the_filer_keeps_access_after_leaving_the_account(client, world):
    ann = world["ann"]
    ann.accounts.clear()
    client.force_login(ann.user)
    assert client.get(reverse("portal:ticket", args=[world["acme"].pk])).status_code == 200
    bob = world["bob"]
    bob.accounts.clear()
    client.force_login(bob.user)
    assert client.get(reverse("portal:ticket", args=[world["acme"].pk])).status_code == 404


def test_deactivated_user_is_locked_out(client, world):
    user = world["ann"].user
    client.force_login(user)
    user.is_active = False
    user.save()
    assert client.get(reverse("portal:tickets")).status_code == 403


def test_a_customer_login_given_staff_rights_downloads_only_what_its_contact_may(client, world):
    """Staff rights on a contact's login (an admin's mistake) open no other customer's file."""
    eve_user = world["eve"].user
    eve_user.is_staff = True
    eve_user.save(update_fields=["is_staff"])
    client.force_login(eve_user)
    note_file = _attachment(world["acme"], internal=True)
    for file in (_attachment(world["acme"]), note_file):
        assert client.get(reverse("portal:attachment", args=[file.pk, file.original_name])).status_code == 404
    # Its own ticket's file still comes, under the contact's rule.
    own = client.get(reverse("portal:attachment", args=[_attachment(world["evil"]).pk, "evil.txt"]))
    assert own.status_code == 200 and b"".join(own.streaming_content) == b"evil"


def test_deactivated_staff_downloads_nothing(client, world):
    staff = world["staff"]
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    client.force_login(staff)
    for internal in (False, True):
        file = _attachment(world["acme"], internal=internal)
        assert client.get(reverse("portal:attachment", args=[file.pk, file.original_name])).status_code == 404
