"""The copies (Cc) on the portal's ticket page: the customer sees who gets them and changes them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import CopyWay, EventKind
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return make_contact("acme", email="ann@example.com")


@pytest.fixture
def customer(client, contact):
    client.force_login(contact.user)
    return client


@pytest.fixture
def ticket(contact):
    return make_ticket(contact)


def _post(customer, name: str, ticket, address: str, **extra):
    return customer.post(reverse(f"portal:{name}", args=[ticket.pk]),
                         {"address": address, "version": ticket.version, **extra})


def test_the_customer_adds_and_removes_a_copy_without_a_script(customer, contact, ticket):
    page = customer.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "Copies (Cc)" in page and "Nobody gets copies." in page
    response = _post(customer, "copy_add", ticket, "bea@example.net")
    assert response.status_code == 302 and response["Location"].endswith("#copies")
    copy = ticket.copies.get()
    assert (copy.address, copy.how, copy.added_by_contact) == ("bea@example.net", CopyWay.PORTAL, contact)
    page = customer.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "bea@example.net" in page and "now gets copies" in page
    ticket.refresh_from_db()
    assert _post(customer, "copy_remove", ticket, "BEA@example.net").status_code == 302
    assert selectors.copied_addresses(ticket.pk) == []
    assert ticket.events.filter(kind=EventKind.COPY_REMOVED, actor_contact=contact).exists()


def test_a_refused_address_comes_back_next_to_the_field(customer, ticket):
    response = _post(customer, "copy_add", ticket, "no-address")
    assert response.status_code == 400
    assert 'id="id_address_error"' in response.content.decode()
    assert "valid e-mail address" in response.content.decode()
    make_staff(password=None)
    response = _post(customer, "copy_add", ticket, "agent@example.com")
    assert response.status_code == 400 and "staff member" in response.content.decode()
    assert selectors.copied_addresses(ticket.pk) == []


def test_a_change_of_the_copies_by_staff_since_the_page_was_drawn_is_a_conflict(customer, ticket):
    drawn = ticket.version
    services.add_copy(ticket, "bea@example.net", actor=make_staff(password=None))
    response = customer.post(reverse("portal:copy_remove", args=[ticket.pk]),
                             {"address": "bea@example.net", "version": drawn})
    assert response.status_code == 409
    assert "Someone changed the copies" in response.content.decode()
    assert selectors.copied_addresses(ticket.pk) == ["bea@example.net"]


def test_nobody_changes_the_copies_of_a_ticket_they_do_not_see(client, ticket):
    stranger = make_contact("other", email="eve@example.net")
    client.force_login(stranger.user)
    response = _post(client, "copy_add", ticket, "eve@example.net")
    assert response.status_code == 404
    assert selectors.copied_addresses(ticket.pk) == []


def test_the_copy_forms_need_the_csrf_token(contact, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(contact.user)
    response = browser.post(reverse("portal:copy_add", args=[ticket.pk]), {"address": "bea@example.net"})
    assert response.status_code == 403
    assert selectors.copied_addresses(ticket.pk) == []


def _file(customer, **fields):
    return customer.post(reverse("portal:new_ticket"), {
        "subject": "Mail is down", "body": "Since this morning.", "priority": "2", **fields})


def test_a_new_ticket_copies_the_addresses_given_with_it_each_once(customer, contact):
    response = _file(customer, copies="bea@example.net; Carl@Example.net,\nBEA@example.net  dora@example.org")
    assert response.status_code == 302
    ticket = contact.tickets.get()
    copied = ["bea@example.net", "Carl@Example.net", "dora@example.org"]
    assert selectors.copied_addresses(ticket.pk) == copied
    assert set(ticket.copies.values_list("how", flat=True)) == {CopyWay.PORTAL}
    added = ticket.events.filter(kind=EventKind.COPY_ADDED)
    assert added.count() == 3 and {event.version for event in added} == {ticket.version}
    # The next mail to the customer goes to them in Cc.
    services.reply(ticket, author=make_staff(password=None), body="Looking into it.")
    answer = OutgoingMail.objects.filter(about__startswith="the staff reply").latest("id")
    assert answer.recipients == ["ann@example.com"]
    assert answer.cc == copied


@pytest.mark.parametrize(("copies", "problem"), [
    ("bea@example.net, not-an-address", "“not-an-address” is not an e-mail address."),
    ("ann@example.com", "ann@example.com is the ticket&#x27;s customer"),
    (", ".join(f"p{n}@example.net" for n in range(11)), "A ticket copies at most 10 addresses"),
])
def test_a_refused_copy_files_nothing_and_says_why_next_to_the_field(customer, contact, copies, problem):
    response = _file(customer, copies=copies)
    assert response.status_code == 400
    page = response.content.decode()
    assert problem in page and 'id="id_copies_error"' in page
    assert not contact.tickets.exists()


def test_the_new_ticket_form_offers_copies_and_says_how(customer):
    page = customer.get(reverse("portal:new_ticket")).content.decode()
    assert 'name="copies"' in page and "separated by commas" in page
