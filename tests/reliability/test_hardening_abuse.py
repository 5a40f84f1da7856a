"""Abuse from outside: forwarded addresses with ports, and floods of the audit log."""

from __future__ import annotations

import ipaddress
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from extdesk.audit import services as audit
from extdesk.audit.models import AuditEntry
from extdesk.security.models import AuthFailureWindow
from extdesk.soap.envelope import encode_call
from extdesk.web.addresses import UNKNOWN_ADDRESS, client_ip, parse_hop, request_address
from tests.support.server import live_server_any_db
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


# ---------------------------------------------------------------- audit log floods


def fresh_window(margin: float = 3) -> None:
    """Wait for a new refusal window if this one ends within ``margin`` seconds,
    so that a test's refusals all fall into one."""
    left = audit.REFUSED_WINDOW_SECONDS - time.time() % audit.REFUSED_WINDOW_SECONDS
    if left < margin:
        time.sleep(left + 0.1)


def audit_rows() -> list[tuple]:
    return list(AuditEntry.objects.order_by("id").values_list("kind", "address", "status", "count"))


@pytest.mark.django_db
def test_refused_soap_requests_from_one_address_in_one_window_are_one_row_with_the_count(
        client, settings):
    settings.EXTDESK_AUTH_FAIL_LIMIT = 10_000  # counting, not throttling, here
    fresh_window()
    started = datetime.now(UTC)
    for _ in range(300):
        assert soap(client, WRONG_SECRET, "192.0.2.7") == 401
    for _ in range(3):
        assert soap(client, WRONG_SECRET, "192.0.2.8") == 401
    # Refused before the signature is even looked at: too large, and none at all.
    settings.EXTDESK_MAX_BODY_BYTES = 1024
    for _ in range(2):
        assert client.post("/soap/", data=b"x" * 2048, content_type="text/xml",
                           REMOTE_ADDR="192.0.2.7").status_code == 413
    assert client.post("/soap/", data=GREET, content_type="text/xml",
                       REMOTE_ADDR="192.0.2.7").status_code == 401
    assert soap(client, settings.EXTDESK_SECRET, "192.0.2.7") == 200
    assert audit_rows() == [
        ("soap", "192.0.2.7", 401, 301),
        ("soap", "192.0.2.8", 401, 3),
        ("soap", "192.0.2.7", 413, 2),
        # The accepted call is an entry of its own, as before.
        ("soap", "192.0.2.7", 200, 1),
    ]
    first = AuditEntry.objects.get(address="192.0.2.7", status=401)
    assert started - timedelta(seconds=1) <= first.at <= first.last_at <= datetime.now(UTC)
    assert first.outcome == "client fault"


@pytest.mark.django_db
def test_replays_are_counted_with_the_refused_requests(client, settings):
    fresh_window()
    headers = signed_headers(settings.EXTDESK_SECRET, GREET)

    def send() -> int:
        return client.post("/soap/", data=GREET, content_type="text/xml; charset=utf-8",
                           HTTP_X_HSPC_SIGNATURE=headers["X-HSPC-Signature"],
                           REMOTE_ADDR="192.0.2.9").status_code

    assert [send() for _ in range(6)] == [200] + [401] * 5
    assert audit_rows() == [("soap", "192.0.2.9", 200, 1), ("soap", "192.0.2.9", 401, 5)]


@pytest.mark.django_db
def test_throttled_requests_write_nothing(client, settings):
    settings.EXTDESK_AUTH_FAIL_LIMIT = 5
    fresh_window()
    for _ in range(5):
        assert soap(client, WRONG_SECRET, "192.0.2.7") == 401
    rows_before = audit_rows()
    failures_before = list(AuthFailureWindow.objects.values_list("address", "window_start", "failures"))
    with CaptureQueriesContext(connection) as queries:
        for secret in [WRONG_SECRET] * 100 + [settings.EXTDESK_SECRET] * 100:
            assert soap(client, secret, "192.0.2.7") == 429
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert audit_rows() == rows_before == [("soap", "192.0.2.7", 401, 5)]
    assert list(AuthFailureWindow.objects.values_list("address", "window_start", "failures")) == (
        failures_before)


@pytest.mark.django_db
def test_refused_login_links_from_one_address_are_one_row_with_the_count(client):
    fresh_window()
    for i in range(300):
        assert client.get(f"/sso/{i:043d}", REMOTE_ADDR="198.51.100.5").status_code == 403
    assert client.get("/sso/short", REMOTE_ADDR="198.51.100.6").status_code == 403
    assert audit_rows() == [("login", "198.51.100.5", 403, 300), ("login", "198.51.100.6", 403, 1)]
    assert set(AuditEntry.objects.values_list("outcome", flat=True)) == {"refused"}


@pytest.mark.django_db
def test_a_new_window_starts_a_new_row():
    start = 1_800_000_000 // audit.REFUSED_WINDOW_SECONDS * audit.REFUSED_WINDOW_SECONDS
    for offset in (0, 1, audit.REFUSED_WINDOW_SECONDS - 1, audit.REFUSED_WINDOW_SECONDS,
                   audit.REFUSED_WINDOW_SECONDS + 5):
        audit.record_refused("soap", "192.0.2.7", "client fault", 401, now=start + offset)
    audit.record_refused("soap", "192.0.2.7", "client fault", 413, now=start + 2)
    rows = list(AuditEntry.objects.order_by("id").values_list("status", "count", "window_start", "at",
                                                              "last_at"))
    assert [row[:3] for row in rows] == [
        (401, 3, start), (401, 2, start + audit.REFUSED_WINDOW_SECONDS), (413, 1, start)]
    assert rows[0][3] == datetime.fromtimestamp(start, UTC)
    assert rows[0][4] == datetime.fromtimestamp(start + audit.REFUSED_WINDOW_SECONDS - 1, UTC)


@pytest.mark.django_db
def test_the_size_cap_holds_against_refusals_from_many_addresses_and_calls(client, settings):
    settings.EXTDESK_AUDIT_MAX_ROWS = 50
    settings.EXTDESK_AUTH_FAIL_LIMIT = 10_000
    for i in range(120):
        assert soap(client, WRONG_SECRET, f"2001:db8::{i:x}") == 401
        assert AuditEntry.objects.count() <= 50
    for _ in range(60):
        assert soap(client, settings.EXTDESK_SECRET, "192.0.2.7") == 200
        assert AuditEntry.objects.count() <= 50
    # The oldest went first: what is left is the newest 50.
    assert AuditEntry.objects.count() == 50
    assert not AuditEntry.objects.filter(status=401).exists()
    settings.EXTDESK_AUDIT_MAX_ROWS = 20
    assert audit.prune() == 30
    assert AuditEntry.objects.count() == 20


def test_the_size_cap_is_configured_in_rows():
    from extdesk.config import ConfigError, load_config

    base = {"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp"}
    assert load_config(base).audit_max_rows == 1_000_000
    assert load_config({**base, "EXTDESK_AUDIT_MAX_ROWS": "5000"}).audit_max_rows == 5000
    for bad in ("lots", "10"):
        with pytest.raises(ConfigError, match="EXTDESK_AUDIT_MAX_ROWS"):
            load_config({**base, "EXTDESK_AUDIT_MAX_ROWS": bad})


def _server_audit(server) -> list[tuple]:
    """(kind, status, rows, sum of counts) in the live server's own database."""
    sql = ("SELECT kind, status, COUNT(*), SUM(count) FROM audit_auditentry "
           "GROUP BY kind, status ORDER BY kind, status")
    url = server.env.get("EXTDESK_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    with sqlite3.connect(server.data_dir / "extdesk.sqlite3") as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


@pytest.mark.slow
def test_a_flood_against_the_real_server_writes_a_handful_of_rows(tmp_path):
    flood = 2000
    with live_server_any_db(tmp_path) as server:
        started = time.monotonic()
        statuses: dict[int, int] = {}
        with requests.Session() as http:
            for _ in range(flood):
                body_headers = signed_headers(WRONG_SECRET, GREET)
                status = http.post(server.soap_url, data=GREET, headers=body_headers, timeout=30).status_code
                statuses[status] = statuses.get(status, 0) + 1
            for i in range(flood):
                status = http.get(f"{server.base_url}/sso/{i:043d}", timeout=30).status_code
                statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.monotonic() - started
        rows = _server_audit(server)
    limit = 20  # EXTDESK_AUTH_FAIL_LIMIT's default
    assert statuses == {401: limit, 429: flood - limit, 403: flood}
    # At most two rows of each (the flood may straddle two windows), with every refusal counted.
    assert [(kind, status) for kind, status, _, _ in rows] == [("login", 403), ("soap", 401)]
    assert all(count <= 2 for _, _, count, _ in rows)
    assert {(kind, total) for kind, _, _, total in rows} == {("login", flood), ("soap", limit)}
    print(f"{2 * flood} refused requests in {elapsed:.1f} s: {sum(r[2] for r in rows)} audit rows")
