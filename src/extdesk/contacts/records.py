"""Reading pushed contact records: validation, normalisation, deduplication."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email

from extdesk.soap.protocol import CONTACT_NAME_FIELDS

from .exceptions import InvalidRecord

MAX_PLATFORM_ID = 2**63 - 1
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 255
_DIGITS = re.compile(r"\s*([0-9]+)\s*\Z")


# Not frozen: a frozen dataclass pays object.__setattr__ per field, which is
# a tenth of validating a large push; nothing writes to a record after it.
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


def _text(raw: Mapping[str, object], field: str, position: int, platform_id: object) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRecord(position, platform_id, field, "must be a string, not a compound value")
    return value


def parse_platform_id(value: object) -> int:
    """An id as the protocol defines it: an integer >= 1; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be an integer")
    if isinstance(value, int):
        number = value
    elif value.isascii() and value.isdigit():
        number = int(value)
    else:
        match = _DIGITS.match(value)
        if match is None:
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise ValueError(f"must be an integer >= 1, got {shown!r}")
        number = int(match[1])
    if number < 1:
        raise ValueError(f"must be an integer >= 1, got {number}")
    if number > MAX_PLATFORM_ID:
        raise ValueError(f"must be at most {MAX_PLATFORM_ID}")
    return number


def split_accounts(text: str) -> tuple[str, ...]:
    """Account names from the comma-separated field: trimmed, unique, sorted."""
    if not text:
        return ()
    return tuple(sorted({name.strip() for name in text.split(",")} - {""}))


def _digest(values: Iterable[str]) -> str:
    joined = "\x1f".join(values).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(joined, digest_size=8).hexdigest()


def _fingerprint(fields: Iterable[str], accounts: Iterable[str]) -> str:
    # Two halves, so that a changed record whose accounts stayed the same
    # keeps its memberships untouched (see ACCOUNTS_DIGEST).
    return _digest(fields) + _digest(accounts)


# The accounts' half of a fingerprint.
ACCOUNTS_DIGEST = slice(16, 32)


def _check_email(email: str, position: int, platform_id: int) -> None:
    if not email:
        raise InvalidRecord(position, platform_id, "email", "is required")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidRecord(
            position, platform_id, "email", f"is longer than {MAX_EMAIL_LENGTH} characters"
        )
    if _COMMON_EMAIL.match(email) is None:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidRecord(position, platform_id, "email", "is not a valid e-mail address") from None


def _check_accounts(accounts: tuple[str, ...], position: int, platform_id: int) -> None:
    for name in accounts:
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidRecord(
                position, platform_id, "accounts",
                f"account name {name[:40]!r}... is longer than {MAX_NAME_LENGTH} characters",
            )


def _find_nul(email: str, names: list[str], accounts: tuple[str, ...], position: int,
              platform_id: int) -> None:
    for field, value in (("email", email), *zip(CONTACT_NAME_FIELDS, names, strict=True)):
        if "\x00" in value:
            raise InvalidRecord(position, platform_id, field, "contains a NUL character")
    if any("\x00" in name for name in accounts):
        raise InvalidRecord(position, platform_id, "accounts", "contains a NUL character")


def parse_record(raw: object, position: int) -> ContactRecord:
    """Validate one pushed record (a struct) at 1-based ``position``."""
    if not isinstance(raw, Mapping):
        raise InvalidRecord(position, None, "(record)", "must be a struct of named fields")
    get = raw.get
    raw_id = get("id")
    if raw_id is None or raw_id == "":
        raise InvalidRecord(position, None, "id", "is required")
    try:
        platform_id = parse_platform_id(raw_id)
    except ValueError as exc:
        shown_id = raw_id if isinstance(raw_id, str | int) and len(str(raw_id)) <= 40 else None
        raise InvalidRecord(position, shown_id, "id", str(exc)) from None

    email = get("email")
    if email is None:
        email = ""
    elif type(email) is not str:
        email = _text(raw, "email", position, platform_id)
    _check_email(email, position, platform_id)

    names = []
    for field in CONTACT_NAME_FIELDS:
        value = get(field)
        if value is None:
            value = ""
        elif type(value) is not str:
            value = _text(raw, field, position, platform_id)
        if len(value) > MAX_NAME_LENGTH:
            raise InvalidRecord(
                position, platform_id, field, f"is longer than {MAX_NAME_LENGTH} characters"
            )
        names.append(value)

    accounts = split_accounts(_text(raw, "accounts", position, platform_id))
    _check_accounts(accounts, position, platform_id)
    _find_nul(email, names, accounts, position, platform_id)
    return ContactRecord(platform_id, email, *names, accounts=accounts,
                         fingerprint=_fingerprint((email, *names), accounts))


def _first_difference(a: ContactRecord, b: ContactRecord) -> str:
    for field in ("email", *CONTACT_NAME_FIELDS, "accounts"):
        if getattr(a, field) != getattr(b, field):
            return field
    return "id"


def parse_records(raw_records: Iterable[object]) -> list[ContactRecord]:
    """Validate a whole push; raise InvalidRecord for the first bad record.

    An id repeated with identical data counts once; repeated with different
    data it is an error on the later record.
    """
    by_id: dict[int, ContactRecord] = {}
    for position, raw in enumerate(raw_records, start=1):
        record = parse_record(raw, position)
        earlier = by_id.get(record.platform_id)
        if earlier is None:
            by_id[record.platform_id] = record
        elif earlier.fingerprint != record.fingerprint:
            raise InvalidRecord(
                position, record.platform_id, _first_difference(earlier, record),
                "the same id appears earlier in this call with different data",
            )
    return list(by_id.values())
