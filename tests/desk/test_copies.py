"""The copies (Cc) on the desk's ticket page: listed, added, removed, refused and collisions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import EventKind
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    return make_ticket(make_contact("acme", email="ann@example.com"))


def _add(desk, ticket, address: str, **extra):
    return desk.post(reverse("desk:copy_add", args=[ticket.pk]),
                     {"address": address, "version": ticket.version, **extra})


def test_the_customer_card_lists_the_copies_and_adding_one_goes_in_the_history(desk, ticket):
    response = _add(desk, ticket, "bea@example.net")
    assert response.status_code == 302 and response["Location"].endswith("#copies")
    page = desk.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert "Copies (Cc)" in page and 'href="mailto:bea@example.net"' in page
    assert "now gets copies" in page
    # The reply box says who else gets it.
    assert "Copies (Cc) to bea@example.net." in page
    assert "Copy (Cc) added" in page
    assert ticket.events.filter(kind=EventKind.COPY_ADDED, new_value="bea@example.net").count() == 1


def test_a_wrong_address_comes_back_next_to_the_field(desk, ticket):
    response = _add(desk, ticket, "bea at example")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="copy-new-error"' in page and "valid e-mail address" in page
    assert 'value="bea at example"' in page
    response = _add(desk, ticket, "ann@example.com")
    assert response.status_code == 400 and "the ticket&#x27;s customer" in response.content.decode()
    assert selectors.copied_addresses(ticket.pk) == []


def test_removing_takes_the_copy_off(desk, ticket, agent):
    services.add_copy(ticket, "bea@example.net", actor=agent)
    response = desk.post(reverse("desk:copy_remove", args=[ticket.pk]),
                         {"address": "bea@example.net", "version": ticket.version})
    assert response.status_code == 302
    assert selectors.copied_addresses(ticket.pk) == []
    assert ticket.events.filter(kind=EventKind.COPY_REMOVED, new_value="bea@example.net").exists()


def test_a_colleagues_change_since_the_page_was_drawn_is_shown_then_applied_anyway(desk, ticket):
    drawn = ticket.version
    colleague = make_staff("sam", email="sam@example.com", password=None)
    services.add_copy(ticket, "carl@example.net", actor=colleague)
    response = desk.post(reverse("desk:copy_remove", args=[ticket.pk]),
                         {"address": "carl@example.net", "version": drawn})
    assert response.status_code == 409
    page = response.content.decode()
    assert 'id="conflict-copies"' in page and "Remove carl@example.net anyway" in page
    assert selectors.copied_addresses(ticket.pk) == ["carl@example.net"]
    response = desk.post(reverse("desk:copy_remove", args=[ticket.pk]),
                         {"address": "carl@example.net", "anyway": "1"})
    assert response.status_code == 302
    assert selectors.copied_addresses(ticket.pk) == []


def test_the_copy_forms_need_the_csrf_token(agent, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    response = browser.post(reverse("desk:copy_add", args=[ticket.pk]), {"address": "bea@example.net"})
    assert response.status_code == 403
    assert selectors.copied_addresses(ticket.pk) == []
