"""The platform's persons as the protocol carries them: validation and content digests.

A person is checked against the protocol's rules (PROTOCOL.md section 4)
before anything is sent, so one bad row is reported by name instead of
making the helpdesk refuse a whole batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from extdesk.soap.protocol import (
    CONTACT_FIELDS,
    CONTACT_NAME_FIELDS,
    MAX_CONTACT_ID,
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    split_accounts,
)
from extdesk.soap.quoting import shown

from .errors import InvalidPerson

_DIGITS = re.compile(r"\s*([0-9]+)\s*\Z")
# The address rules helpdesks apply (these are the ones Extdesk applies):
# a dot-atom or quoted local part, then a domain name with a top-level
# label, "localhost", or an [IP address] literal.
_UNICODE_LETTERS = "\u00a1-\uffff"
_LOCAL_PART = re.compile(
    r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE,
)
_DOMAIN = re.compile(
    rf"^[a-z{_UNICODE_LETTERS}0-9](?:[a-z{_UNICODE_LETTERS}0-9-]{{0,61}}[a-z{_UNICODE_LETTERS}0-9])?"
    rf"(?:\.(?!-)[a-z{_UNICODE_LETTERS}0-9-]{{1,63}}(?<!-))*"
    rf"\.(?!-)(?:[a-z{_UNICODE_LETTERS}-]{{2,63}}|xn--[a-z0-9]{{1,59}})(?<!-)\Z",
    re.IGNORECASE,
)
_ADDRESS_LITERAL = re.compile(r"\[([A-F0-9:.]+)\]\Z", re.IGNORECASE)


def is_valid_email(value: str) -> bool:
    """Whether ``value`` is an e-mail address a helpdesk accepts."""
    if not value or "@" not in value or len(value) > 320:
        return False
    local, domain = value.rsplit("@", 1)
    if not _LOCAL_PART.match(local):
        return False
    if domain == "localhost" or _DOMAIN.match(domain):
        return True
    literal = _ADDRESS_LITERAL.match(domain)
    if literal is None:
        return False
    try:
        ipaddress.ip_address(literal[1])
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Person:
    """One platform person, valid by the protocol's rules."""

    id: int
    email: str
    prefix: str = ""
    first_name: str = ""
    insertion: str = ""
    middle_name: str = ""
    last_name: str = ""
    suffix: str = ""
    accounts: str = ""

    def as_record(self) -> dict[str, int | str]:
        """The struct sent in alter_contacts: the id as an integer, every other field a string."""
        return {field: getattr(self, field) for field in CONTACT_FIELDS}

    # A hash of what the helpdesk stores for this person, computed once.
    digest: str = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Accounts are compared as the set the helpdesk keeps, so reordering
        # them in the source is not a change. NUL separates the fields: no
        # valid value holds one.
        content = "\x00".join((self.email, *(getattr(self, f) for f in CONTACT_NAME_FIELDS),
                                ",".join(split_accounts(self.accounts))))
        digest = hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        object.__setattr__(self, "digest", digest)


def parse_person_id(value: object) -> int:
    """A person id: an integer from 1 to MAX_CONTACT_ID, or its decimal text; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"must be an integer, not {type(value).__name__}")
    if isinstance(value, str):
        match = _DIGITS.match(value)
        if match is None:
            raise ValueError(f"must be an integer >= 1, got {shown(value, 40)}")
        value = int(match[1])
    if not 1 <= value <= MAX_CONTACT_ID:
        raise ValueError(f"must be an integer from 1 to {MAX_CONTACT_ID}, got {value}")
    return value


def _text(raw: Mapping[str, object], field: str, where: str) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidPerson(where, field, f"must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise InvalidPerson(where, field, "contains a NUL character")
    return value


def parse_person(raw: Mapping[str, object], where: str) -> Person:
    """Validate one person given as a mapping of protocol field names.

    ``where`` says which row it is ("people.csv line 7"); every error names it
    and the field.
    """
    if not isinstance(raw, Mapping):
        raise InvalidPerson(where, "(record)", "must be an object of named fields")
    unknown = [key for key in raw if key not in CONTACT_FIELDS]
    if unknown:
        raise InvalidPerson(
            where, str(unknown[0]), f"is not a field of the protocol ({', '.join(CONTACT_FIELDS)})"
        )
    raw_id = raw.get("id")
    if raw_id is None or raw_id == "":
        raise InvalidPerson(where, "id", "is required")
    try:
        person_id = parse_person_id(raw_id)
    except ValueError as exc:
        raise InvalidPerson(where, "id", str(exc)) from None
    where = f"{where} (id {person_id})"

    email = _text(raw, "email", where)
    if not email:
        raise InvalidPerson(where, "email", "is required")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidPerson(where, "email", f"is longer than {MAX_EMAIL_LENGTH} characters")
    if not is_valid_email(email):
        raise InvalidPerson(where, "email", f"{email!r} is not a valid e-mail address")

    names = {}
    for field in CONTACT_NAME_FIELDS:
        value = _text(raw, field, where)
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidPerson(where, field, f"is longer than {MAX_NAME_LENGTH} characters")
        names[field] = value

    accounts = _text(raw, "accounts", where)
    for name in split_accounts(accounts):
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidPerson(
                where, "accounts", f"account {shown(name, 40)} is longer than {MAX_NAME_LENGTH} characters"
            )
    return Person(person_id, email, accounts=accounts, **names)
