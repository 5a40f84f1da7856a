"""How staff are named: on the desk, and to customers (portal and mail), never by their login name."""

from __future__ import annotations

import pytest
from django.core import mail

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Message, StaffProfile
from extdesk.helpdesk.staff import NEUTRAL_STAFF_NAME, display_name, public_name, signed
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("profile, first, last, desk, customer", [
    ("Alice Smith", "Alice", "Jones", "Alice Smith", "Alice Smith"),
    ("", "Alice", "Jones", "Alice Jones", "Alice Jones"),
    (None, "Alice", "", "Alice", "Alice"),
    (None, "", "", "asmith7", NEUTRAL_STAFF_NAME),
    ("", "", "", "asmith7", NEUTRAL_STAFF_NAME),
])
def test_names_prefer_the_display_name_and_customers_never_get_the_login_name(profile, first, last, desk,
                                                                              customer):
    user = make_staff("asmith7", password=None, first_name=first, last_name=last)
    if profile is not None:
        StaffProfile.objects.create(user=user, display_name=profile)
    user.refresh_from_db()
    assert (display_name(user), public_name(user)) == (desk, customer)
    assert "asmith7" not in public_name(user)


def test_signed_adds_the_signature_under_the_usual_line_and_nothing_without_one():
    user = make_staff("asmith7", password=None)
    assert signed("Done.", user) == "Done."
    StaffProfile.objects.create(user=user, signature="Alice Smith\nBilling team")
    user.refresh_from_db()
    assert signed("Done.\n\n", user) == "Done.\n\n-- \nAlice Smith\nBilling team"


def test_the_customers_mail_and_thread_name_the_agent_by_display_name(django_capture_on_commit_callbacks):
    contact = make_contact("acme", email="ann@example.com")
    ticket = make_ticket(contact)
    agent = make_staff("alice", email="alice@provider.example", password=None)
    StaffProfile.objects.create(user=agent, display_name="Alice Smith")
    nameless = make_staff("bob7", email="bob@provider.example", password=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ticket, author=agent, body="We are on it.")
        services.reply(ticket, author=nameless, body="Fixed.")
    to_customer = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    assert "Alice Smith answered your ticket" in to_customer[0].body
    assert f"{NEUTRAL_STAFF_NAME} answered your ticket" in to_customer[1].body
    for message in to_customer:
        assert "alice" not in message.body.replace("Alice", "") and "bob7" not in message.body
    names = [m.public_author_name for m in Message.objects.filter(ticket=ticket).order_by("id")]
    assert names == [contact.display_name, "Alice Smith", NEUTRAL_STAFF_NAME]
