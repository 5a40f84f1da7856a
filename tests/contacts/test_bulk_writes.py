"""alter_contacts' bulk paths: what is compared, what is rewritten, and the
fast paths of validation, each checked against the plain rule it shortcuts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from extdesk.contacts import services
from extdesk.contacts.exceptions import InvalidRecord
from extdesk.contacts.models import Contact
from extdesk.contacts.records import parse_record


def _record(pid: int, **fields: str) -> dict[str, str]:
    return {"id": str(pid), "email": f"p{pid}@example.com", "last_name": "Smith", **fields}


def _push(*raw: dict[str, str]) -> int:
    return services.alter_contacts(raw)


def _memberships(pid: int) -> list[tuple[int, str]]:
    contact = Contact.objects.get(platform_id=pid)
    return sorted(contact.accounts.through.objects.filter(contact=contact)
                  .values_list("id", "account__name"))


@pytest.mark.django_db
def test_a_name_change_keeps_the_memberships_and_an_accounts_change_rewrites_them():
    assert _push(_record(1, accounts="acme, beta"), _record(2, accounts="acme")) == 2
    before = _memberships(1)
    assert [name for _, name in before] == ["acme", "beta"]

    assert _push(_record(1, accounts="beta,acme", last_name="Jones"), _record(2, accounts="acme")) == 1
    assert _memberships(1) == before  # same rows, not deleted and re-inserted
    assert Contact.objects.get(platform_id=1).last_name == "Jones"

    assert _push(_record(1, accounts="gamma", last_name="Jones")) == 1
    assert [name for _, name in _memberships(1)] == ["gamma"]
    assert [name for _, name in _memberships(2)] == ["acme"]

    assert _push(_record(1, last_name="Jones")) == 1
    assert _memberships(1) == []


@pytest.mark.django_db
@pytest.mark.parametrize("ids", [
    list(range(1, 2001)),                        # dense: one range scan
    [1, 10**6, 10**12, 2**63 - 1],               # sparse: IN lists
    [*range(5, 50), 7_000, 9_000, 123_456],      # dense enough, with strays in the range
])
def test_unchanged_records_are_found_whatever_the_id_spread(ids):
    records = [_record(pid, accounts=f"a{pid % 7}") for pid in ids]
    assert _push(*records) == len(ids)
    # A stored contact inside the scanned range but not in the push is left alone.
    stray = next((pid for pid in range(ids[0], ids[-1]) if pid not in set(ids)), ids[-1] + 1)
    assert _push(_record(stray, accounts="zzz")) == 1
    assert _push(*records) == 0
    changed = [*records[:-1], _record(ids[-1], accounts="moved")]
    assert _push(*changed) == 1
    assert [name for _, name in _memberships(ids[-1])] == ["moved"]
    assert [name for _, name in _memberships(stray)] == ["zzz"]
    assert Contact.objects.count() == len(ids) + 1


@pytest.mark.parametrize("email", [
    "a@b.com", "A.B-c+d@sub.example.org", "a..b@example.com", ".a@example.com", "a.@example.com",
    "a@-example.com", "a@example-.com", "a@example.c", "a@localhost", '"quoted user"@example.com',
    "a@[192.0.2.1]", "a@[::1]", "a@[300.0.0.1]", "zoë@example.com", "a@exämple.com", "a@example.com.",
    "a@example..com", "a@1.2.3.4", "a@b@example.com", "user@xn--bcher-kva.example", "a b@example.com",
    "a@" + "x" * 64 + ".com", "a@" + ".".join(["abcdefgh"] * 25) + ".com",
])
def test_the_email_fast_path_accepts_exactly_what_django_accepts(email):
    try:
        validate_email(email)
        expected = True
    except ValidationError:
        expected = False
    try:
        parse_record({"id": "1", "email": email}, 1)
        accepted = True
    except InvalidRecord as exc:
        assert exc.field == "email"
        accepted = False
    assert accepted == expected


@pytest.mark.parametrize(("raw_id", "ok"), [
    ("42", True), (" 42 ", True), ("0042", True), ("٤٢", False), ("²", False), ("0", False),
    ("-1", False), ("4.2", False), (str(2**63), False), (str(2**63 - 1), True),
])
def test_ids_read_by_the_fast_path_follow_the_rule(raw_id, ok):
    if ok:
        assert parse_record({"id": raw_id, "email": "a@example.com"}, 1).platform_id == int(raw_id)
    else:
        with pytest.raises(InvalidRecord) as caught:
            parse_record({"id": raw_id, "email": "a@example.com"}, 1)
        assert caught.value.field == "id"
