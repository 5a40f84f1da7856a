"""Names of customers' logins (``contact-...``) cannot be given to anybody else (issue 10, item 3)."""

from __future__ import annotations

import io
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from extdesk.cli import main
from extdesk.desk.services import create_staff_user
from extdesk.sso.usernames import is_reserved_username
from tests.helpdesk.factories import make_contact, make_staff

GOOD = "plum-Violet-41-harbour"
RESERVED = "reserved for customer logins"


@pytest.mark.parametrize("name", ["contact-5", "CONTACT-5", "Contact-", "contact-anything", "\uff43ontact-5"])
def test_reserved_names(name):
    assert is_reserved_username(name)


@pytest.mark.parametrize("name", ["contact", "contacts-5", "my-contact-5", "contact_5", "alice"])
def test_other_names_are_free(name):
    assert not is_reserved_username(name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["contact-17", "Contact-17", "CONTACT-x"])
def test_create_staff_user_refuses_reserved_names(name):
    with pytest.raises(ValidationError) as caught:
        create_staff_user(name, GOOD)
    assert any(RESERVED in message for message in caught.value.message_dict["username"])
    assert not get_user_model().objects.exists()


@pytest.mark.django_db(transaction=True)
def test_createstaff_command_says_why(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{GOOD}\n"))
    assert main(["createstaff", "contact-17", "--superuser", "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "username:" in err and RESERVED in err
    assert not get_user_model().objects.exists()


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_staff("root", email="root@example.com", is_superuser=True))
    return client


def _add(admin_client, url: str, username: str):
    return admin_client.post(url, {"username": username, "password1": GOOD, "password2": GOOD,
                                   "usable_password": "true"})


@pytest.mark.parametrize("url", ["/admin/desk/staffmember/add/", "/admin/auth/user/add/"])
def test_admin_add_forms_refuse_reserved_names(admin_client, url):
    response = _add(admin_client, url, "Contact-99")
    assert response.status_code == 200
    assert RESERVED in response.content.decode()
    assert not get_user_model().objects.filter(username__iexact="contact-99").exists()
    assert _add(admin_client, url, "newbie").status_code == 302


def _change_data(user, **changes) -> dict[str, str]:
    data = {"username": user.get_username(), "email": user.email, "first_name": "", "last_name": "",
            "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    if user.is_staff:
        data["is_staff"] = "on"
    if user.is_superuser:
        data["is_superuser"] = "on"
    data.update(changes)
    return data


@pytest.mark.parametrize("url", ["/admin/desk/staffmember/{pk}/change/", "/admin/auth/user/{pk}/change/"])
def test_admin_change_forms_refuse_renaming_to_a_reserved_name(admin_client, url):
    agent = make_staff("agent", password=None)
    response = admin_client.post(url.format(pk=agent.pk), _change_data(agent, username="contact-3"))
    assert response.status_code == 200
    assert RESERVED in response.content.decode()
    agent.refresh_from_db()
    assert agent.get_username() == "agent"


def test_admin_still_edits_users_that_already_carry_such_a_name(admin_client):
    # A staff account from before names were reserved, and a customer's own login.
    legacy = make_staff("contact-4", password=None)
    customer = make_contact("acme", email="ann@example.com").user
    for user in (legacy, customer):
        response = admin_client.post(f"/admin/auth/user/{user.pk}/change/",
                                     _change_data(user, first_name="Edited"))
        assert response.status_code == 302, response.content.decode()[:2000]
        user.refresh_from_db()
        assert user.first_name == "Edited"
