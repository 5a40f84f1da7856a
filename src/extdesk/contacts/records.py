"""Reading pushed contact records: validation, normalisation, deduplication.

The field rules are the protocol's (``extdesk.soap.protocol``, shared with
the client) and are checked in one place, ``parse_record``, in one order, so
that the first broken rule of a record is the one reported.

Two shortcuts, kept for the alter_contacts figures in docs/performance.md:

- ``changed_records`` does not validate a record whose fingerprint is the
  stored one (what was stored passed ``parse_record``); it only decides
  *whether* to call ``parse_record``. tests/contacts/test_fingerprint_first.py
  checks that a push answers and writes the same with and without it.
- An e-mail address of the common shape is accepted by one regular
  expression made of Django's own patterns for that shape before Django's
  validator is asked; tests/contacts/test_bulk_writes.py checks that
  ``parse_record`` accepts exactly the addresses ``validate_email`` does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email

from extdesk.soap.protocol import (
    CONTACT_NAME_FIELDS,
    MAX_CONTACT_ID,
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    split_accounts,
)
from extdesk.soap.quoting import shown

from .exceptions import InvalidRecord

_MAX_ID_DIGITS = len(str(MAX_CONTACT_ID))
_DIGITS = re.compile(r"\s*([0-9]+)\s*\Z")


# Not frozen: a frozen dataclass pays object.__setattr__ for every field of
# every record of a push; nothing writes to a record after it is made.
@dataclass(slots=True)
class ContactRecord:
    platform_id: int
    email: str
    prefix: str
    first_name: str
    insertion: str
    middle_name: str
    last_name: str
    suffix: str
    accounts: tuple[str, ...]  # sorted, unique, non-empty
    fingerprint: str  # digest of the fields, then digest of the accounts


# Django's EmailValidator accepts an address when its user part is a
# dot-atom and its domain matches the host-name pattern; this one pattern is
# exactly that case (a dot-atom holds no "@", so matching the whole address
# splits it where the validator's rsplit does). Addresses it does not match
# (quoted user parts, address literals, "localhost") go to the validator.
_COMMON_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*@"
    + EmailValidator.hostname_re + EmailValidator.domain_re + EmailValidator.tld_no_fqdn_re
    + r"\Z",
    re.IGNORECASE,
)


def _is_email(value: str) -> bool:
    if _COMMON_EMAIL.match(value) is not None:
        return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def parse_platform_id(value: object) -> int:
    """An id as the protocol defines it: an integer from 1 to MAX_CONTACT_ID,
    or its decimal text; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be an integer")
    if isinstance(value, str):
        if value.isascii() and value.isdigit():
            digits = value
        else:
            match = _DIGITS.match(value)
            if match is None:
                raise ValueError(f"must be an integer >= 1, got {shown(value, 40)}")
            digits = match[1]
        # Python refuses to convert strings of over 4,300 digits, with a
        # message about its own limit; such an id is simply too large.
        digits = digits.lstrip("0") or "0"
        if len(digits) > _MAX_ID_DIGITS:
            raise ValueError(f"must be at most {MAX_CONTACT_ID}")
        value = int(digits)
    if value < 1:
        raise ValueError(f"must be an integer >= 1, got {value}")
    if value > MAX_CONTACT_ID:
        raise ValueError(f"must be at most {MAX_CONTACT_ID}")
    return value


def _digest(values: Sequence[str]) -> str:
    joined = "\x1f".join(values)
    # Base64 values can hold any character, the separator too: escaped
    # then, so that moving text across a field boundary changes the digest
    # (a record could otherwise pass for a stored one it differs from).
    # Values without \x1e or \x1f, all real ones, are joined as before.
    if "\x1e" in joined or (values and joined.count("\x1f") != len(values) - 1):
        joined = "\x1f".join(
            value.replace("\x1e", "\x1e\x1e").replace("\x1f", "\x1e\x1f") for value in values
        )
    return hashlib.blake2b(joined.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _fingerprint(fields: Sequence[str], accounts: Sequence[str]) -> str:
    # Two halves, so that a changed record whose accounts stayed the same
    # keeps its memberships untouched (see ACCOUNTS_DIGEST).
    return _digest(fields) + _digest(accounts)


# What record_key reads: platform id, fingerprint, the e-mail address and
# names (empty when missing), account names.
RecordKey = tuple[int, str, list[str], tuple[str, ...]]

# The fields a fingerprint's first half covers, in its order.
_HASHED_FIELDS = ("email", *CONTACT_NAME_FIELDS)

# The accounts' half of a fingerprint.
ACCOUNTS_DIGEST = slice(16, 32)

_COMPOUND = "must be a string, not a compound value"


def _fields(raw: Mapping[str, object]) -> tuple[list[Any], tuple[str, ...] | None]:
    """The e-mail address and names ("" when missing, otherwise as given) and
    the account names, None when the accounts field is not a string."""
    values = list(map(raw.get, _HASHED_FIELDS))
    if None in values:
        values = ["" if value is None else value for value in values]
    accounts = raw.get("accounts")
    if accounts is None:
        return values, ()
    if not isinstance(accounts, str):
        return values, None
    return values, split_accounts(accounts)


def record_key(raw: object) -> RecordKey | None:
    """What a pushed record holds (see RecordKey), read without validating it.

    The fingerprint is the one parse_record gives the record if it is valid.
    None when the id or a field cannot even be read (the record is invalid).
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return None
    platform_id = _readable_id(raw.get("id"))
    if platform_id is None:
        return None
    values, accounts = _fields(raw)
    if accounts is None:
        return None
    try:
        return platform_id, _fingerprint(values, accounts), values, accounts
    except TypeError:  # a compound value: only parse_record says which field
        return None


def _readable_id(raw_id: object) -> int | None:
    try:
        return parse_platform_id(raw_id)
    except ValueError:
        return None


def parse_record(raw: object, position: int, key: RecordKey | None = None) -> ContactRecord:
    """Validate one pushed record (a struct) at 1-based ``position``.

    Every rule of PROTOCOL.md section 4, in one order: the first one broken
    raises InvalidRecord. ``key`` is the record's record_key when the caller
    has read it already (the fields are then not read and hashed again).
    """
    values: list[Any]
    accounts: tuple[str, ...] | None
    fingerprint: str | None
    if key is not None:
        platform_id, fingerprint, values, accounts = key
    else:
        fingerprint = None
        if not isinstance(raw, Mapping):
            raise InvalidRecord(position, None, "(record)", "must be a struct of named fields")
        raw_id = raw.get("id")
        if raw_id is None or raw_id == "":
            raise InvalidRecord(position, None, "id", "is required")
        try:
            platform_id = parse_platform_id(raw_id)
        except ValueError as exc:
            shown_id = raw_id if isinstance(raw_id, str | int) and len(str(raw_id)) <= 40 else None
            raise InvalidRecord(position, shown_id, "id", str(exc)) from None
        values, accounts = _fields(raw)

    email = values[0]
    if not isinstance(email, str):
        raise InvalidRecord(position, platform_id, "email", _COMPOUND)
    if not email:
        raise InvalidRecord(position, platform_id, "email", "is required")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidRecord(position, platform_id, "email",
                            f"is longer than {MAX_EMAIL_LENGTH} characters")
    if not _is_email(email):
        raise InvalidRecord(position, platform_id, "email", "is not a valid e-mail address")
    for field, value in zip(CONTACT_NAME_FIELDS, values[1:], strict=True):
        if not isinstance(value, str):
            raise InvalidRecord(position, platform_id, field, _COMPOUND)
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidRecord(position, platform_id, field,
                                f"is longer than {MAX_NAME_LENGTH} characters")
    if accounts is None:
        raise InvalidRecord(position, platform_id, "accounts", _COMPOUND)
    for name in accounts:
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidRecord(
                position, platform_id, "accounts",
                f"account name {shown(name, 40)} is longer than {MAX_NAME_LENGTH} characters",
            )
    for field, value in zip(_HASHED_FIELDS, values, strict=True):
        if "\x00" in value:
            raise InvalidRecord(position, platform_id, field, "contains a NUL character")
    for name in accounts:
        if "\x00" in name:
            raise InvalidRecord(position, platform_id, "accounts", "contains a NUL character")
    if fingerprint is None:
        fingerprint = _fingerprint(values, accounts)
    _, prefix, first_name, insertion, middle_name, last_name, suffix = values
    return ContactRecord(platform_id, email, prefix, first_name, insertion, middle_name,
                         last_name, suffix, accounts, fingerprint)


def _first_difference(a: ContactRecord, b: ContactRecord) -> str:
    for field in ("email", *CONTACT_NAME_FIELDS, "accounts"):
        if getattr(a, field) != getattr(b, field):
            return field
    return "id"


def changed_records(raw_records: Sequence[object], keys: Sequence[RecordKey | None],
                    stored: Mapping[int, str], *, trust_stored: bool = True) -> list[ContactRecord]:
    """Validate a push against the ``stored`` fingerprints and return the
    records to write: new or changed, one per id, in push order.

    ``keys`` are the records' ``record_key``s. A record whose fingerprint is
    the stored one holds exactly what was stored, which passed parse_record,
    so it is not validated again unless ``trust_stored`` is False (for after
    a rule got stricter). Every other record is, in push order, so the first
    bad record raises InvalidRecord as a full validation would: a skipped
    record is valid. An id repeated with identical data counts once; with
    different data it is an error on the later record.
    """
    # platform id -> (position, fingerprint) of its first record in the push
    seen: dict[int, tuple[int, str]] = {}
    changed: list[ContactRecord] = []
    get_stored = stored.get
    for position, (raw, key) in enumerate(zip(raw_records, keys, strict=True), start=1):
        record: ContactRecord | None
        if key is not None and trust_stored and get_stored(key[0]) == key[1]:
            platform_id, fingerprint, record = key[0], key[1], None
        else:
            record = parse_record(raw, position, key)
            platform_id, fingerprint = record.platform_id, record.fingerprint
        earlier = seen.get(platform_id)
        if earlier is None:
            seen[platform_id] = (position, fingerprint)
            if record is not None and get_stored(platform_id) != fingerprint:
                changed.append(record)
        elif earlier[1] != fingerprint:
            first = parse_record(raw_records[earlier[0] - 1], earlier[0])
            raise InvalidRecord(
                position, platform_id,
                _first_difference(first, record or parse_record(raw, position)),
                "the same id appears earlier in this call with different data",
            )
    return changed
