"""Abuse from outside: forwarded addresses with ports, and floods of the audit log."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client

from extdesk.security.models import AuthFailureWindow
from extdesk.soap.envelope import encode_call
from extdesk.sso.addresses import UNKNOWN_ADDRESS, client_ip, parse_hop, request_address
from tests.support.signing import signed_headers

NS = "urn:HSPC/ExternalHelpdesk"
GREET = encode_call(NS, "greet", [])
WRONG_SECRET = "not-the-secret-at-all-0123"
PROXY = "10.0.0.5"


def soap(client: Client, secret: str, remote: str = "192.0.2.7", forwarded_for: str | None = None) -> int:
    headers = signed_headers(secret, GREET)
    meta = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return client.post("/soap/", data=GREET, content_type="text/xml; charset=utf-8",
                       HTTP_X_HSPC_SIGNATURE=headers["X-HSPC-Signature"], REMOTE_ADDR=remote,
                       **meta).status_code


# ---------------------------------------------------------------- X-Forwarded-For with ports


@pytest.mark.parametrize(("entry", "expected"), [
    ("203.0.113.66:40001", "203.0.113.66"),
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("2001:db8::1", "2001:db8::1"),
    (" 198.51.100.2:1 ", "198.51.100.2"),
    ("[::ffff:192.0.2.7]:8080", "192.0.2.7"),
])
def test_a_forwarded_entry_with_a_port_is_read(entry, expected):
    assert str(parse_hop(entry)) == expected
    assert str(client_ip(PROXY, entry, ["10.0.0.0/8"])) == expected


@pytest.mark.parametrize("entry", [
    "203.0.113.66:", "203.0.113.66:70000", "203.0.113.66:port", "[2001:db8::1]:", "2001:db8::1:443x",
    "[2001:db8::1]443", "unknown", "", "1.2.3.4:5:6", "[203.0.113.66:80]", "[nothing]:80",
])
def test_an_unreadable_entry_is_not_guessed_at(entry):
    with pytest.raises(ValueError):
        parse_hop(entry)


def test_ports_on_several_hops_are_read_rightmost_first():
    proxies = ["10.0.0.0/8"]
    assert str(client_ip(PROXY, "1.1.1.1:9, 203.0.113.66:40001, 10.0.0.3:443", proxies)) == "203.0.113.66"
    assert str(client_ip(PROXY, "[2001:db8::7]:5000,[fd00::1]:443", ["10.0.0.0/8", "fd00::/8"])) == (
        "2001:db8::7")


@pytest.mark.parametrize("header", ["garbage", "", " , ", "203.0.113.66:99999", "unknown, 10.0.0.3"])
def test_an_unreadable_header_from_a_proxy_never_yields_the_proxy_address(header, settings):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(PROXY, header, settings.EXTDESK_TRUSTED_PROXIES) is None
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": header}
    assert request_address(meta) == UNKNOWN_ADDRESS


def test_the_proxy_itself_is_the_address_only_when_it_forwards_nobody(settings):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert request_address({"REMOTE_ADDR": PROXY}) == PROXY
    assert request_address({"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "10.0.0.9"}) == "10.0.0.9"
    # An untrusted peer's header is ignored, readable or not.
    assert request_address({"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "garbage"}) == "192.0.2.1"
    assert request_address({"REMOTE_ADDR": ""}) == UNKNOWN_ADDRESS


@pytest.mark.django_db
@pytest.mark.parametrize("caller", ["203.0.113.66:40001", "[2001:db8::1]:443"])
def test_soap_failures_behind_a_proxy_count_against_the_caller_with_a_port(client, settings, caller):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.EXTDESK_AUTH_FAIL_LIMIT = 3
    for _ in range(3):
        assert soap(client, WRONG_SECRET, PROXY, f"{caller}, 10.0.0.9") == 401
    assert soap(client, settings.EXTDESK_SECRET, PROXY, f"{caller}, 10.0.0.9") == 429
    # Every other client of the proxy is still served.
    assert soap(client, settings.EXTDESK_SECRET, PROXY, "198.51.100.1:5555") == 200
    assert soap(client, settings.EXTDESK_SECRET, PROXY) == 200
    expected = str(parse_hop(caller))
    assert list(AuthFailureWindow.objects.values_list("address", flat=True)) == [expected]


@pytest.mark.django_db
def test_soap_failures_with_an_unreadable_header_never_throttle_the_proxy(client, settings):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.EXTDESK_AUTH_FAIL_LIMIT = 3
    for _ in range(4):
        assert soap(client, WRONG_SECRET, PROXY, "not an address") in (401, 429)
    assert not AuthFailureWindow.objects.filter(address=PROXY).exists()
    assert soap(client, settings.EXTDESK_SECRET, PROXY, "198.51.100.1:5555") == 200
    assert soap(client, settings.EXTDESK_SECRET, PROXY) == 200


@pytest.mark.django_db
def test_staff_sign_in_failures_behind_a_proxy_count_against_the_caller_with_a_port(client, settings):
    from extdesk.desk.models import LoginFailure

    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for caller in ("203.0.113.66:40001", "[2001:db8::1]:443", "garbage"):
        response = client.post("/desk/login/", {"username": "nobody", "password": "wrong"},
                               REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=caller)
        assert response.status_code == 400
    assert sorted(LoginFailure.objects.values_list("address", flat=True)) == sorted(
        ["203.0.113.66", "2001:db8::1", UNKNOWN_ADDRESS])


@pytest.mark.django_db
def test_refused_logins_behind_a_proxy_are_logged_under_the_caller(client, settings):
    from extdesk.audit.models import AuditEntry

    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    for caller in ("203.0.113.66:40001", "garbage"):
        assert client.get("/sso/" + "x" * 43, REMOTE_ADDR=PROXY,
                          HTTP_X_FORWARDED_FOR=caller).status_code == 403
    assert sorted(AuditEntry.objects.values_list("address", flat=True)) == sorted(
        ["203.0.113.66", UNKNOWN_ADDRESS])


def test_the_address_helpers_agree_with_ipaddress():
    # parse_hop never widens what an address is: the text of a bare address
    # reads exactly as ipaddress reads it.
    for text in ("192.0.2.7", "2001:db8::1", "::1"):
        assert parse_hop(text) == ipaddress.ip_address(text)
