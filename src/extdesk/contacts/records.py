"""Reading pushed contact records: validation, normalisation, deduplication."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email

from extdesk.soap.protocol import CONTACT_NAME_FIELDS

from .exceptions import InvalidRecord

MAX_PLATFORM_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(MAX_PLATFORM_ID))
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
    elif len(value) < _MAX_ID_DIGITS and value.isdigit() and value.isascii():
        # The common case, a short string of digits: nothing to strip or bound.
        number = int(value)
    else:
        digits = value if value.isascii() and value.isdigit() else None
        if digits is None:
            match = _DIGITS.match(value)
            if match is None:
                shown = value if len(value) <= 40 else value[:40] + "..."
                raise ValueError(f"must be an integer >= 1, got {shown!r}")
            digits = match[1]
        # Python refuses to convert strings of over 4,300 digits, with a
        # message about its own limit; such an id is simply too large.
        digits = digits.lstrip("0") or "0"
        if len(digits) > _MAX_ID_DIGITS:
            raise ValueError(f"must be at most {MAX_PLATFORM_ID}")
        number = int(digits)
    if number < 1:
        raise ValueError(f"must be an integer >= 1, got {number}")
    if number > MAX_PLATFORM_ID:
        raise ValueError(f"must be at most {MAX_PLATFORM_ID}")
    return number


def split_accounts(text: str) -> tuple[str, ...]:
    """Account names from the comma-separated field: trimmed, unique, sorted."""
    if not text:
        return ()
    names = set(map(str.strip, text.split(",")))
    names.discard("")
    return tuple(sorted(names))


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


def _find_nul(values: list[str], accounts: tuple[str, ...], position: int,
              platform_id: int) -> None:
    for field, value in zip(_HASHED_FIELDS, values, strict=True):
        if "\x00" in value:
            raise InvalidRecord(position, platform_id, field, "contains a NUL character")
    if any("\x00" in name for name in accounts):
        raise InvalidRecord(position, platform_id, "accounts", "contains a NUL character")


def parse_record(raw: object, position: int) -> ContactRecord:
    """Validate one pushed record (a struct) at 1-based ``position``."""
    key = record_key(raw)
    if key is None:
        return _parse_unreadable(raw, position)
    return _checked(key, position)


def _checked(key: RecordKey, position: int) -> ContactRecord:
    """The record whose id and fields record_key could read, once the rules
    hold; the checks come in the order _parse_unreadable makes them."""
    platform_id, fingerprint, values, accounts = key
    _check_email(values[0], position, platform_id)
    if max(map(len, values)) > MAX_NAME_LENGTH:
        for field, value in zip(CONTACT_NAME_FIELDS, values[1:], strict=True):
            if len(value) > MAX_NAME_LENGTH:
                raise InvalidRecord(
                    position, platform_id, field, f"is longer than {MAX_NAME_LENGTH} characters"
                )
    if accounts and max(map(len, accounts)) > MAX_NAME_LENGTH:
        _check_accounts(accounts, position, platform_id)
    if "\x00" in "".join(values) or "\x00" in "".join(accounts):
        _find_nul(values, accounts, position, platform_id)
    return ContactRecord(platform_id, *values, accounts=accounts, fingerprint=fingerprint)


def _parse_unreadable(raw: object, position: int) -> ContactRecord:
    # Every rule in order, for a record some value of which record_key could
    # not read (not a struct, a bad id, a compound field): its first broken
    # rule is the one reported.
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

    values = [email]
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
        values.append(value)

    accounts = split_accounts(_text(raw, "accounts", position, platform_id))
    _check_accounts(accounts, position, platform_id)
    _find_nul(values, accounts, position, platform_id)
    return ContactRecord(platform_id, *values, accounts=accounts,
                         fingerprint=_fingerprint(values, accounts))


def _first_difference(a: ContactRecord, b: ContactRecord) -> str:
    for field in ("email", *CONTACT_NAME_FIELDS, "accounts"):
        if getattr(a, field) != getattr(b, field):
            return field
    return "id"


def _readable_id(raw_id: object) -> int | None:
    try:
        return parse_platform_id(raw_id)
    except ValueError:
        return None


def record_key(raw: object) -> RecordKey | None:
    """What a pushed record holds (see RecordKey), read without validating it.

    The fingerprint is the one parse_record gives the record if it is valid.
    None when the id or a field cannot even be read (the record is invalid).
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return None
    get = raw.get
    platform_id = _readable_id(get("id"))
    if platform_id is None:
        return None
    values = list(map(get, _HASHED_FIELDS))
    if None in values:
        values = ["" if value is None else value for value in values]
    accounts = get("accounts")
    if accounts is None:
        accounts = ""
    elif not isinstance(accounts, str):
        return None
    names = split_accounts(accounts)
    try:
        return platform_id, _fingerprint(values, names), values, names
    except TypeError:  # a compound value: only parse_record says which field
        return None


def changed_records(raw_records: Sequence[object], keys: Sequence[RecordKey | None],
                    stored: Mapping[int, str], *, trust_stored: bool = True) -> list[ContactRecord]:
    """Validate a push against the ``stored`` fingerprints and return the
    records to write: new or changed, one per id, in push order.

    ``keys`` are the records' ``record_key``s. A record whose fingerprint is
    the stored one holds exactly what was stored, which passed this
    validation, so it is not validated again unless ``trust_stored`` is
    False (for after a rule got stricter). Every other record is, in push
    order, so the first bad record raises InvalidRecord as a full validation
    would: a skipped record is valid. An id repeated with identical data
    counts once; with different data it is an error on the later record.
    """
    # platform id -> (position, fingerprint) of its first record in the push
    seen: dict[int, tuple[int, str]] = {}
    changed: list[ContactRecord] = []
    get_stored = stored.get
    for position, (raw, key) in enumerate(zip(raw_records, keys, strict=True), start=1):
        if key is None:
            record = _parse_unreadable(raw, position)
        elif trust_stored and get_stored(key[0]) == key[1]:
            platform_id, fingerprint = key[0], key[1]
            record = None
        else:
            record = _checked(key, position)
        if record is not None:
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
