"""Writes to contacts and accounts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone

from .models import Account, Contact
from .records import ContactRecord

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


def _chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _in_chunk_size() -> int:
    # SQLite caps the number of bound parameters; PostgreSQL does not care.
    return connection.features.max_query_params or 10_000


def alter_contacts(records: Sequence[ContactRecord]) -> int:
    """Insert or update ``records`` (validated, unique ids) in one transaction.

    Returns how many were inserted or changed; a record identical to what is
    stored is neither written nor counted.
    """
    if not records:
        return 0
    ordered = sorted(records, key=lambda r: r.platform_id)
    with transaction.atomic():
        stored = _stored_fingerprints([r.platform_id for r in ordered])
        changed = [r for r in ordered if stored.get(r.platform_id) != r.fingerprint]
        if not changed:
            return 0
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.executemany(
                _UPSERT_CONTACT,
                [
                    (r.platform_id, r.email, r.prefix, r.first_name, r.insertion,
                     r.middle_name, r.last_name, r.suffix, r.fingerprint, now, now)
                    for r in changed
                ],
            )
        _replace_memberships(changed, existed={r.platform_id for r in changed} & stored.keys())
    return len(changed)


def _stored_fingerprints(platform_ids: list[int]) -> dict[int, str]:
    """Fingerprints of the stored contacts among ``platform_ids``, rows locked.

    The lock (PostgreSQL) makes a concurrent push of the same ids wait, so
    that its comparison sees this push's result instead of a stale row.
    """
    found: dict[int, str] = {}
    for chunk in _chunks(platform_ids, _in_chunk_size()):
        query = (
            Contact.objects.filter(platform_id__in=chunk)
            .order_by("platform_id")
            .select_for_update()
            .values_list("platform_id", "fingerprint")
        )
        found.update(query)
    return found


def _replace_memberships(changed: list[ContactRecord], existed: set[int]) -> None:
    names = sorted({name for r in changed for name in r.accounts})
    account_ids = ensure_accounts(names)
    contact_ids = dict(
        row
        for chunk in _chunks([r.platform_id for r in changed], _in_chunk_size())
        for row in Contact.objects.filter(platform_id__in=chunk).values_list("platform_id", "id")
    )
    stale = [contact_ids[pid] for pid in sorted(existed)]
    for chunk in _chunks(stale, _in_chunk_size()):
        _MEMBERSHIP.objects.filter(contact_id__in=chunk).delete()
    links = [
        (contact_ids[r.platform_id], account_ids[name]) for r in changed for name in r.accounts
    ]
    if links:
        with connection.cursor() as cursor:
            cursor.executemany(_INSERT_MEMBERSHIP, links)


def ensure_accounts(names: Iterable[str]) -> dict[str, int]:
    """Create the accounts that do not exist yet; map every name to its id."""
    names = sorted(set(names))
    if not names:
        return {}
    with connection.cursor() as cursor:
        cursor.executemany(_INSERT_ACCOUNT, [(name,) for name in names])
    return dict(
        row
        for chunk in _chunks(names, _in_chunk_size())
        for row in Account.objects.filter(name__in=chunk).values_list("name", "id")
    )
