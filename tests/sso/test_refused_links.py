"""A refused login link changes nothing about the visitor's session (issue 10, item 9).

Anyone can make a browser load a link (an image tag, a link in mail), so a
refused link that signed the visitor out let any page end a customer's or
a staff member's session. Django's test client on the real database.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.sso import services
from extdesk.sso.models import LoginRecord, LoginToken
from tests.helpdesk.factories import make_contact, make_staff

pytestmark = pytest.mark.django_db

LOOPBACK = ipaddress.ip_address("127.0.0.1")
ELSEWHERE = ipaddress.ip_address("192.0.2.7")


def _url(token: str) -> str:
    return reverse("sso:landing", args=[token])


def _signed_in_customer(client, contact: Contact, act: str = "list") -> str:
    """Sign ``client`` in through a one-time link; returns that (now used) token."""
    token = services.issue_token(contact, LOOPBACK, act)
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 302
    return token


def _expired(contact: Contact) -> str:
    token = services.issue_token(contact, LOOPBACK, "list")
    LoginToken.objects.filter(token_hash=services.hash_token(token)).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    return token


# Used or expired links are gone for good (410); the others were never good for this visitor (403).
GONE = {"expired", "used"}


def _refused_links(contact: Contact) -> dict[str, str]:
    """One link of each kind the landing refuses, all of ``contact``'s own but unused."""
    good = services.issue_token(contact, LOOPBACK, "list")
    return {
        "unknown": "C" * services.TOKEN_LENGTH,
        "altered": good[:-1] + ("A" if good[-1] != "A" else "B"),
        "expired": _expired(contact),
        "wrong address": services.issue_token(contact, ELSEWHERE, "list"),
    }


@pytest.mark.parametrize("kind", ["unknown", "altered", "expired", "wrong address"])
def test_refused_link_leaves_a_customer_signed_in(client, kind):
    contact = make_contact("acme")
    _signed_in_customer(client, contact)
    session_key = client.session.session_key

    response = client.get(_url(_refused_links(contact)[kind]), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == (410 if kind in GONE else 403)
    assert b"not valid" in response.content
    assert client.session.session_key == session_key
    assert client.session["_auth_user_id"] == str(contact.user.pk)
    assert client.get(reverse("portal:tickets")).status_code == 200


@pytest.mark.parametrize("kind", ["unknown", "altered", "expired", "wrong address", "used"])
def test_refused_link_leaves_staff_signed_in(client, kind):
    agent = make_staff("agent", password=None)
    client.force_login(agent)
    contact = make_contact("acme")
    links = _refused_links(contact)
    if kind == "used":
        links["used"] = services.issue_token(contact, LOOPBACK, "list")
        assert services.redeem_token(links["used"], LOOPBACK) is not None

    response = client.get(_url(links[kind]), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == (410 if kind in GONE else 403)
    assert client.session["_auth_user_id"] == str(agent.pk)
    assert client.get(reverse("desk:queue")).status_code == 200


@pytest.mark.parametrize(("act", "page"), [("add", "portal:new_ticket"), ("list", "portal:tickets")])
def test_own_used_link_goes_on_to_its_page(client, act, page):
    contact = make_contact("acme")
    token = _signed_in_customer(client, contact, act)
    session_key = client.session.session_key

    again = client.get(_url(token), REMOTE_ADDR="127.0.0.1")

    assert again.status_code == 302
    assert again["Location"] == reverse(page)
    assert again["Referrer-Policy"] == "no-referrer"
    assert "no-store" in again["Cache-Control"]
    # Not a new login: the same session, no second login record.
    assert client.session.session_key == session_key
    assert LoginRecord.objects.count() == 1


def test_own_used_link_from_an_earlier_session_goes_on_too(client):
    """The back button after a sign-in through a newer link."""
    contact = make_contact("acme")
    older = _signed_in_customer(client, contact, "add")
    _signed_in_customer(client, contact, "list")
    response = client.get(_url(older), REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 302 and response["Location"] == reverse("portal:new_ticket")


def test_used_link_of_another_customer_is_refused_and_changes_nothing(client):
    mine, theirs = make_contact("acme"), make_contact("other")
    their_token = services.issue_token(theirs, LOOPBACK, "list")
    assert services.redeem_token(their_token, LOOPBACK) is not None
    _signed_in_customer(client, mine)

    response = client.get(_url(their_token), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 410
    assert client.session["_auth_user_id"] == str(mine.user.pk)


def test_used_link_without_a_session_is_refused(client):
    contact = make_contact("acme")
    token = _signed_in_customer(client, contact)
    client.logout()
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 410
    assert "_auth_user_id" not in client.session


def test_used_link_of_a_signed_in_staff_member_is_refused(client):
    """Staff opening a customer's used link get the refusal, not the customer's pages."""
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "add")
    assert services.redeem_token(token, LOOPBACK) is not None
    client.force_login(make_staff("agent", password=None))
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 410
