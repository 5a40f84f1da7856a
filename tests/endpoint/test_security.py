"""The X-HSPC-Signature check: every failure is 401 + fault and writes nothing."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from extdesk.contacts.models import Contact
from extdesk.endpoint.models import UsedNonce
from extdesk.endpoint.services import prune_nonces
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
