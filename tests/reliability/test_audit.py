"""The audit log: every SOAP call and every platform login, shown to staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from extdesk.audit import services
from extdesk.audit.models import AuditEntry
from extdesk.soap.envelope import decode_response, encode_call
from tests.support.signing import signed_headers

NS = "urn:HSPC/ExternalHelpdesk"


def post(client, body: bytes, secret: str | None = None):
    headers = signed_headers(secret or settings.EXTDESK_SECRET, body)
    return client.post("/soap/", data=body, content_type="text/xml; charset=utf-8",
                       HTTP_X_HSPC_SIGNATURE=headers["X-HSPC-Signature"],
                       REMOTE_ADDR="192.0.2.7")


def record(i: int) -> dict:
    return {"id": i, "email": f"p{i}@example.com", "first_name": f"P{i}"}


@pytest.mark.django_db
def test_every_call_is_logged_with_address_operation_outcome_and_records(client):
    assert post(client, encode_call(NS, "greet", [])).status_code == 200
    contacts = [("contacts", [record(i) for i in range(1, 4)])]
    assert post(client, encode_call(NS, "alter_contacts", contacts)).status_code == 200
    assert post(client, encode_call(NS, "list_contacts", [])).status_code == 200
    bad = [("contacts", [record(9), {"id": "x", "email": "a@b.example"}])]
    assert post(client, encode_call(NS, "alter_contacts", bad)).status_code == 500
    assert post(client, encode_call(NS, "greet", []), secret="wrong-secret-0123456789").status_code == 401

    rows = list(AuditEntry.objects.order_by("id").values_list(
        "kind", "address", "operation", "outcome", "status", "records"))
    assert rows == [
        ("soap", "192.0.2.7", "greet", "ok", 200, 0),
        ("soap", "192.0.2.7", "alter_contacts", "ok", 200, 3),
        ("soap", "192.0.2.7", "list_contacts", "ok", 200, 3),
        ("soap", "192.0.2.7", "alter_contacts", "client fault", 500, 2),
        # Unauthenticated: the body was never read as a call.
        ("soap", "192.0.2.7", "", "client fault", 401, 0),
    ]
    newest = AuditEntry.objects.order_by("-id").first()
    assert abs(newest.at - datetime.now(UTC)) < timedelta(seconds=30)


@pytest.mark.django_db
def test_a_call_costs_one_insert_into_the_log(client, monkeypatch):
    post(client, encode_call(NS, "greet", []))
    # The size cap is checked every so many new rows of a process (a read of
    # the id range); start the count afresh so that this call is not the one.
    monkeypatch.setattr(services, "_new_rows", 0)
    with CaptureQueriesContext(connection) as queries:
        assert post(client, encode_call(NS, "list_contacts", [])).status_code == 200
    audit_statements = [q["sql"] for q in queries if AuditEntry._meta.db_table in q["sql"]]
    assert len(audit_statements) == 1
    assert audit_statements[0].startswith("INSERT")


@pytest.mark.django_db
def test_logins_through_the_platform_are_logged_without_their_token(client):
    contacts = [("contacts", [record(42)])]
    assert post(client, encode_call(NS, "alter_contacts", contacts)).status_code == 200
    answer = post(client, encode_call(NS, "init_session", [("id", 42), ("ip", "192.0.2.7"), ("act", "add")]))
    url = decode_response(answer.content)
    token = url.rsplit("/", 1)[1]
    path = "/sso/" + token
    assert client.get(path, REMOTE_ADDR="192.0.2.7").status_code == 302
    # Signed out: a signed-in customer's own used link would lead on to its page.
    client.logout()
    assert client.get(path, REMOTE_ADDR="192.0.2.7").status_code == 410  # used: gone
    assert client.get("/sso/" + "x" * 43, REMOTE_ADDR="198.51.100.5").status_code == 403
    logins = list(AuditEntry.objects.filter(kind="login").order_by("id").values_list(
        "address", "person", "operation", "outcome", "status"))
    assert logins == [
        ("192.0.2.7", 42, "/tickets/new/", "ok", 302),
        ("192.0.2.7", None, "", "refused", 410),
        ("198.51.100.5", None, "", "refused", 403),
    ]
    assert not AuditEntry.objects.filter(operation__contains=token).exists()


@pytest.mark.django_db
def test_entries_older_than_the_retention_period_are_pruned(settings, capsys):
    settings.EXTDESK_AUDIT_RETENTION_DAYS = 30
    now = datetime.now(UTC)
    for age in (31, 29, 0):
        AuditEntry.objects.create(at=now - timedelta(days=age), kind="soap", address="a",
                                  operation="greet", outcome="ok", status=200)
    assert services.prune(now) == 1
    assert sorted((now - e.at).days for e in AuditEntry.objects.all()) == [0, 29]
    settings.EXTDESK_AUDIT_RETENTION_DAYS = 10
    call_command("prune_audit")
    assert "deleted 1 audit entries" in capsys.readouterr().out
    assert AuditEntry.objects.count() == 1


def test_retention_is_configured_in_days():
    from extdesk.config import ConfigError, load_config

    base = {"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp"}
    assert load_config(base).audit_retention_days == 90
    assert load_config({**base, "EXTDESK_AUDIT_RETENTION_DAYS": "7"}).audit_retention_days == 7
    with pytest.raises(ConfigError, match="EXTDESK_AUDIT_RETENTION_DAYS"):
        load_config({**base, "EXTDESK_AUDIT_RETENTION_DAYS": "a week"})


@pytest.mark.django_db
def test_staff_read_the_log_in_the_admin_and_cannot_alter_it(client):
    services.record_soap_call("203.0.113.9", "alter_contacts", 500, 200, b"")
    entry = AuditEntry.objects.get()
    staff = User.objects.create_user("clerk", password="pw-0123456789", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(staff)
    listing = client.get("/admin/audit/auditentry/")
    assert listing.status_code == 200
    assert b"203.0.113.9" in listing.content and b"alter_contacts" in listing.content
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == 1

    client.logout()
    customer = User.objects.create_user("customer", password="pw-0123456789")
    client.force_login(customer)
    assert client.get("/admin/audit/auditentry/").status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_caller_is_logged_and_throttled(client, settings):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.EXTDESK_AUTH_FAIL_LIMIT = 2
    body = encode_call(NS, "greet", [])

    def send(secret: str, caller: str) -> int:
        headers = signed_headers(secret, body)
        return client.post("/soap/", data=body, content_type="text/xml; charset=utf-8",
                           HTTP_X_HSPC_SIGNATURE=headers["X-HSPC-Signature"],
                           REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"{caller}, 10.0.0.9").status_code

    assert send("wrong-secret-0123456789", "203.0.113.50") == 401
    assert send("wrong-secret-0123456789", "203.0.113.50") == 401
    assert send(settings.EXTDESK_SECRET, "203.0.113.50") == 429
    # The proxy's other callers are not punished for one caller's failures.
    assert send(settings.EXTDESK_SECRET, "198.51.100.1") == 200
    # The caller's refusals are counted in one row; its throttled request is not written.
    assert list(AuditEntry.objects.order_by("id").values_list("address", "status", "count")) == [
        ("203.0.113.50", 401, 2), ("198.51.100.1", 200, 1)]
