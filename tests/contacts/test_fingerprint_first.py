"""alter_contacts validates only the records whose fingerprint differs from the
stored one: what it skips, what it still catches, and that it answers as
validating every record would."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from benchmarks import payloads
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extdesk.contacts import records, services
from extdesk.contacts.exceptions import InvalidRecord
from extdesk.contacts.models import Contact
from extdesk.endpoint.operations import dispatch
from extdesk.soap.envelope import decode_call, decode_response
from extdesk.soap.exceptions import ClientFault


def _record(pid: int, **fields: str) -> dict[str, str]:
    return {"id": str(pid), "email": f"p{pid}@example.com", "last_name": "Smith",
            "accounts": f"a{pid % 3}", **fields}


def _rows() -> list[tuple]:
    contacts = list(Contact.objects.order_by("platform_id").values_list(
        "platform_id", "email", "prefix", "first_name", "insertion", "middle_name", "last_name",
        "suffix", "fingerprint"))
    members = sorted(Contact.accounts.through.objects.values_list(
        "contact__platform_id", "account__name"))
    return [*contacts, *members]


def _rejected(push: list, **kwargs: bool) -> InvalidRecord:
    with pytest.raises(InvalidRecord) as caught:
        services.alter_contacts(push, **kwargs)
    return caught.value


@pytest.mark.django_db
def test_an_invalid_record_in_an_otherwise_unchanged_push_is_found_by_its_position():
    stored = [_record(pid) for pid in range(1, 51)]
    assert services.alter_contacts(stored) == 50
    before = _rows()
    for position, bad in [(17, {"email": "not an address"}), (50, {"first_name": "x" * 256}),
                          (1, {"accounts": "ok, " + "y" * 256}), (30, {"suffix": "a\x00b"})]:
        push = [dict(raw) for raw in stored]
        push[position - 1].update(bad)
        error = _rejected(push)
        assert (error.position, error.platform_id) == (position, position)
        assert error.field == next(iter(bad))
        assert _rows() == before


@pytest.mark.django_db
def test_the_first_bad_record_is_reported_whether_the_others_were_skipped_or_not():
    assert services.alter_contacts([_record(pid) for pid in range(1, 11)]) == 10
    push = [_record(pid) for pid in range(1, 11)]
    push[6]["email"] = "broken"           # position 7: stored id, edited
    push[3]["last_name"] = "x" * 300      # position 4: stored id, edited
    push.append({"id": "0", "email": "new@example.com"})  # position 11: new, bad id
    error = _rejected(push)
    assert (error.position, error.field) == (4, "last_name")


@pytest.mark.django_db
def test_duplicate_ids_among_unchanged_records():
    stored = [_record(pid) for pid in range(1, 6)]
    assert services.alter_contacts(stored) == 5
    # Identical repeats of unchanged records count once, i.e. not at all.
    assert services.alter_contacts([*stored, stored[2], stored[0], stored[2]]) == 0
    # A repeat that differs is an error on the later record, with the field.
    push = [*stored, _record(3, first_name="Zoë")]
    error = _rejected(push)
    assert (error.position, error.platform_id, error.field) == (6, 3, "first_name")
    assert "earlier in this call" in error.problem
    # The other way round: the changed record first, the stored one repeated later.
    push = [_record(3, first_name="Zoë"), *stored]
    error = _rejected(push)
    assert (error.position, error.platform_id, error.field) == (4, 3, "first_name")
    # A later repeat that is also invalid is reported as invalid, as before.
    error = _rejected([*stored, _record(3, email="nope")])
    assert (error.position, error.field) == (6, "email")
    assert "valid e-mail" in error.problem


@pytest.mark.django_db
def test_a_record_matching_its_fingerprint_is_not_validated_again(monkeypatch):
    assert services.alter_contacts([_record(1, first_name="Alexander"), _record(2)]) == 2
    # A stricter rule from now on: the stored record no longer meets it.
    monkeypatch.setattr(records, "MAX_NAME_LENGTH", 5)
    checked = []
    real_parse = records.parse_record
    monkeypatch.setattr(records, "parse_record", lambda raw, position, key=None: (
        checked.append(position) or real_parse(raw, position, key)))

    assert services.alter_contacts([_record(1, first_name="Alexander"), _record(2)]) == 0
    assert checked == []  # both matched their stored fingerprint

    edited = [_record(1, first_name="Alexanders"), _record(2)]
    error = _rejected(edited)
    assert (error.position, error.platform_id, error.field) == (1, 1, "first_name")
    assert checked == [1]

    # Asked to, it validates the stored ones too.
    error = _rejected([_record(2), _record(1, first_name="Alexander")], trust_stored=False)
    assert (error.position, error.field) == (2, "first_name")


@pytest.mark.django_db
def test_text_moved_across_a_field_boundary_is_a_change_and_is_validated():
    # Base64 values may hold the fingerprint's separator; a record with the
    # same characters split differently between fields must not match.
    sep = "\x1f"
    stored = _record(1, prefix="a" * 255, first_name=sep + "b")
    assert services.alter_contacts([stored]) == 1
    shifted = _record(1, prefix="a" * 255 + sep, first_name="b")
    assert records.parse_record(stored, 1).fingerprint != records.record_key(shifted)[1]
    error = _rejected([shifted])
    assert (error.position, error.field) == (1, "prefix")

    moved = _record(1, prefix="a" * 254 + sep, first_name="a" + sep + "b")
    assert services.alter_contacts([moved]) == 1
    assert Contact.objects.get(platform_id=1).prefix == "a" * 254 + sep
    escaped = _record(1, accounts="x\x1ey, z")
    assert services.alter_contacts([escaped]) == 1
    assert services.alter_contacts([_record(1, accounts="x\x1e, y, z")]) == 1


def test_ordinary_values_keep_the_fingerprint_stored_before_the_separator_was_escaped():
    # Contacts stored earlier keep matching: only values holding \x1e or \x1f
    # are hashed differently.
    def old(values):
        return hashlib.blake2b("\x1f".join(values).encode(), digest_size=8).hexdigest()

    record = records.parse_record(_record(7, first_name="Zoë", accounts="b, a"), 1)
    fields = [record.email, record.prefix, record.first_name, record.insertion,
              record.middle_name, record.last_name, record.suffix]
    assert record.fingerprint == old(fields) + old(["a", "b"])


@pytest.mark.django_db
def test_an_unchanged_soaplite_push_with_one_edited_record_through_the_operation():
    persons = payloads.people(1, 300, seed=5)
    assert _call(payloads.alter_contacts_body(persons, seed=1)) == 300
    assert _call(payloads.alter_contacts_body(persons, seed=2)) == 0
    before = _rows()
    broken = list(persons)
    broken[122] = replace(persons[122], email="person123(at)example.com")
    with pytest.raises(ClientFault) as caught:
        _call(payloads.alter_contacts_body(broken, seed=3))
    assert "record 123 (id 123): field 'email'" in caught.value.message
    assert _rows() == before
    edited = payloads.changed(persons, 1)[:10] + persons[10:]
    assert _call(payloads.alter_contacts_body(edited, seed=4)) == 10


def _call(body: bytes) -> int:
    answer = dispatch(decode_call(body)).body
    return decode_response(answer if isinstance(answer, bytes) else b"".join(answer))


# Random pushes over a small id space, so that they mix stored, changed,
# new, repeated and invalid records.
_ids = st.integers(min_value=1, max_value=12)
_raw = st.fixed_dictionaries(
    {"id": _ids.map(str)},
    optional={
        "email": st.sampled_from(["a@example.com", "b@example.org", "bad", ""]),
        "first_name": st.sampled_from(["", "Zoë", "x" * 256, "a\x1fb", "a"]),
        "last_name": st.sampled_from(["", "Smith", "b\x1f", None]),
        "accounts": st.sampled_from(["", "acme", "beta, acme", " acme ,", "z" * 256, "q\x00"]),
    },
).map(lambda raw: {"email": "c@example.com", **raw})
_pushes = st.lists(st.lists(_raw, max_size=8), min_size=1, max_size=4)


def _outcome(push: list[dict], trust_stored: bool) -> tuple:
    try:
        with transaction.atomic():
            result: object = services.alter_contacts(push, trust_stored=trust_stored)
    except InvalidRecord as exc:
        result = str(exc)
    return result, _rows()


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_pushes)
def test_skipping_stored_records_answers_as_validating_every_record(pushes):
    with transaction.atomic():
        for push in pushes:
            fast_id = transaction.savepoint()
            fast = _outcome(push, trust_stored=True)
            transaction.savepoint_rollback(fast_id)
            full = _outcome(push, trust_stored=False)
            assert fast == full
        transaction.set_rollback(True)
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_the_set_based_membership_writes_with_many_accounts_and_sparse_ids():
    ids = [1, 10**6, 10**12, 2**63 - 1]
    push = [_record(pid, accounts=", ".join(f"acct{n}" for n in range(pid % 5, pid % 5 + 40)))
            for pid in ids]
    assert services.alter_contacts(push) == 4
    moved = [_record(ids[1], accounts="acct1, new"), *push[2:]]
    assert services.alter_contacts(moved) == 1
    members = _rows()[len(ids):]
    assert [name for pid, name in members if pid == ids[1]] == ["acct1", "new"]
    assert [name for pid, name in members if pid == ids[0]] == sorted(records.split_accounts(
        push[0]["accounts"]))
    names = {name for raw in push for name in records.split_accounts(raw["accounts"])} | {"new"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM contacts_account")
        assert cursor.fetchone()[0] == len(names)
