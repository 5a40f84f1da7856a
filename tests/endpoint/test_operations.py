"""greet, alter_contacts and list_contacts through the real request stack."""

from __future__ import annotations

import pytest

from extdesk import IDENTIFICATION
from extdesk.contacts.models import Account, Contact
from tests.support.captures import capture_body


def record(pid, email=None, **fields):
    return {"id": pid, "email": f"person{pid}@example.com" if email is None else email, **fields}


def test_greet_returns_the_identification(soap):
    answer = soap.post(capture_body("01-greet"))
    assert answer.status == 200
    assert answer.content_type == "text/xml; charset=utf-8"
    assert answer.value == IDENTIFICATION


def test_endpoint_answers_with_and_without_trailing_slash_and_never_redirects(soap):
    for path in ("/soap", "/soap/"):
        answer = soap.post(capture_body("06-greet_ns_style"), path=path)
        assert answer.status == 200, path
        assert answer.value == IDENTIFICATION


def test_alter_contacts_from_the_soaplite_capture(soap):
    answer = soap.post(capture_body("02-alter_contacts_array2"))
    assert answer.value == 2
    zoe = Contact.objects.get(platform_id=17)
    assert zoe.first_name == "Zoë 山田 😀"
    assert zoe.last_name == "&<>\"'"
    assert (zoe.prefix, zoe.insertion, zoe.middle_name, zoe.suffix) == ("Dr.", "van der", "M", "Jr.")
    assert sorted(zoe.accounts.values_list("name", flat=True)) == ["acme", "beta", "gamma"]
    bob = Contact.objects.get(platform_id=18)
    assert (bob.suffix, bob.insertion, bob.accounts.count()) == ("true", "", 0)


def test_single_struct_and_multi_ref_shapes(soap):
    assert soap.post(capture_body("03-alter_contacts_single_hashref")).value == 1
    # The same record twice (two hrefs to one struct) counts once.
    assert soap.post(capture_body("07-alter_contacts_multiref")).value == 1
    assert soap.post(capture_body("10-alter_contacts_empty_array")).value == 0
    assert sorted(Contact.objects.values_list("platform_id", flat=True)) == [17, 19]


def test_only_inserted_or_changed_records_count(soap):
    batch = [record(1, accounts="a, b"), record(2), record(3, first_name="Ann")]
    assert soap.call("alter_contacts", batch).value == 3
    assert soap.call("alter_contacts", batch).value == 0
    # Same accounts in another order and spacing is no change.
    reordered = [record(1, accounts=" b,a,,a"), record(2), record(3, first_name="Ann")]
    assert soap.call("alter_contacts", reordered).value == 0
    changed = [record(1, accounts="a"), record(2, email="new@example.com"), record(3, first_name="Ann")]
    assert soap.call("alter_contacts", changed).value == 2
    one = Contact.objects.get(platform_id=1)
    assert list(one.accounts.values_list("name", flat=True)) == ["a"]
    assert Contact.objects.get(platform_id=2).email == "new@example.com"
    # Accounts are kept by name, never duplicated.
    assert sorted(Account.objects.values_list("name", flat=True)) == ["a", "b"]


def test_identical_repeats_in_one_call_count_once(soap):
    assert soap.call("alter_contacts", [record(5), record(5)]).value == 1
    assert Contact.objects.count() == 1


def test_list_contacts_is_ascending_ids(soap):
    soap.call("alter_contacts", [record(30), record(4), record(2**40), record(17)])
    assert soap.post(capture_body("04-list_contacts")).value == [4, 17, 30, 2**40]


def test_list_contacts_empty(soap):
    assert soap.call("list_contacts").value == []


def test_named_parameters_in_any_order_are_accepted(soap):
    from extdesk.soap.envelope import encode_call

    body = encode_call("urn:x", "alter_contacts", [("contacts", [record(8)])])
    answer = soap.post(body)
    assert answer.value == 1


@pytest.mark.parametrize("count", [10_000])
def test_ten_thousand_records_in_one_call(soap, count):
    batch = [record(i, first_name=f"Näme {i}", accounts=f"acct{i % 100}") for i in range(1, count + 1)]
    assert soap.call("alter_contacts", batch).value == count
    assert Contact.objects.count() == count
    assert Account.objects.count() == 100
    assert soap.call("alter_contacts", batch).value == 0
