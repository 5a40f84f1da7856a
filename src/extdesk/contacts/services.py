"""Writes to contacts and accounts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from .models import Account, Contact
from .records import ACCOUNTS_DIGEST, ContactRecord, changed_records, record_key

_CONTACT_TABLE = Contact._meta.db_table
_ACCOUNT_TABLE = Account._meta.db_table
_MEMBERSHIP = Contact.accounts.through
_MEMBERSHIP_TABLE = _MEMBERSHIP._meta.db_table

_UPSERT_CONTACT = (
    f"INSERT INTO {_CONTACT_TABLE} (platform_id, email, prefix, first_name, insertion,"
    " middle_name, last_name, suffix, fingerprint, created_at, updated_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (platform_id) DO UPDATE SET email = excluded.email,"
    " prefix = excluded.prefix, first_name = excluded.first_name,"
    " insertion = excluded.insertion, middle_name = excluded.middle_name,"
    " last_name = excluded.last_name, suffix = excluded.suffix,"
    " fingerprint = excluded.fingerprint, updated_at = excluded.updated_at"
)
_INSERT_ACCOUNT = f"INSERT INTO {_ACCOUNT_TABLE} (name) VALUES (%s) ON CONFLICT (name) DO NOTHING"
_INSERT_MEMBERSHIP = (
    f"INSERT INTO {_MEMBERSHIP_TABLE} (contact_id, account_id) VALUES (%s, %s)"
    " ON CONFLICT DO NOTHING"
)
# PostgreSQL takes a whole column per parameter: one statement, one round
# trip, where executemany pays the driver's per-row work 10,000 times.
_PG_UPSERT_CONTACTS = (
    f"INSERT INTO {_CONTACT_TABLE} (platform_id, email, prefix, first_name, insertion,"
    " middle_name, last_name, suffix, fingerprint, created_at, updated_at)"
    " SELECT r.*, %s, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) AS r"
    + _UPSERT_CONTACT[_UPSERT_CONTACT.index(" ON CONFLICT"):]
)
_PG_INSERT_ACCOUNTS = (
    f"INSERT INTO {_ACCOUNT_TABLE} (name) SELECT unnest(%s::text[]) ON CONFLICT (name) DO NOTHING"
)
_PG_INSERT_MEMBERSHIPS = (
    f"INSERT INTO {_MEMBERSHIP_TABLE} (contact_id, account_id)"
    " SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING"
)
# A push usually covers a dense block of ids; then one range scan reads the
# stored rows faster than many IN lists, even when it passes a few others.
_DENSE_ENOUGH = 4


def _chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _in_chunk_size() -> int:
    # SQLite caps the number of bound parameters; PostgreSQL does not care.
    return connection.features.max_query_params or 10_000


def alter_contacts(raw_records: Sequence[object], *, trust_stored: bool = True) -> int:
    """Validate a push (records as decoded) and insert or update it, atomically.

    Returns how many records were inserted or changed; a record identical to
    what is stored is neither written nor counted (nor, unless
    ``trust_stored`` is False, validated again: see changed_records).
    Memberships are rewritten only for the records whose accounts changed.
    Raises InvalidRecord, having written nothing, for the first bad record.
    """
    if not raw_records:
        return 0
    keys = [record_key(raw) for raw in raw_records]
    platform_ids = sorted({key[0] for key in keys if key is not None})
    with transaction.atomic():
        stored = _stored_fingerprints(platform_ids) if platform_ids else {}
        changed = changed_records(raw_records, keys, stored, trust_stored=trust_stored)
        if not changed:
            return 0
        changed.sort(key=lambda r: r.platform_id)
        _upsert_contacts(changed)
        moved = [
            r for r in changed
            if r.platform_id not in stored
            or stored[r.platform_id][ACCOUNTS_DIGEST] != r.fingerprint[ACCOUNTS_DIGEST]
        ]
        if moved:
            _replace_memberships(moved, existed=[r.platform_id for r in moved if r.platform_id in stored])
    return len(changed)


def _upsert_contacts(changed: list[ContactRecord]) -> None:
    # Adapted once here rather than by the driver for every row.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = list(zip(*(
                (r.platform_id, r.email, r.prefix, r.first_name, r.insertion, r.middle_name,
                 r.last_name, r.suffix, r.fingerprint)
                for r in changed
            ), strict=True))
            cursor.execute(_PG_UPSERT_CONTACTS, [now, now, *map(list, columns)])
            return
        cursor.executemany(
            _UPSERT_CONTACT,
            [
                (r.platform_id, r.email, r.prefix, r.first_name, r.insertion,
                 r.middle_name, r.last_name, r.suffix, r.fingerprint, now, now)
                for r in changed
            ],
        )


def _select_by_platform_ids(columns: str, platform_ids: list[int], lock: bool) -> Iterator[tuple]:
    """Rows (platform_id, ...) of the stored contacts among ``platform_ids`` (ascending)."""
    # The lock (PostgreSQL) makes a concurrent push of the same ids wait, so
    # that its comparison sees this push's result instead of a stale row.
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    select = f"SELECT platform_id, {columns} FROM {_CONTACT_TABLE}"
    low, high = platform_ids[0], platform_ids[-1]
    with connection.cursor() as cursor:
        if high - low < _DENSE_ENOUGH * len(platform_ids):
            wanted = set(platform_ids)
            cursor.execute(
                f"{select} WHERE platform_id BETWEEN %s AND %s ORDER BY platform_id{suffix}",
                [low, high],
            )
            yield from (row for row in cursor.fetchall() if row[0] in wanted)
            return
        for chunk in _chunks(platform_ids, _in_chunk_size()):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"{select} WHERE platform_id IN ({marks}) ORDER BY platform_id{suffix}", chunk
            )
            yield from cursor.fetchall()


def _stored_fingerprints(platform_ids: list[int]) -> dict[int, str]:
    """Fingerprints of the stored contacts among ``platform_ids`` (sorted), rows locked."""
    return dict(_select_by_platform_ids("fingerprint", platform_ids, lock=True))


def _replace_memberships(moved: list[ContactRecord], existed: list[int]) -> None:
    account_ids = ensure_accounts({name for r in moved for name in r.accounts})
    contact_ids = dict(_select_by_platform_ids("id", [r.platform_id for r in moved], lock=False))
    with connection.cursor() as cursor:
        for chunk in _chunks([contact_ids[pid] for pid in existed], _in_chunk_size()):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {_MEMBERSHIP_TABLE} WHERE contact_id IN ({marks})", chunk)
        links = [
            (contact_ids[r.platform_id], account_ids[name]) for r in moved for name in r.accounts
        ]
        if links and connection.vendor == "postgresql":
            contacts, accounts = zip(*links, strict=True)
            cursor.execute(_PG_INSERT_MEMBERSHIPS, [list(contacts), list(accounts)])
        elif links:
            cursor.executemany(_INSERT_MEMBERSHIP, links)


def ensure_accounts(names: Iterable[str]) -> dict[str, int]:
    """Create the accounts that do not exist yet; map every name to its id."""
    names = sorted(set(names))
    if not names:
        return {}
    found = _account_ids(names)
    missing = [name for name in names if name not in found]
    if missing:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_PG_INSERT_ACCOUNTS, [missing])
            else:
                cursor.executemany(_INSERT_ACCOUNT, [(name,) for name in missing])
        found.update(_account_ids(missing))
    return found


def _account_ids(names: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(names, _in_chunk_size()):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT name, id FROM {_ACCOUNT_TABLE} WHERE name IN ({marks})", chunk)
            found.update(cursor.fetchall())
    return found
