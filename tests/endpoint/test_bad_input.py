"""Every kind of bad input is a clear fault (or 413) and changes nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from extdesk.contacts.models import Account, Contact
from tests.endpoint.test_operations import record

NS = "urn:HSPC/ExternalHelpdesk"


@pytest.fixture
def stored(soap):
    """Two contacts already synchronised; every test checks they stay as they are."""
    assert soap.call("alter_contacts", [record(1, accounts="acme"), record(2)]).value == 2

    def snapshot():
        return (
            list(Contact.objects.order_by("platform_id").values()),
            list(Account.objects.values_list("name", flat=True)),
            list(Contact.accounts.through.objects.values_list("contact_id", "account_id")),
        )

    before = snapshot()
    yield
    assert snapshot() == before


def assert_client_fault(answer, *fragments):
    assert answer.status == 500
    assert answer.content_type == "text/xml; charset=utf-8"
    fault = answer.fault
    assert fault.code == "Client"
    for fragment in fragments:
        assert fragment in fault.message, fault.message


@pytest.mark.parametrize(
    "bad, fragments",
    [
        (record(3, email="not-an-address"), ["record 2 (id 3)", "'email'", "not a valid e-mail"]),
        (record(3, email=""), ["record 2 (id 3)", "'email'", "required"]),
        ({"id": 3}, ["record 2 (id 3)", "'email'", "required"]),
        (record(3, email="a" * 250 + "@b.example"), ["'email'", "longer than 254"]),
        (record(0), ["record 2 (id 0)", "'id'", ">= 1"]),
        (record(-5), ["record 2", "'id'"]),
        (record("abc"), ["record 2 (id abc)", "'id'", "integer"]),
        (record("1.5"), ["record 2", "'id'", "integer"]),
        (record(2**63), ["record 2", "'id'", "at most"]),
        (record(10**30), ["record 2", "'id'"]),
        # Beyond the digits Python converts at all (4,300): the same clear answer.
        (record("9" * 5000), ["record 2", "'id'", "at most"]),
        (record("0" * 5000 + "3", email="x"), ["record 2 (id 3)", "'email'"]),
        ({"email": "x@example.com"}, ["record 2", "'id'", "required"]),
        (record(3, first_name="x" * 256), ["record 2 (id 3)", "'first_name'", "longer than 255"]),
        (record(3, suffix="y" * 300), ["'suffix'", "longer than 255"]),
        (record(3, accounts="ok, " + "z" * 300), ["'accounts'", "longer than 255"]),
        (record(3, last_name={"nested": "struct"}), ["'last_name'", "must be a string"]),
        ("just a string", ["record 2", "must be a struct"]),
    ],
)
def test_an_invalid_record_refuses_the_whole_call(soap, stored, bad, fragments):
    batch = [record(1, email="changed@example.com"), bad, record(4)]
    assert_client_fault(soap.call("alter_contacts", batch), *fragments)


def test_same_id_twice_with_different_data(soap, stored):
    batch = [record(7), record(8), record(7, first_name="Other")]
    assert_client_fault(soap.call("alter_contacts", batch), "record 3 (id 7)", "'first_name'", "earlier")


@pytest.mark.parametrize(
    "method, params, fragment",
    [
        ("alter_contacts", [], "takes 1 parameter"),
        ("alter_contacts", [[record(9)], "extra"], "takes 1 parameter"),
        ("greet", ["unexpected"], "takes 0 parameter"),
        ("list_contacts", [1, 2], "takes 0 parameter"),
        ("drop_tables", [], "unknown operation 'drop_tables'"),
        ("alter_contacts", ["plain text"], "array of contact structs"),
    ],
)
def test_wrong_operation_or_arity(soap, stored, method, params, fragment):
    assert_client_fault(soap.call(method, *params), fragment)


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"this is not XML", "well-formed"),
        (b"", "empty"),
        (b"<html><body>hi</body></html>", "not a SOAP 1.1 Envelope"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<alter_contacts><c><item><id>9</id><email>&b;@x.example</email></item></c></alter_contacts>'
            b"</soap:Body></soap:Envelope>",
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b"<greet>&e;</greet></soap:Body></soap:Envelope>",
            "DTD",
        ),
    ],
)
def test_bad_xml_is_a_client_fault_not_an_html_page(soap, stored, body, fragment):
    answer = soap.post(body)
    assert_client_fault(answer, fragment)
    assert b"root:" not in answer.body


def test_body_over_the_limit_is_413(soap, stored):
    batch = [record(i) for i in range(100, 200)]
    from extdesk.soap.envelope import encode_call

    body = encode_call(NS, "alter_contacts", [("c", batch)])
    with override_settings(EXTDESK_MAX_BODY_BYTES=len(body) - 1):
        answer = soap.post(body)
    assert answer.status == 413
    assert answer.fault.code == "Client"
    assert "exceeds the limit" in answer.fault.message


def test_get_without_wsdl_is_a_soap_405(client, db):
    response = client.get("/soap/")
    assert response.status_code == 405
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert b"POST a SOAP envelope" in response.content
