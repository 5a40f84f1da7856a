"""Reading and validating the platform's persons before anything is sent."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from extdesk.client.errors import InvalidPerson, SourceError
from extdesk.client.persons import Person, is_valid_email, parse_person
from extdesk.client.sources import parse_persons, read_persons

HEADER = "id,email,prefix,first_name,insertion,middle_name,last_name,suffix,accounts\n"


def _django_accepts(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("address", [
    "a@example.com", "first.last+tag@sub.example.co.uk", '"quoted local"@example.com', "a@localhost",
    "a@[127.0.0.1]", "a@[::1]", "a@bücher.de", "a@xn--bcher-kva.de",
    "", "plain", "a@b", "a@-example.com", "a@example.c", "a..b@example.com", "a@[999.1.1.1]",
    "a b@example.com", "a@example.com\n", "@example.com",
])
def test_addresses_are_judged_as_the_helpdesk_judges_them(address):
    assert is_valid_email(address) == _django_accepts(address)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z0-9.\"\-+ @\[\]:]{0,12}@[a-zA-Z0-9.\-\[\]:ü]{0,14}", fullmatch=True))
def test_address_rules_agree_with_the_server_on_generated_addresses(address):
    assert is_valid_email(address) == _django_accepts(address)


def test_a_valid_person_keeps_every_value_and_takes_a_digit_string_id():
    person = parse_person({"id": " 42 ", "email": "a@example.com", "first_name": "Zoë 😀",
                           "suffix": "true", "accounts": "b, a"}, "row 1")
    assert person == Person(42, "a@example.com", first_name="Zoë 😀", suffix="true", accounts="b, a")
    assert person.as_record()["id"] == 42 and person.as_record()["middle_name"] == ""


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"email": "a@example.com"}, "id", "is required"),
    ({"id": "abc", "email": "a@example.com"}, "id", "integer >= 1"),
    ({"id": 0, "email": "a@example.com"}, "id", "from 1 to"),
    ({"id": 2**63, "email": "a@example.com"}, "id", "from 1 to"),
    ({"id": True, "email": "a@example.com"}, "id", "not bool"),
    ({"id": 1}, "email", "is required"),
    ({"id": 1, "email": "not an address"}, "email", "not a valid e-mail address"),
    ({"id": 1, "email": "a" * 250 + "@example.com"}, "email", "longer than 254"),
    ({"id": 1, "email": "a@example.com", "last_name": "x" * 256}, "last_name", "longer than 255"),
    ({"id": 1, "email": "a@example.com", "suffix": 3}, "suffix", "must be a string"),
    ({"id": 1, "email": "a@example.com", "prefix": "a\x00b"}, "prefix", "NUL"),
    ({"id": 1, "email": "a@example.com", "accounts": "ok," + "y" * 256}, "accounts", "longer than 255"),
    ({"id": 1, "email": "a@example.com", "phone": "1"}, "phone", "not a field of the protocol"),
])
def test_an_invalid_person_is_refused_naming_row_and_field(raw, field, message):
    with pytest.raises(InvalidPerson) as caught:
        parse_person(raw, "people.csv line 9")
    assert caught.value.field == field
    assert str(caught.value).startswith("people.csv line 9")
    assert message in str(caught.value)


def test_digest_changes_with_content_but_not_with_account_order():
    base = Person(1, "a@example.com", last_name="Smith", accounts="a,b")
    assert base.digest == Person(1, "a@example.com", last_name="Smith", accounts=" b , a,,a").digest
    assert base.digest != Person(1, "a@example.com", last_name="Smyth", accounts="a,b").digest
    # Field boundaries count: moving text between fields is a change.
    assert Person(1, "a@example.com", prefix="ab").digest != Person(1, "a@example.com", prefix="a",
                                                                      first_name="b").digest


def test_the_three_formats_read_the_same_persons(tmp_path):
    rows = [{"id": 1, "email": "a@example.com", "first_name": "Ånne", "accounts": "x, y"},
            {"id": 2, "email": "b@example.com", "last_name": 'Quote " and, comma'}]
    (tmp_path / "p.json").write_text(json.dumps(rows), encoding="utf-8")
    (tmp_path / "p.ndjson").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    (tmp_path / "p.csv").write_text(
        "\ufeffid,email,first_name,last_name,accounts\r\n1,a@example.com,Ånne,,\"x, y\"\r\n"
        '2,b@example.com,,"Quote "" and, comma",\r\n', encoding="utf-8")
    expected = [parse_person(row, "x") for row in rows]
    for name in ("p.json", "p.ndjson", "p.csv"):
        assert read_persons(str(tmp_path / name)) == expected, name
    # No extension: the format is told by the first character.
    (tmp_path / "people").write_text(json.dumps(rows), encoding="utf-8")
    assert read_persons(str(tmp_path / "people")) == expected
    stdin = io.BytesIO(HEADER.encode() + b"1,a@example.com,,\xc3\x85nne,,,,,\"x, y\"\n"
                       b'2,b@example.com,,,,,"Quote "" and, comma",,\n')
    assert read_persons("-", stdin=stdin) == expected


@pytest.mark.parametrize(("text", "fmt", "message"), [
    (HEADER + "1,a@example.com,,,,,,,\n2,bad,,,,,,,\n", "csv", "<src> line 3 (id 2), field email"),
    (HEADER + "1,a@example.com\n", "csv", "<src> line 2: has 2 fields, the header names 9"),
    ("id,mail\n1,a@example.com\n", "csv", "header column 'mail' is not a field"),
    ("email\na@example.com\n", "csv", "the header has no 'id' column"),
    ("", "csv", "the file is empty"),
    ('[{"id": 1, "email": "a@example.com"}, {"id": "x", "email": "b@example.com"}]', "json",
     "<src> item 2, field id"),
    ('[{"id": 1, "email": "a@example.com"},', "json", "not valid JSON"),
    ('{"id": 1}', "json", "must be an array"),
    ('{"id": 1, "email": "a@example.com"}\n\n[1]\n', "ndjson", "<src> line 3, field (record)"),
    ('{"id": 1, "email": "a@example.com"}\n{"id": 1, "email": "b@example.com"}\n', "ndjson",
     "<src> line 2 (id 1): the same id is on <src> line 1 with other data"),
])
def test_bad_sources_name_the_row_and_field(text, fmt, message):
    with pytest.raises(SourceError) as caught:
        parse_persons(text, fmt, "<src>")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_every_bad_row_is_counted_and_identical_repeats_are_one():
    text = HEADER + "1,a@example.com,,,,,,,\n1,a@example.com,,,,,,,\n2,x,,,,,,,\n3,y,,,,,,,\n4,z,,,,,,,\n"
    with pytest.raises(SourceError, match=r"line 4 .*and 2 more invalid rows\); nothing was sent"):
        parse_persons(text, "csv", "s.csv")
    assert len(parse_persons(HEADER + "1,a@example.com,,,,,,,\n1,a@example.com,,,,,,,\n", "csv", "s")) == 1


def test_unreadable_sources_say_why(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        read_persons(str(tmp_path / "missing.csv"))
    with pytest.raises(SourceError, match="is a directory"):
        read_persons(str(tmp_path))
    (tmp_path / "latin1.csv").write_bytes(b"id,email,first_name\n1,a@example.com,\xe9\n")
    with pytest.raises(SourceError, match="not UTF-8 text"):
        read_persons(str(tmp_path / "latin1.csv"))
