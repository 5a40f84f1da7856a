"""``python -m benchmarks.queue_scale``: the agent's queue, search and reports at scale.

Seeds a helpdesk of ``--tickets`` tickets (default 200,000) with ``--messages``
messages (default 1,000,000) in bulk, says how long the seeding took, then
requests through Django's full request handling, signed in as an agent:

- the needs-attention queue (``/desk/``, the default view);
- a body search for a rare word and for a common one, over every ticket;
- the reports page over the last 90 days;

each ``--runs`` times, and prints per page the median and fastest wall time,
the median CPU time of this process and the queries of one request.

The data: 40,000 contacts in 20,000 accounts, 20 agents, tickets created over
the past year and numbered in that order, most of them closed, 8,000 waiting on staff with their SLA
due times spread from two days overdue to three days ahead; 1 to 9 messages
each (a tenth of them internal notes), 20 to 60 words drawn from a
vocabulary of 5,000 made-up words by a Zipf law, so that the most common
word is in most messages; the rare word is in exactly 3.

Runs on SQLite in a throwaway data directory, or on the PostgreSQL database
``--database-url`` names (its ``public`` schema is dropped and re-created:
give it a database of its own).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

ACCOUNTS = 20_000
CONTACTS = 40_000
AGENTS = 20
ACTIVE = 8_000
WAITING = 4_000
RESOLVED = 3_000
VOCABULARY = 5_000
RARE_WORD = "zanzibarite"
RARE_COUNT = 3
# Rows per INSERT batch on SQLite (COPY streams on PostgreSQL).
_BATCH = 20_000


def reset_postgres(url: str) -> None:
    """Drop and re-create the database's ``public`` schema: a benchmark's own database, emptied."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _words(rng: random.Random) -> tuple[list[str], list[float]]:
    """Made-up words, and their cumulative Zipf weights: the first is the common word."""
    syllables = ["ka", "lo", "mi", "ren", "to", "sa", "vel", "dor", "ni", "qua", "ber", "shu", "tan", "ex"]
    seen: set[str] = set()
    words: list[str] = []
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen and word != RARE_WORD:
            seen.add(word)
            words.append(word)
    # Cumulative, as random.choices takes them without summing 5,000 weights at every draw.
    return words, list(itertools.accumulate(1 / (rank + 1) for rank in range(VOCABULARY)))


class _Loader:
    """Bulk rows into a table: COPY on PostgreSQL, batched executemany on SQLite."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def _value(self, value: object) -> object:
        if not self.postgres and isinstance(value, datetime):
            return self.connection.ops.adapt_datetimefield_value(value)
        return value

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
        count = 0
        names = ", ".join(f'"{name}"' for name in columns)
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                return count
            marks = ", ".join("%s" for _ in columns)
            statement = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
            iterator = iter(rows)
            while batch := [tuple(self._value(v) for v in row) for row in itertools.islice(iterator, _BATCH)]:
                cursor.executemany(statement, batch)
                count += len(batch)
        return count


def _model_rows(model, given: Iterable[dict[str, object]]) -> tuple[list[str], Iterable[list[object]]]:
    """Every concrete column of ``model`` but its id, each row's given values over the fields' defaults."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = [field.column for field in fields]
    defaults = {field.attname: field.get_default() for field in fields}

    def rows() -> Iterable[list[object]]:
        for values in given:
            yield [values.get(field.attname, defaults[field.attname]) for field in fields]

    return columns, rows()


def seed(tickets: int, messages: int, rng: random.Random) -> dict[str, float]:
    """The data described above; the seconds each part took."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from extdesk.contacts.models import Account, Contact
    from extdesk.helpdesk.models import Category, Message, Priority, Speaker, Status, Ticket

    timings: dict[str, float] = {}
    loader = _Loader()
    now = timezone.now()
    words, weights = _words(rng)
    began = time.perf_counter()
    with transaction.atomic():
        agents = [get_user_model().objects.create_user(username=f"agent{n}", email=f"agent{n}@example.com",
                                                       is_staff=True) for n in range(AGENTS)]
        categories = [Category.objects.create(name=f"Category {n}") for n in range(8)]
        columns, rows = _model_rows(Account, ({"name": f"account-{n:05d}"} for n in range(ACCOUNTS)))
        loader.load(Account._meta.db_table, columns, rows)
        first_account = Account.objects.order_by("pk").values_list("pk", flat=True).first()
        columns, rows = _model_rows(Contact, (
            {"platform_id": n + 1, "email": f"person{n}@example.com", "first_name": "Person",
             "last_name": str(n), "created_at": now, "updated_at": now} for n in range(CONTACTS)))
        loader.load(Contact._meta.db_table, columns, rows)
        first_contact = Contact.objects.order_by("pk").values_list("pk", flat=True).first()
        memberships = Contact.accounts.through
        loader.load(memberships._meta.db_table, ["contact_id", "account_id"],
                    ((first_contact + n, first_account + n // 2) for n in range(CONTACTS)))
    timings["people"] = time.perf_counter() - began

    began = time.perf_counter()
    statuses = ([Status.NEW] * (ACTIVE // 4) + [Status.OPEN] * (ACTIVE - ACTIVE // 4)
                + [Status.WAITING] * WAITING + [Status.RESOLVED] * RESOLVED)
    statuses += [Status.CLOSED] * (tickets - len(statuses))
    # The active ones are the newest; the closed ones spread over the year.
    thread_sizes = _thread_sizes(tickets, messages, rng)

    # As a helpdesk fills up: numbered in the order they came in, so that a period's tickets are
    # neighbours in the table as in a real one.
    recent = ACTIVE + WAITING + RESOLVED
    opened = sorted(
        ((now - timedelta(seconds=rng.uniform(0, 14 * 86400) if n < recent
                          else rng.uniform(14 * 86400, 365 * 86400)), statuses[n]) for n in range(tickets)),
        key=lambda pair: pair[0])

    def ticket_rows() -> Iterable[dict[str, object]]:
        for n, (created, status) in enumerate(opened):
            active = status in (Status.NEW, Status.OPEN)
            contact = first_contact + rng.randrange(CONTACTS)
            responded = None if status == Status.NEW else created + timedelta(hours=rng.uniform(0.2, 30))
            due = now + timedelta(hours=rng.uniform(-48, 72))
            resolved = created + timedelta(hours=rng.uniform(2, 120)) if status in (
                Status.RESOLVED, Status.CLOSED) else None
            closed = resolved + timedelta(days=7) if status == Status.CLOSED and resolved else None
            last = created + timedelta(minutes=5 * thread_sizes[n])
            yield {
                "subject": f"{' '.join(rng.choices(words[:400], k=4)).capitalize()} ({n})",
                "status": status, "priority": rng.choice(Priority.values),
                "category_id": rng.choice(categories).pk,
                "account_id": first_account + (contact - first_contact) // 2,
                "contact_id": contact, "assignee_id": rng.choice(agents).pk if rng.random() < 0.7 else None,
                "created_at": created, "updated_at": last, "last_activity_at": last,
                "first_response_due_at": due if active else created + timedelta(hours=8),
                "resolution_due_at": due + timedelta(hours=16) if active else created + timedelta(days=3),
                "next_due_at": due if active else None,
                "sla_clock_since": created if active else None,
                "first_responded_at": responded, "resolved_at": resolved, "closed_at": closed,
                "first_response_breached": responded is not None and rng.random() < 0.1,
                "resolution_breached": resolved is not None and rng.random() < 0.15,
                "last_speaker": Speaker.CUSTOMER if status != Status.WAITING else Speaker.AGENT,
                "last_message_excerpt": " ".join(rng.choices(words, cum_weights=weights, k=12))[:200],
            }

    with transaction.atomic():
        columns, rows = _model_rows(Ticket, ticket_rows())
        loader.load(Ticket._meta.db_table, columns, rows)
    timings["tickets"] = time.perf_counter() - began

    began = time.perf_counter()
    first_ticket = Ticket.objects.order_by("pk").values_list("pk", flat=True).first()
    threads = {pk: (contact, created) for pk, contact, created in
               Ticket.objects.values_list("pk", "contact_id", "created_at").iterator(chunk_size=20_000)}
    rare = set(rng.sample(range(messages), RARE_COUNT))

    def message_rows() -> Iterable[dict[str, object]]:
        index = 0
        for n, size in enumerate(thread_sizes):
            ticket = first_ticket + n
            for position in range(size):
                body = rng.choices(words, cum_weights=weights, k=rng.randint(20, 60))
                if index in rare:
                    body[len(body) // 2] = RARE_WORD
                staff = position % 2 == 1
                contact, created = threads[ticket]
                yield {
                    "ticket_id": ticket, "body": " ".join(body).capitalize() + ".",
                    "author_contact_id": None if staff else contact,
                    "author_user_id": agents[(ticket + position) % AGENTS].pk if staff else None,
                    "is_internal": staff and rng.random() < 0.2, "channel": "web",
                    "created_at": created + timedelta(minutes=5 * position), "version": 1,
                }
                index += 1

    with transaction.atomic():
        columns, rows = _model_rows(Message, message_rows())
        loader.load(Message._meta.db_table, columns, rows)
    timings["messages"] = time.perf_counter() - began
    gather_statistics(timings)
    return timings


def gather_statistics(timings: dict[str, float]) -> None:
    """On PostgreSQL, VACUUM ANALYZE what was seeded, as autovacuum would have over years, and
    add its seconds to ``timings``; SQLite keeps no statistics unless told, and Extdesk never
    tells it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum analyze"] = time.perf_counter() - began


def _thread_sizes(tickets: int, messages: int, rng: random.Random) -> list[int]:
    """1 to 9 messages a ticket, adding up to ``messages`` exactly."""
    sizes = [1] * tickets
    left = messages - tickets
    while left > 0:
        n = rng.randrange(tickets)
        if sizes[n] < 9:
            sizes[n] += 1
            left -= 1
    return sizes


def measure_page(path: str, client, runs: int, *, warmups: int = 2) -> dict[str, float]:
    """``runs`` requests of ``path`` after ``warmups``: median and fastest wall time, median CPU time
    of this process (ms), and the queries of one more request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmups):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    wall, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        status = client.get(path).status_code
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        assert status == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return {"median_ms": round(statistics.median(wall) * 1000, 1), "min_ms": round(min(wall) * 1000, 1),
            "cpu_ms": round(statistics.median(cpu) * 1000, 1), "queries": len(queries)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queue_scale",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL database to use (its schema is reset)")
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="requests per page (median)")
    parser.add_argument("--data-dir", default="", help="data directory to use and keep (default: a new "
                                                       "temporary one)")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure what an earlier run seeded (same --data-dir or --database-url)")
    args = parser.parse_args(argv)
    if args.messages < args.tickets or args.tickets < ACTIVE + WAITING + RESOLVED:
        parser.error(f"needs at least {ACTIVE + WAITING + RESOLVED:,} tickets and a message for each")
    if args.measure_only and not (args.data_dir or args.database_url):
        parser.error("--measure-only needs the --data-dir or --database-url of the seeded run")
    if args.database_url:
        if not args.measure_only:
            reset_postgres(args.database_url)
        os.environ["EXTDESK_DATABASE_URL"] = args.database_url
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="queue-scale-")
    os.makedirs(data_dir, exist_ok=True)
    os.environ.update(
        EXTDESK_DATA_DIR=data_dir,
        EXTDESK_SECRET="benchmark-secret-0123456789",
        DJANGO_SETTINGS_MODULE="extdesk.conf.settings",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    timings = {} if args.measure_only else seed(args.tickets, args.messages, random.Random(13))
    seeded = time.perf_counter() - began
    desk = Client(HTTP_HOST="127.0.0.1")
    desk.force_login(get_user_model().objects.get(username="agent0"))
    words, _weights = _words(random.Random(13))
    pages = {
        "needs attention (/desk/)": "/desk/",
        f"search, rare word ({RARE_COUNT} messages)": f"/desk/?status=all&q={RARE_WORD}",
        "search, the most common word": f"/desk/?status=all&q={words[0]}",
        "reports, last 90 days": "/desk/reports/?period=90",
    }
    result = {name: measure_page(path, desk, args.runs) for name, path in pages.items()}
    print(json.dumps({"database": "postgresql" if args.database_url else "sqlite", "tickets": args.tickets,
                      "messages": args.messages, "seeding_s": None if args.measure_only else round(seeded, 1),
                      "seeding_parts_s": {k: round(v, 1) for k, v in timings.items()}, **result}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
