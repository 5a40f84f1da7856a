"""The admin: categories are edited there; tickets only shown; staff members listed apart."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from extdesk.desk.models import LoginFailure
from extdesk.helpdesk.models import Category, Ticket
from extdesk.helpdesk.services import add_copy
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_staff("root", email="root@example.com", is_superuser=True))
    return client


def test_category_list_and_edit(admin_client):
    category = make_category("Billing")
    make_ticket(make_contact("acme"), category=category)
    page = admin_client.get("/admin/helpdesk/category/")
    assert page.status_code == 200 and "Billing" in page.content.decode()
    response = admin_client.post(f"/admin/helpdesk/category/{category.pk}/change/",
                                 {"name": "Invoices", "is_active": "", "position": "3"})
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.name, category.is_active, category.position) == ("Invoices", False, 3)


def test_category_in_use_cannot_be_deleted(admin_client):
    used, unused = make_category("Used"), make_category("Unused")
    make_ticket(make_contact("acme"), category=used)
    assert admin_client.get(f"/admin/helpdesk/category/{used.pk}/delete/").status_code == 403
    response = admin_client.post(f"/admin/helpdesk/category/{unused.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert list(Category.objects.values_list("name", flat=True)) == ["Used"]


def test_tickets_are_shown_read_only_with_a_link_to_the_desk(admin_client):
    ticket = make_ticket(make_contact("acme"), "Printer on fire")
    listing = admin_client.get("/admin/helpdesk/ticket/").content.decode()
    assert "Printer on fire" in listing and f'href="/desk/tickets/{ticket.pk}/"' in listing
    assert admin_client.get(f"/admin/helpdesk/ticket/{ticket.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/helpdesk/ticket/{ticket.pk}/change/",
                                 {"subject": "Changed", "status": "closed"})
    assert response.status_code == 403
    assert Ticket.objects.get().subject == "Printer on fire"
    assert admin_client.get("/admin/helpdesk/ticket/add/").status_code == 403
    assert admin_client.get("/admin/helpdesk/message/").status_code == 200


def test_a_tickets_copies_are_shown_read_only(admin_client):
    contact = make_contact("acme")
    ticket = make_ticket(contact, "Printer on fire")
    add_copy(ticket, "bea@example.net", actor=contact)
    page = admin_client.get(f"/admin/helpdesk/ticket/{ticket.pk}/change/").content.decode()
    assert "bea@example.net" in page
    # Read only: no input to change or remove it (that is the desk's, with its history line).
    assert 'name="copies-0-address"' not in page and 'name="copies-0-DELETE"' not in page


def test_staff_members_exclude_customers_and_new_ones_are_staff(admin_client):
    customer = make_contact("acme")
    listing = admin_client.get("/admin/desk/staffmember/").content.decode()
    assert "root" in listing and customer.user.get_username() not in listing
    response = admin_client.post("/admin/desk/staffmember/add/", {
        "username": "newbie", "password1": "plum-Violet-41-harbour", "password2": "plum-Violet-41-harbour",
        "usable_password": "true",
    })
    assert response.status_code == 302
    assert get_user_model().objects.get(username="newbie").is_staff


def test_staff_member_weak_password_is_refused(admin_client):
    response = admin_client.post("/admin/desk/staffmember/add/", {
        "username": "newbie", "password1": "123", "password2": "123", "usable_password": "true"})
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_login_failures_can_be_cleared_to_lift_a_lockout(admin_client):
    from django.utils import timezone

    failure = LoginFailure.objects.create(username="alice", address="192.0.2.1", created_at=timezone.now())
    assert "alice" in admin_client.get("/admin/desk/loginfailure/").content.decode()
    assert admin_client.get("/admin/desk/loginfailure/add/").status_code == 403
    admin_client.post(f"/admin/desk/loginfailure/{failure.pk}/delete/", {"post": "yes"})
    assert not LoginFailure.objects.exists()


def test_plain_staff_cannot_use_the_admin(client):
    client.force_login(make_staff("agent"))
    assert client.get("/admin/helpdesk/category/").status_code == 403


def test_admin_is_branded_and_links_back_to_the_desk(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "Extdesk administration" in html
    assert 'href="/desk/"' in html
