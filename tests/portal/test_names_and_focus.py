"""What the customer sees of staff (their display name, never a login name), and refused forms that
open at the field to mend."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from extdesk.helpdesk import services
from extdesk.helpdesk.models import StaffProfile
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return make_contact("acme")


@pytest.fixture
def customer(client, contact):
    client.force_login(contact.user)
    return client


def test_the_thread_names_staff_by_display_name_and_never_by_login(customer, contact):
    ticket = make_ticket(contact)
    named = make_staff("asmith", email="a@provider.example", password=None, first_name="Alice",
                       last_name="Jones")
    StaffProfile.objects.create(user=named, display_name="Alice Smith")
    bare = make_staff("bob7", email="b@provider.example", password=None)
    services.reply(ticket, author=named, body="We are on it.")
    services.reply(ticket, author=bare, body="Fixed now.")
    html = customer.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    authors = re.findall(r'<span class="author">([^<]*)<span class="role">Support', html)
    assert authors == ["Alice Smith", "Support team"]
    assert "asmith" not in html and "bob7" not in html and "Alice Jones" not in html


def test_a_refused_reply_opens_at_the_form_with_the_cursor_in_it(customer, contact):
    ticket = make_ticket(contact)
    response = customer.post(reverse("portal:ticket", args=[ticket.pk]), {"body": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'action="/tickets/{ticket.pk}/#reply"' in html and 'id="reply"' in html
    assert re.search(r'<textarea name="body"[^>]*autofocus', html)
    assert html.count("autofocus") == 1


def test_a_refused_new_ticket_focuses_its_first_wrong_field(customer):
    response = customer.post(reverse("portal:new_ticket"),
                             {"subject": "Printer", "body": "", "priority": "2"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'action="/tickets/new/#new-ticket"' in html and 'id="new-ticket"' in html
    assert re.search(r'<textarea name="body"[^>]*autofocus', html)
    assert html.count("autofocus") == 1
    # A page that was not refused puts the cursor nowhere in particular.
    assert "autofocus" not in customer.get(reverse("portal:new_ticket")).content.decode()
