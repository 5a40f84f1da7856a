"""The X-HSPC-Signature check: every failure is 401 + fault and writes nothing."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.db import connection

from extdesk.audit.models import AuditEntry
from extdesk.contacts.models import Contact
from extdesk.endpoint.models import UsedNonce
from extdesk.endpoint.services import prune_nonces
from extdesk.security.models import AuthFailureWindow
from extdesk.soap import signature
from extdesk.soap.envelope import encode_call
from tests.endpoint.test_operations import record

BODY = encode_call("urn:HSPC/ExternalHelpdesk", "alter_contacts", [("c", [record(1)])])


def assert_refused(answer):
    assert answer.status == 401
    assert answer.content_type == "text/xml; charset=utf-8"
    assert answer.fault.code == "Client"
    assert answer.fault.message == "authentication failed"
    assert Contact.objects.count() == 0


def header(**kwargs):
    return {"Content-Type": "text/xml", signature.HEADER_NAME: signature.sign(**kwargs)}


def test_missing_header(soap):
    assert_refused(soap.post(BODY, headers={"Content-Type": "text/xml"}))


def test_wrong_secret(soap):
    assert_refused(soap.post(BODY, secret="not-the-right-secret-at-all"))


@pytest.mark.parametrize("offset", [-302, 302, -86_400])
def test_stale_or_future_timestamp(soap, offset):
    assert_refused(soap.post(BODY, timestamp=int(time.time()) + offset))


@pytest.mark.parametrize(
    "value",
    ["", "t=1, n=2, s=3", "s=abc", "t=now, n=abcdefghijklmnopq, s=" + "0" * 64, "Bearer xyz"],
)
def test_malformed_header(soap, value):
    assert_refused(soap.post(BODY, headers={"Content-Type": "text/xml", signature.HEADER_NAME: value}))


def test_body_altered_after_signing(soap):
    headers = {"Content-Type": "text/xml",
               signature.HEADER_NAME: signature.sign(settings.EXTDESK_SECRET, BODY)}
    assert_refused(soap.post(BODY.replace(b"person1@", b"evil1@"), headers=headers))


def test_replayed_request_is_refused(soap):
    headers = {"Content-Type": "text/xml",
               signature.HEADER_NAME: signature.sign(settings.EXTDESK_SECRET, BODY)}
    assert soap.post(BODY, headers=headers).value == 1
    Contact.objects.all().delete()
    assert_refused(soap.post(BODY, headers=headers))


def test_a_refused_request_does_not_use_up_its_nonce(soap):
    nonce = signature.new_nonce()
    bad = {"Content-Type": "text/xml",
           signature.HEADER_NAME: signature.sign("wrong-secret-0123456789", BODY, nonce=nonce)}
    assert_refused(soap.post(BODY, headers=bad))
    good = {"Content-Type": "text/xml",
            signature.HEADER_NAME: signature.sign(settings.EXTDESK_SECRET, BODY, nonce=nonce)}
    assert soap.post(BODY, headers=good).value == 1


def test_nonces_are_pruned_once_outside_the_window(soap):
    soap.call("greet")
    [used] = UsedNonce.objects.all()
    assert used.expires_at >= time.time() + settings.EXTDESK_SIGNATURE_WINDOW - 5
    assert prune_nonces(now=time.time()) == 0
    assert prune_nonces(now=used.expires_at + 1) == 1


GREET = encode_call("urn:HSPC/ExternalHelpdesk", "greet", [])


def test_a_replayed_call_that_changes_nothing_is_refused_and_logged(soap):
    headers = {"Content-Type": "text/xml",
               signature.HEADER_NAME: signature.sign(settings.EXTDESK_SECRET, GREET)}
    assert soap.post(GREET, headers=headers).status == 200
    replay = soap.post(GREET, headers=headers)
    assert_refused(replay)
    assert UsedNonce.objects.count() == 1
    # The replay is counted with the address's other refused requests,
    # which name no operation.
    assert list(AuditEntry.objects.order_by("id").values_list("operation", "outcome", "status",
                                                              "count")) == [
        ("greet", "ok", 200, 1), ("", "client fault", 401, 1)]
    # The refusal counts towards the address's throttle like any other.
    assert AuthFailureWindow.objects.get().failures == 1


def test_a_call_that_changes_nothing_commits_its_nonce_with_its_audit_entry(soap):
    writes = []

    def note(execute, sql, params, many, context):
        if sql.startswith("INSERT"):
            writes.append((sql.split()[2], tuple(connection.savepoint_ids)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        assert soap.call("greet").status == 200
    [(nonce_table, nonce_scope), (audit_table, audit_scope)] = writes
    assert (nonce_table, audit_table) == (UsedNonce._meta.db_table, AuditEntry._meta.db_table)
    # Both rows in the same transaction of their own: one commit.
    assert nonce_scope and nonce_scope == audit_scope


def test_a_malformed_small_body_still_uses_up_its_nonce(soap):
    body = b"<not-a-soap-envelope/>"
    headers = {"Content-Type": "text/xml",
               signature.HEADER_NAME: signature.sign(settings.EXTDESK_SECRET, body)}
    assert soap.post(body, headers=headers).status == 500
    assert_refused(soap.post(body, headers=headers))
