"""Writes to contacts and accounts.

One speed-up is kept for the alter_contacts figures in docs/performance.md:
Python's cyclic garbage collector is paused for the length of a push
(``_collector_paused``); what a push answers and writes does not depend on it.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Lower
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
# PostgreSQL takes a whole column per parameter: one statement, one round
# trip, where executemany pays the driver's work for every row.
_PG_UPSERT_CONTACTS = (
    f"INSERT INTO {_CONTACT_TABLE} (platform_id, email, prefix, first_name, insertion,"
    " middle_name, last_name, suffix, fingerprint, created_at, updated_at)"
    " SELECT r.*, %s, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[]) AS r"
    + _UPSERT_CONTACT[_UPSERT_CONTACT.index(" ON CONFLICT"):]
)
# Account names and memberships go in as one statement each, the accounts
# and contacts looked up by the database through their unique indexes
# instead of round trips for their ids (on SQLite cheaper than an
# executemany over the membership rows plus those lookups). The NOT EXISTS
# keeps PostgreSQL from drawing a sequence value for every existing name.
_INSERT_ACCOUNTS = (
    f"INSERT INTO {_ACCOUNT_TABLE} (name) SELECT n.name FROM {{names}}"
    f" WHERE NOT EXISTS (SELECT 1 FROM {_ACCOUNT_TABLE} a WHERE a.name = n.name)"
    " ON CONFLICT (name) DO NOTHING"
)
_INSERT_MEMBERSHIPS = (
    f"INSERT INTO {_MEMBERSHIP_TABLE} (contact_id, account_id) SELECT c.id, a.id"
    " FROM {pairs}"
    f" JOIN {_CONTACT_TABLE} c ON c.platform_id = p.platform_id"
    f" JOIN {_ACCOUNT_TABLE} a ON a.name = p.name"
    # SQLite needs a WHERE ahead of an upsert's ON CONFLICT (else it reads
    # it as the join's ON).
    " WHERE true ON CONFLICT DO NOTHING"
)
_DELETE_MEMBERSHIPS = (
    f"DELETE FROM {_MEMBERSHIP_TABLE} WHERE contact_id IN (SELECT c.id FROM {_CONTACT_TABLE} c"
    " WHERE c.platform_id IN (SELECT p.platform_id FROM {ids}))"
)
# The row sources above: one array per column on PostgreSQL, one JSON
# array on SQLite (bound parameters there are capped, and slow in bulk).
_PG_SOURCES = {
    "names": "unnest(%s::text[]) AS n(name)",
    "pairs": "unnest(%s::bigint[], %s::text[]) AS p(platform_id, name)",
    "ids": "unnest(%s::bigint[]) AS p(platform_id)",
}
_SQLITE_SOURCES = {
    "names": "(SELECT value AS name FROM json_each(%s)) AS n",
    # json_extract rather than ->>, which needs SQLite 3.38 (Django takes 3.31).
    "pairs": "(SELECT json_extract(value, '$[0]') AS platform_id, json_extract(value, '$[1]') AS name"
             " FROM json_each(%s)) AS p",
    "ids": "(SELECT value AS platform_id FROM json_each(%s)) AS p",
}
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
    with _collector_paused():
        return _alter_contacts(raw_records, trust_stored)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A push allocates a few containers per record, all freed by reference
    # counting or alive until it ends, yet enough of them to start the cyclic
    # collector over and over, each time walking the live objects (now and
    # then the whole process's) for cycles there are none of. The figures
    # that need this are in docs/performance.md.
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _alter_contacts(raw_records: Sequence[object], trust_stored: bool) -> int:
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
        _adopt_guests(changed)
    return len(changed)


def _adopt_guests(changed: list[ContactRecord]) -> None:
    """Give each guest whose address a pushed contact now has to that contact, and delete the guest.

    Whatever names the guest (tickets, messages, history: every foreign key
    to Contact, whichever app declares it) then names the contact, so a
    customer who wrote in by mail before being synchronised finds those
    tickets in their portal. Several contacts with one address: the lowest
    platform id takes them, as incoming mail from it does.
    """
    guests = list(Contact.objects.filter(platform_id__isnull=True).values_list("pk", "email"))
    if not guests:
        return
    pushed = {r.email.strip().lower() for r in changed}
    addresses = {email.strip().lower(): pk for pk, email in guests if email.strip().lower() in pushed}
    if not addresses:
        return
    owners: dict[str, int] = {}
    for pk, email in (Contact.objects.filter(platform_id__isnull=False)
                      .alias(email_lower=Lower("email")).filter(email_lower__in=list(addresses))
                      .order_by("-platform_id").values_list("pk", "email")):
        owners[email.strip().lower()] = pk
    # Hidden ones too (related_name="+", such as the history's actor).
    relations = [field for field in Contact._meta.get_fields(include_hidden=True)
                 if field.one_to_many and field.auto_created and field.related_model is not Contact]
    for address, owner in owners.items():
        guest = addresses[address]
        for relation in relations:
            name = relation.field.name  # type: ignore[union-attr]  # a reverse relation's field
            model = relation.related_model
            assert model is not None and not isinstance(model, str)
            model._default_manager.filter(**{name: guest}).update(**{name: owner})
        Contact.objects.filter(pk=guest).delete()


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


def _stored_fingerprints(platform_ids: list[int]) -> dict[int, str]:
    """Fingerprints of the stored contacts among ``platform_ids`` (sorted), rows locked."""
    # The lock (PostgreSQL) makes a concurrent push of the same ids wait, so
    # that its comparison sees this push's result instead of a stale row.
    suffix = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT platform_id, fingerprint FROM {_CONTACT_TABLE}"
    low, high = platform_ids[0], platform_ids[-1]
    with connection.cursor() as cursor:
        if high - low < _DENSE_ENOUGH * len(platform_ids):
            wanted = set(platform_ids)
            cursor.execute(
                f"{select} WHERE platform_id BETWEEN %s AND %s ORDER BY platform_id{suffix}",
                [low, high],
            )
            return {pid: fingerprint for pid, fingerprint in cursor.fetchall() if pid in wanted}
        stored: dict[int, str] = {}
        for chunk in _chunks(platform_ids, _in_chunk_size()):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"{select} WHERE platform_id IN ({marks}) ORDER BY platform_id{suffix}", chunk
            )
            stored.update(cursor.fetchall())
        return stored


def _replace_memberships(moved: list[ContactRecord], existed: list[int]) -> None:
    pairs = [(r.platform_id, name) for r in moved for name in r.accounts]
    postgres = connection.vendor == "postgresql"
    sources = _PG_SOURCES if postgres else _SQLITE_SOURCES
    with connection.cursor() as cursor:
        if existed:
            cursor.execute(_DELETE_MEMBERSHIPS.format(**sources), [_column(existed, postgres)])
        if not pairs:
            return
        names = sorted({name for _, name in pairs})
        cursor.execute(_INSERT_ACCOUNTS.format(**sources), [_column(names, postgres)])
        if postgres:
            platform_ids, account_names = zip(*pairs, strict=True)
            cursor.execute(_INSERT_MEMBERSHIPS.format(**sources),
                           [list(platform_ids), list(account_names)])
        else:
            cursor.execute(_INSERT_MEMBERSHIPS.format(**sources), [_json(pairs)])


def _column(values: list, postgres: bool) -> list | str:
    return values if postgres else _json(values)


def _json(values: list) -> str:
    return json.dumps(values, ensure_ascii=False, check_circular=False)


def remember_language(contact: Contact, code: str) -> bool:
    """Store ``code`` (one of settings.LANGUAGES) as the language of ``contact``'s mail; True if it changed.

    Called on every portal page a contact opens: a contact whose language is
    already ``code`` costs nothing, any other one UPDATE of that one column.
    Empty stands for the site's default (LANGUAGE_CODE), so reading in the
    default leaves it empty.
    """
    if code == (contact.language or settings.LANGUAGE_CODE):
        return False
    if code not in {language for language, _name in settings.LANGUAGES}:
        raise ValueError(f"{code!r} is not one of the configured languages")
    Contact.objects.filter(pk=contact.pk).update(language=code)
    contact.language = code
    return True
