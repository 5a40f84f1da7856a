"""Times in the reader's zone: reported by the browser, checked, stored per user, applied to their pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from extdesk.helpdesk.models import Message
from extdesk.web.models import Preferences
from extdesk.web.timezones import SESSION_ZONE, valid_zone
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

URL = "/preferences/time-zone/"
# 2026-01-15 13:05 UTC: 14:05 in Berlin (CET), 08:05 in New York (EST), 22:05 in Tokyo.
MOMENT = datetime(2026, 1, 15, 13, 5, tzinfo=UTC)


@pytest.fixture
def contact():
    return make_contact("acme")


@pytest.fixture
def ticket(contact):
    ticket = make_ticket(contact, body="Hello")
    Message.objects.filter(ticket=ticket).update(created_at=MOMENT)
    return ticket


def _ticket_page(client, ticket) -> str:
    return client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()


def test_the_endpoint_is_where_the_script_posts():
    assert reverse("web:time_zone") == URL


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "   ", "../../etc/passwd", "Europe/Berlin/x",
                                  "europe/berlin", "A" * 65, "Europe/Berlin\x00"])
def test_a_bad_zone_is_refused_and_nothing_is_stored(client, contact, name):
    client.force_login(contact.user)
    response = client.post(URL, {"time_zone": name})
    assert response.status_code == 400
    assert "time zone" in response.json()["error"]
    assert not Preferences.objects.exists()
    assert client.session.get(SESSION_ZONE) == ""


def test_a_zone_is_stored_and_shown_next_time(client, contact, ticket):
    client.force_login(contact.user)
    page = _ticket_page(client, ticket)
    zone = settings.EXTDESK_TIME_ZONE
    assert f"Times are in {zone}." in page and f'data-time-zone="{zone}"' in page
    assert f'data-time-zone-url="{URL}"' in page and "/static/extdesk/timezone.js" in page

    response = client.post(URL, {"time_zone": "Asia/Tokyo"})
    assert (response.status_code, response.json()) == (200, {"time_zone": "Asia/Tokyo"})
    assert Preferences.objects.get(user=contact.user).time_zone == "Asia/Tokyo"
    page = _ticket_page(client, ticket)
    assert "Times are in Asia/Tokyo." in page
    assert ">Jan 15, 2026 22:05</time>" in page
    assert 'datetime="2026-01-15T22:05:00+09:00"' in page
    # Changed again (the reader travelled): the new zone wins.
    client.post(URL, {"time_zone": "Europe/Berlin"})
    assert ">Jan 15, 2026 14:05</time>" in _ticket_page(client, ticket)
    assert Preferences.objects.get(user=contact.user).time_zone == "Europe/Berlin"


def test_the_zone_follows_the_user_to_a_new_session(contact, ticket):
    Preferences.objects.create(user=contact.user, time_zone="America/New_York")
    browser = Client()
    browser.force_login(contact.user)
    page = _ticket_page(browser, ticket)
    assert "Times are in America/New_York." in page and ">Jan 15, 2026 08:05</time>" in page


def test_without_a_zone_pages_use_the_installations(client, contact, ticket, settings):
    settings.EXTDESK_TIME_ZONE = "Europe/Berlin"
    client.force_login(contact.user)
    page = _ticket_page(client, ticket)
    assert "Times are in Europe/Berlin." in page and ">Jan 15, 2026 14:05</time>" in page


def test_the_desk_shows_staff_times_in_their_zone(client, ticket):
    staff = make_staff(password=None)
    Preferences.objects.create(user=staff, time_zone="Asia/Tokyo")
    client.force_login(staff)
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert "Times are in Asia/Tokyo." in page and ">Jan 15, 2026 22:05</time>" in page


def test_the_zone_does_not_outlive_the_request(client, contact, ticket):
    Preferences.objects.create(user=contact.user, time_zone="Asia/Tokyo")
    client.force_login(contact.user)
    _ticket_page(client, ticket)
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_a_session_from_before_reads_the_zone_once(client, contact, ticket):
    Preferences.objects.create(user=contact.user, time_zone="Asia/Tokyo")
    client.force_login(contact.user)
    session = client.session
    del session[SESSION_ZONE]
    session.save()
    assert "Times are in Asia/Tokyo." in _ticket_page(client, ticket)
    assert client.session[SESSION_ZONE] == "Asia/Tokyo"


def test_pages_read_no_preference_row(client, contact, ticket):
    Preferences.objects.create(user=contact.user, time_zone="Asia/Tokyo")
    client.force_login(contact.user)
    with CaptureQueriesContext(connection) as queries:
        _ticket_page(client, ticket)
        client.get(reverse("portal:tickets"))
    assert not [q for q in queries.captured_queries if "web_preferences" in q["sql"]]


def test_signed_out_visitors_cannot_store_a_zone(client):
    assert client.post(URL, {"time_zone": "Europe/Berlin"}).status_code == 403
    assert not Preferences.objects.exists()


def test_the_endpoint_wants_the_csrf_token_and_a_post(contact):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(contact.user)
    assert browser.post(URL, {"time_zone": "Europe/Berlin"}).status_code == 403
    assert browser.get(URL).status_code == 405
    assert not Preferences.objects.exists()


@pytest.mark.database_independent
def test_zone_names():
    assert valid_zone("Europe/Berlin") and valid_zone("UTC") and valid_zone("America/Argentina/Salta")
    assert not valid_zone("Nowhere/Special") and not valid_zone("")


def _queue_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("desk:queue"), {"status": "all"})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_desk_queue_names_the_zone_at_no_extra_query(client, ticket):
    staff = make_staff(password=None)
    client.force_login(staff)
    without, page = _queue_queries(client)
    assert f"Times are in {settings.EXTDESK_TIME_ZONE}." in page
    client.post(URL, {"time_zone": "Asia/Tokyo"})
    with_zone, page = _queue_queries(client)
    assert "Times are in Asia/Tokyo." in page
    assert with_zone == without
