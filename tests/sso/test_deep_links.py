"""A ticket link from mail, opened without a session, leads to that ticket after the sign-in (issue 15).

The whole way through Django's request handling: the notification's link,
the 403 page with the control panel, init_session over signed SOAP as the
platform calls it, the one-time link, the ticket. Real database, no mocks.
"""

from __future__ import annotations

import ipaddress
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from extdesk.helpdesk import services as helpdesk_services
from extdesk.outbox.models import OutgoingMail
from extdesk.sso import deep_links, services
from tests.endpoint.conftest import Soap
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

PANEL = "https://panel.example.net/home"
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.fixture(autouse=True)
def panel(settings):
    settings.EXTDESK_PLATFORM_URL = PANEL


def _mailed_ticket_path(ticket) -> str:
    """The portal link in the mail a staff reply sends the customer, as a path."""
    helpdesk_services.reply(ticket, author=make_staff(password=None), body="Fixed, please check.")
    mail = next(m for m in OutgoingMail.objects.order_by("-id") if ticket.contact.email in m.recipients)
    found = re.search(r"http://testserver(/tickets/\d+/)", mail.body)
    assert found, mail.body
    return found.group(1)


def _login_url(contact, act: str) -> str:
    """init_session over signed SOAP through the full request handling, as the platform calls it."""
    answer = Soap(Client()).call("init_session", contact.platform_id, "127.0.0.1", act)
    assert answer.status == 200
    url = answer.value
    assert url.startswith("http://testserver/sso/")
    return urlsplit(url).path


def _cookie_value(ticket_number: int, **payload) -> str:
    return signing.dumps(payload or {"ticket": ticket_number}, salt="extdesk.sso.deep-link")


@pytest.mark.parametrize("act", ["add", "list"])
def test_the_mailed_link_explains_then_the_sign_in_goes_on_to_the_ticket(act):
    contact = make_contact("acme")
    ticket = make_ticket(contact, subject="Mailbox full")
    path = _mailed_ticket_path(ticket)
    browser = Client()

    asked = browser.get(path)

    assert asked.status_code == 403
    page = asked.content.decode()
    assert "Sign in through your control panel to see this ticket." in page
    assert f'href="{PANEL}"' in page and "Mailbox full" not in page
    cookie = asked.cookies[deep_links.COOKIE]
    assert (cookie["path"], cookie["max-age"], cookie["samesite"]) == ("/sso/", 3600, "Lax")
    assert cookie["httponly"]
    assert signing.loads(cookie.value, salt="extdesk.sso.deep-link") == {"ticket": ticket.pk}

    landed = browser.get(_login_url(contact, act))

    assert landed.status_code == 302 and landed["Location"] == path
    cleared = landed.cookies[deep_links.COOKIE]
    assert cleared.value == "" and cleared["path"] == "/sso/"
    shown = browser.get(path)
    assert shown.status_code == 200 and "Mailbox full" in shown.content.decode()


def test_the_next_sign_in_without_the_cookie_goes_where_act_says():
    contact = make_contact("acme")
    path = _mailed_ticket_path(make_ticket(contact))
    browser = Client()
    browser.get(path)
    assert browser.get(_login_url(contact, "add"))["Location"] == path
    # The cookie was used up: a second sign-in follows its act.
    assert browser.get(_login_url(contact, "add"))["Location"] == reverse("portal:new_ticket")


def test_another_contacts_ticket_is_not_where_the_sign_in_goes():
    owner = make_contact("acme")
    path = _mailed_ticket_path(make_ticket(owner, subject="Owner's secret"))
    stranger = make_contact("globex")
    browser = Client()
    browser.get(path)

    landed = browser.get(_login_url(stranger, "list"))

    assert landed["Location"] == reverse("portal:tickets")
    assert browser.get(path).status_code == 404


@pytest.mark.parametrize("kind", ["tampered", "expired", "other salt", "not a number", "a boolean"])
def test_a_bad_cookie_is_ignored(kind, monkeypatch):
    contact = make_contact("acme")
    ticket = make_ticket(contact)
    good = _cookie_value(ticket.pk)
    if kind == "tampered":
        value = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    elif kind == "expired":
        real = time.time
        monkeypatch.setattr(signing.time, "time", lambda: real() - deep_links.MAX_AGE - 60)
        value = _cookie_value(ticket.pk)
        monkeypatch.setattr(signing.time, "time", real)
    elif kind == "other salt":
        value = signing.dumps({"ticket": ticket.pk})
    elif kind == "not a number":
        value = _cookie_value(0, ticket="//evil.example/")
    else:
        value = _cookie_value(0, ticket=True)
    browser = Client()
    browser.cookies[deep_links.COOKIE] = value

    landed = browser.get(_login_url(contact, "list"))

    assert landed["Location"] == reverse("portal:tickets")


@pytest.mark.parametrize("wanted", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_the_cookie_can_never_send_the_browser_off_site(wanted):
    contact = make_contact("acme")
    browser = Client()
    # Even a correctly signed value (the key leaked) names a ticket number or nothing.
    browser.cookies[deep_links.COOKIE] = _cookie_value(0, ticket=wanted)
    landed = browser.get(_login_url(contact, "add"))
    assert landed["Location"] == reverse("portal:new_ticket")
    # And a page URL given in the request is never stored: only the route's own number is.
    asked = Client().get(reverse("portal:ticket", args=[5]) + f"?next={wanted}")
    stored = signing.loads(asked.cookies[deep_links.COOKIE].value, salt="extdesk.sso.deep-link")
    assert stored == {"ticket": 5}


def test_only_the_ticket_page_is_remembered():
    for path in (reverse("portal:tickets"), reverse("portal:new_ticket")):
        response = Client().get(path)
        assert response.status_code == 403
        assert deep_links.COOKIE not in response.cookies
        assert "ended or was never started" in response.content.decode()


def test_a_signed_in_customer_opening_their_used_link_again_goes_on():
    contact = make_contact("acme")
    browser = Client()
    path = _login_url(contact, "add")
    assert browser.get(path)["Location"] == reverse("portal:new_ticket")

    again = browser.get(path)

    assert again.status_code == 302 and again["Location"] == reverse("portal:new_ticket")
    assert "no-store" in again["Cache-Control"]


def test_a_used_link_is_a_410_page_for_anyone_else():
    contact = make_contact("acme")
    path = _login_url(contact, "list")
    assert Client().get(path).status_code == 302

    other = Client()
    other.force_login(make_contact("globex").user)
    staff = Client()
    staff.force_login(make_staff(password=None))
    for browser, way_on in ((Client(), PANEL), (other, PANEL), (staff, reverse("desk:queue"))):
        refused = browser.get(path)
        assert refused.status_code == 410
        page = refused.content.decode()
        assert 'class="site-header"' in page and "This login link is not valid" in page
        # Staff are shown the way back to the desk, customers to their control panel.
        assert f'href="{way_on}"' in page
        assert (f'href="{PANEL}"' in page) is (browser is not staff)
        assert refused["Referrer-Policy"] == "no-referrer"


def test_an_expired_link_is_a_410_and_an_unknown_one_a_403(settings):
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    services.LoginToken.objects.update(expires_at=services.timezone.now())
    assert Client().get(reverse("sso:landing", args=[token])).status_code == 410
    unknown = Client().get(reverse("sso:landing", args=["C" * services.TOKEN_LENGTH]))
    assert unknown.status_code == 403 and "This login link is not valid" in unknown.content.decode()
