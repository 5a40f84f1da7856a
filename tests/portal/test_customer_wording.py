"""Customers read statuses in their words ("Awaiting your reply", "Solved"); staff keep the desk's."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Status
from extdesk.helpdesk.wording import customer_status_label
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

CUSTOMER_WORDS = {
    Status.NEW: "Received", Status.OPEN: "In progress", Status.WAITING: "Awaiting your reply",
    Status.RESOLVED: "Solved", Status.CLOSED: "Closed",
}


def test_every_status_has_customer_words():
    assert {status: customer_status_label(status) for status in Status} == CUSTOMER_WORDS
    assert customer_status_label("unheard-of") == "unheard-of"


@pytest.mark.parametrize("status", [Status.WAITING, Status.RESOLVED, Status.OPEN])
def test_the_portal_names_statuses_as_customers_read_them(client, status):
    contact, staff = make_contact("acme"), make_staff(password=None)
    ticket = make_ticket(contact)
    services.update_properties(ticket, actor=staff, status=status)
    words, staff_words = CUSTOMER_WORDS[status], str(Status(status).label)
    client.force_login(contact.user)
    listing = client.get(reverse("portal:tickets"), {"state": "all"}).content.decode()
    detail = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    for page in (listing, detail):
        assert f'<span class="badge badge-status-{status}">{words}</span>' in page
        if staff_words != words:
            assert f">{staff_words}</span>" not in page
    client.force_login(staff)
    desk = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert f'<span class="badge badge-status-{status}">{staff_words}</span>' in desk


def test_the_list_tabs_say_what_they_hold(client):
    contact = make_contact("acme")
    client.force_login(contact.user)
    html = client.get(reverse("portal:tickets")).content.decode()
    assert ">Solved and closed</a>" in html and ">Open</a>" in html


def test_the_customer_mail_names_the_status_in_their_words(django_capture_on_commit_callbacks):
    contact, staff = make_contact("acme"), make_staff(password=None)
    ticket = make_ticket(contact)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_properties(ticket, actor=staff, status=Status.WAITING)
    [message] = mail.outbox
    assert "Status: Awaiting your reply:" in message.subject
    assert f"Your ticket {ticket.reference} is now awaiting your reply (it was received)." in message.body
    assert "Waiting on customer" not in message.subject + message.body
    # The desk's history keeps the staff's words.
    assert ticket.events.get(kind="status").new_value == "Waiting on customer"
