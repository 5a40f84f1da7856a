"""The floor: what the same work costs with nothing of ours in the way.

- parsing the same envelope with lxml alone;
- writing the same rows with one ``executemany`` upsert on the same database
  (a table of its own beside the server's, same columns and unique key);
- reading the ids with one plain SELECT;
- (per-request cost) a bare WSGI app under the same server: see hello.py.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

_TABLE = "floor_contact"
_COLUMNS = ("platform_id, email, prefix, first_name, insertion, middle_name, last_name, suffix,"
            " fingerprint, created_at, updated_at")
_UPSERT = (
    f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (platform_id) DO UPDATE SET email = excluded.email, prefix = excluded.prefix,"
    " first_name = excluded.first_name, insertion = excluded.insertion,"
    " middle_name = excluded.middle_name, last_name = excluded.last_name,"
    " suffix = excluded.suffix, fingerprint = excluded.fingerprint,"
    " updated_at = excluded.updated_at"
)
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} (id {{pk}}, platform_id bigint NOT NULL UNIQUE,"
    " email varchar(254) NOT NULL, prefix varchar(255) NOT NULL, first_name varchar(255) NOT NULL,"
    " insertion varchar(255) NOT NULL, middle_name varchar(255) NOT NULL,"
    " last_name varchar(255) NOT NULL, suffix varchar(255) NOT NULL,"
    " fingerprint varchar(32) NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL)"
)
_SELECT_IDS = "SELECT platform_id FROM contacts_contact ORDER BY platform_id"


def lxml_parse_seconds(body: bytes, repeat: int) -> float:
    """Best of ``repeat`` parses of ``body`` into an lxml tree."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, collect_ids=False)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        etree.fromstring(body, parser)
        best = min(best, time.perf_counter() - started)
    return best


class Database:
    """The server's database, opened directly (no Django, no ORM)."""

    def __init__(self, sqlite_path: Path | None, postgres_url: str | None) -> None:
        if postgres_url:
            import psycopg

            self._conn: Any = psycopg.connect(postgres_url)
            self._mark = "%s"
            self._conn.execute(_CREATE.format(pk="bigserial PRIMARY KEY", ts="timestamptz"))
        else:
            self._conn = sqlite3.connect(sqlite_path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._mark = "?"
            self._conn.execute(_CREATE.format(pk="integer PRIMARY KEY AUTOINCREMENT", ts="datetime"))
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        cursor = self._conn.cursor()
        if self._mark == "?":
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()

    def upsert_seconds(self, rows: Sequence[tuple]) -> float:
        """One executemany upsert of ``rows`` (the stored values) in one transaction."""
        now = datetime.now(UTC)
        stamp: Any = now.isoformat(" ") if self._mark == "?" else now
        values = [(*row, "0" * 32, stamp, stamp) for row in rows]
        started = time.perf_counter()
        with self._transaction() as cursor:
            cursor.executemany(_UPSERT.replace("%s", self._mark), values)
        return time.perf_counter() - started

    def select_ids_seconds(self) -> tuple[float, int]:
        """One SELECT of every platform id, ascending, joined into response items."""
        started = time.perf_counter()
        cursor = self._conn.cursor()
        cursor.execute(_SELECT_IDS)
        ids = cursor.fetchall()
        b"".join(b'<item xsi:type="xsd:int">%d</item>' % row[0] for row in ids)
        seconds = time.perf_counter() - started
        self._conn.rollback()
        return seconds, len(ids)
