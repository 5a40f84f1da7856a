"""The one-time login: tokens, the landing view, sessions (Django test client, real database)."""

from __future__ import annotations

import ipaddress
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from extdesk.periodic import Periodic
from extdesk.sso import services
from extdesk.sso.models import LoginRecord, LoginToken
from tests.helpdesk.factories import make_contact

pytestmark = pytest.mark.django_db

LOOPBACK = ipaddress.ip_address("127.0.0.1")


def _url(token: str) -> str:
    return reverse("sso:landing", args=[token])


def _session_user(client) -> str | None:
    """The id of the user the client's session is logged in as."""
    return client.session.get("_auth_user_id")


def test_token_is_random_long_and_stored_hashed():
    contact = make_contact("acme", with_user=False)
    token = services.issue_token(contact, LOOPBACK, "add")
    other = services.issue_token(contact, LOOPBACK, "add")
    assert token != other and len(token) == services.TOKEN_LENGTH
    stored = LoginToken.objects.get(token_hash=services.hash_token(token))
    assert token not in stored.token_hash
    assert not LoginToken.objects.filter(token_hash=token).exists()
    assert (stored.expires_at - stored.created_at).total_seconds() == 120


def test_valid_token_logs_in_creates_user_and_records(client):
    contact = make_contact("acme", with_user=False)
    token = services.issue_token(contact, LOOPBACK, "add")
    response = client.get(_url(token), REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="pytest")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:new_ticket")
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    contact.refresh_from_db()
    assert contact.user is not None and not contact.user.has_usable_password()
    assert not contact.user.is_staff
    assert _session_user(client) == str(contact.user.pk)
    record = LoginRecord.objects.get()
    assert (record.contact, record.ip, record.user_agent) == (contact, "127.0.0.1", "pytest")
    assert client.get(reverse("portal:new_ticket")).status_code == 200


def test_list_act_lands_on_the_list(client):
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    response = client.get(_url(token), REMOTE_ADDR="127.0.0.1")
    assert response["Location"] == reverse("portal:tickets")


def test_second_use_is_refused(client):
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 302
    client.logout()
    again = client.get(_url(token), REMOTE_ADDR="127.0.0.1")
    assert again.status_code == 410
    assert _session_user(client) is None
    assert again["Referrer-Policy"] == "no-referrer"
    assert LoginRecord.objects.count() == 1


def test_expired_token_is_refused(client):
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    LoginToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 410
    assert _session_user(client) is None


def test_wrong_address_is_refused_unless_relaxed(client, settings):
    contact = make_contact("acme")
    token = services.issue_token(contact, ipaddress.ip_address("192.0.2.1"), "list")
    assert client.get(_url(token), REMOTE_ADDR="192.0.2.2").status_code == 403
    assert _session_user(client) is None
    settings.EXTDESK_SSO_CHECK_IP = False
    assert client.get(_url(token), REMOTE_ADDR="192.0.2.2").status_code == 302


def test_trusted_proxy_forwarded_address_is_checked(client, settings):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    contact = make_contact("acme")
    token = services.issue_token(contact, ipaddress.ip_address("203.0.113.5"), "list")
    spoofed = client.get(_url(token), REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert spoofed.status_code == 403
    proxied = client.get(_url(token), REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert proxied.status_code == 302


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t[:-1],
    lambda t: t + "x",
    lambda t: "A" * len(t),
])
def test_tampered_token_is_refused(client, mangle):
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    response = client.get(_url(mangle(token)), REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 403
    assert b"not valid" in response.content
    assert _session_user(client) is None
    # The genuine token is still good.
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 302


def _unmasked(page: bytes) -> bytes:
    """The page without what differs by the request alone: the forms' CSRF tokens, the path to go back to."""
    return re.sub(rb'name="(csrfmiddlewaretoken|next)" value="[^"]*"', b"", page)


def test_refused_page_reveals_nothing(client):
    contact = make_contact("acme", email="secret-person@example.com")
    token = services.issue_token(contact, ipaddress.ip_address("192.0.2.1"), "list")
    wrong_ip = client.get(_url(token), REMOTE_ADDR="192.0.2.9")
    unknown = client.get(_url("B" * services.TOKEN_LENGTH), REMOTE_ADDR="192.0.2.9")
    # The same page, but for the header's language form (its CSRF token and the path to go back to).
    assert _unmasked(wrong_ip.content) == _unmasked(unknown.content)
    assert b"secret-person" not in wrong_ip.content


def test_login_gets_a_fresh_session_and_replaces_another_customer(client):
    first = make_contact("acme")
    second = make_contact("other")
    client.get(_url(services.issue_token(first, LOOPBACK, "list")), REMOTE_ADDR="127.0.0.1")
    old_key = client.session.session_key
    client.get(_url(services.issue_token(second, LOOPBACK, "list")), REMOTE_ADDR="127.0.0.1")
    assert client.session.session_key != old_key
    assert _session_user(client) == str(second.user.pk)


def test_bad_link_leaves_whoever_was_in_signed_in(client):
    contact = make_contact("acme")
    client.get(_url(services.issue_token(contact, LOOPBACK, "list")), REMOTE_ADDR="127.0.0.1")
    assert client.get(_url("C" * services.TOKEN_LENGTH), REMOTE_ADDR="127.0.0.1").status_code == 403
    # Refused links never sign anybody out (tests/sso/test_refused_links.py).
    assert _session_user(client) == str(contact.user.pk)


def test_post_is_not_allowed(client):
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    assert client.post(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 405
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_have_one_winner():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("in-memory SQLite is not shared between threads")
    contact = make_contact("acme")
    token = services.issue_token(contact, LOOPBACK, "list")
    barrier = threading.Barrier(4)
    results: list[object] = []

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(services.redeem_token(token, LOOPBACK))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert LoginRecord.objects.count() == 1


def test_deactivated_customer_cannot_log_in(client):
    contact = make_contact("acme")
    contact.user.is_active = False
    contact.user.save()
    token = services.issue_token(contact, LOOPBACK, "list")
    assert client.get(_url(token), REMOTE_ADDR="127.0.0.1").status_code == 403
    assert _session_user(client) is None
    assert LoginRecord.objects.count() == 0


def test_tokens_expired_over_a_day_ago_are_pruned_as_tokens_are_issued(monkeypatch):
    contact = make_contact("acme", with_user=False)
    stale = services.issue_token(contact, LOOPBACK, "add")
    recent = services.issue_token(contact, LOOPBACK, "add")
    now = timezone.now()
    LoginToken.objects.filter(token_hash=services.hash_token(stale)).update(
        expires_at=now - timedelta(days=1, seconds=1))
    LoginToken.objects.filter(token_hash=services.hash_token(recent)).update(
        expires_at=now - timedelta(hours=23))
    # Pruning runs at most once a minute per process; let the next issue run it.
    monkeypatch.setattr(services, "_pruning", Periodic())
    fresh = services.issue_token(contact, LOOPBACK, "list")
    left = set(LoginToken.objects.values_list("token_hash", flat=True))
    assert left == {services.hash_token(recent), services.hash_token(fresh)}
    # Within the minute, issuing does not prune again.
    LoginToken.objects.filter(token_hash=services.hash_token(recent)).update(
        expires_at=now - timedelta(days=2))
    services.issue_token(contact, LOOPBACK, "list")
    assert LoginToken.objects.filter(token_hash=services.hash_token(recent)).exists()
    assert services.prune_tokens(timezone.now()) == 1
