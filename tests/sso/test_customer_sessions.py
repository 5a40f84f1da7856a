"""Customer sessions end after EXTDESK_CUSTOMER_SESSION_IDLE idle seconds, and at
EXTDESK_CUSTOMER_SESSION_MAX at the latest (issue 10, item 10).

They used to last Django's two weeks. Real requests through Django's test
client on the real database; time is moved by rewriting the stamps stored
in the session, never by patching code.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse

from extdesk.config import ConfigError, load_config
from extdesk.sso import services
from extdesk.sso.sessions import SEEN, SINCE
from tests.helpdesk.factories import STAFF_PASSWORD, make_contact, make_staff

pytestmark = pytest.mark.django_db

LOOPBACK = ipaddress.ip_address("127.0.0.1")
HOUR = 3600


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client, contact=None):
    contact = contact or make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    assert client.get(reverse("sso:landing", args=[token]), REMOTE_ADDR="127.0.0.1").status_code == 302
    return contact


def _stamp(client, **ages: int) -> None:
    """Move the session's clock: ``since``/``seen`` become that many seconds ago."""
    session = client.session
    now = int(time.time())
    if "since" in ages:
        session[SINCE] = now - ages["since"]
    if "seen" in ages:
        session[SEEN] = now - ages["seen"]
    session.save()


def _portal(client):
    return client.get(reverse("portal:tickets"))


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_defaults_are_eight_idle_hours_and_a_day_at_most():
    config = load_config({"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp"})
    assert (config.customer_session_idle, config.customer_session_max) == (8 * HOUR, 24 * HOUR)
    assert django_settings.EXTDESK_CUSTOMER_SESSION_IDLE == 8 * HOUR
    assert django_settings.EXTDESK_CUSTOMER_SESSION_MAX == 24 * HOUR


def test_a_new_customer_session_lasts_the_idle_time_not_two_weeks(client):
    _sign_in(client)
    session = client.session
    assert session.get_expiry_age() == 8 * HOUR
    assert abs(session[SINCE] - time.time()) < 5 and session[SEEN] == session[SINCE]
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == 8 * HOUR


def test_activity_keeps_the_session_and_idleness_ends_it(client):
    _sign_in(client)
    _stamp(client, since=7 * HOUR, seen=7 * HOUR)
    assert _portal(client).status_code == 200
    # The visit counted as activity: the idle clock starts over.
    assert abs(client.session[SEEN] - time.time()) < 5
    assert client.session.get_expiry_age() == 8 * HOUR

    _stamp(client, seen=8 * HOUR + 1)
    ended = _portal(client)
    assert ended.status_code == 403
    assert b"session has ended" in ended.content
    assert not _signed_in(client)


def test_the_session_ends_at_the_cap_however_active(client):
    _sign_in(client)
    _stamp(client, since=24 * HOUR - 100, seen=120)
    assert _portal(client).status_code == 200
    # Refreshed, but never beyond the cap: cookie and stored row end with it.
    assert 0 < client.session.get_expiry_age() <= 100

    _stamp(client, since=24 * HOUR + 1, seen=0)
    assert _portal(client).status_code == 403
    assert not _signed_in(client)


def test_visits_within_a_minute_write_nothing(client):
    _sign_in(client)
    _stamp(client, seen=30)
    before = client.session[SEEN]
    assert _portal(client).status_code == 200
    assert client.session[SEEN] == before


def test_the_limits_come_from_the_settings(client, settings):
    settings.EXTDESK_CUSTOMER_SESSION_IDLE = 600
    settings.EXTDESK_CUSTOMER_SESSION_MAX = 3000
    _sign_in(client)
    assert client.session.get_expiry_age() == 600
    _stamp(client, seen=601)
    assert _portal(client).status_code == 403


def test_an_ended_session_can_start_again_through_a_new_link(client):
    contact = _sign_in(client)
    _stamp(client, seen=9 * HOUR)
    assert _portal(client).status_code == 403
    _sign_in(client, contact)
    assert _portal(client).status_code == 200


def test_staff_sessions_are_not_affected(client, settings):
    settings.EXTDESK_CUSTOMER_SESSION_IDLE = 60
    settings.EXTDESK_CUSTOMER_SESSION_MAX = 60
    staff = make_staff("agent")
    _sign_in(client)
    # A staff sign-in in the same browser replaces the customer's session whole.
    response = client.post(reverse("desk:login"), {"username": "agent", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    session = client.session
    assert session["_auth_user_id"] == str(staff.pk)
    assert SINCE not in session and SEEN not in session
    assert session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE
    assert client.get(reverse("desk:queue")).status_code == 200


def test_a_session_with_unreadable_stamps_is_ended(client):
    _sign_in(client)
    session = client.session
    session[SEEN] = "tomorrow"
    session.save()
    assert _portal(client).status_code == 403
    assert not _signed_in(client)


@pytest.mark.django_db(transaction=True)
def test_upgrade_ends_customer_sessions_from_before_the_limits(client):
    """Sessions made before the stamps existed would have lasted two weeks."""
    from django.test import Client

    customer_browser, staff_browser = Client(), Client()
    customer_browser.force_login(make_contact("acme").user)
    staff_browser.force_login(make_staff("agent", password=None))
    stamped = Client()
    _sign_in(stamped)
    call_command("migrate", "sso", "0001", verbosity=0)
    call_command("migrate", verbosity=0)
    left = set(Session.objects.values_list("session_key", flat=True))
    assert customer_browser.session.session_key not in left
    assert staff_browser.session.session_key in left
    assert stamped.session.session_key in left
    assert staff_browser.get(reverse("desk:queue")).status_code == 200


BASE_ENV = {"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp"}


@pytest.mark.parametrize(("env", "message"), [
    ({"EXTDESK_CUSTOMER_SESSION_IDLE": "8h"}, "EXTDESK_CUSTOMER_SESSION_IDLE='8h' is not a whole number"),
    ({"EXTDESK_CUSTOMER_SESSION_IDLE": "59"}, "EXTDESK_CUSTOMER_SESSION_IDLE=59 must be at least 60"),
    ({"EXTDESK_CUSTOMER_SESSION_MAX": "0"}, "EXTDESK_CUSTOMER_SESSION_MAX=0 must be at least 60"),
    ({"EXTDESK_CUSTOMER_SESSION_IDLE": "7200", "EXTDESK_CUSTOMER_SESSION_MAX": "3600"},
     "EXTDESK_CUSTOMER_SESSION_IDLE=7200 must not be more than EXTDESK_CUSTOMER_SESSION_MAX=3600"),
    ({"EXTDESK_CUSTOMER_SESSION_IDLE": "172800"},
     "EXTDESK_CUSTOMER_SESSION_IDLE=172800 must not be more than EXTDESK_CUSTOMER_SESSION_MAX=86400"),
])
def test_bad_limits_are_refused_by_name(env, message):
    with pytest.raises(ConfigError) as caught:
        load_config({**BASE_ENV, **env})
    assert str(caught.value) == message


def test_limits_may_be_set_in_seconds():
    config = load_config({**BASE_ENV, "EXTDESK_CUSTOMER_SESSION_IDLE": " 900 ",
                          "EXTDESK_CUSTOMER_SESSION_MAX": "7200"})
    assert (config.customer_session_idle, config.customer_session_max) == (900, 7200)


def test_a_bad_limit_stops_the_command_line_at_start(tmp_path):
    env = {**os.environ, "EXTDESK_DATA_DIR": str(tmp_path), "EXTDESK_CUSTOMER_SESSION_IDLE": "soon"}
    done = subprocess.run([sys.executable, "-m", "extdesk.cli", "manage", "check"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "EXTDESK_CUSTOMER_SESSION_IDLE='soon' is not a whole number" in done.stderr
    assert "Traceback" not in done.stderr
