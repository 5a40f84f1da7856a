"""Time the staff queue with many tickets: ``python -m tests.desk.bench_queue``.

Fills a throwaway PostgreSQL database (``--database-url``, default
``postgres://postgres@127.0.0.1:5432/extdesk_queue_bench``, dropped and
re-created) with 10,000 tickets, then with 100,000, and renders typical
queue pages through Django's full request handling as a signed-in staff
member: the query count and the median time per page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

SCENARIOS = {
    "needs attention (default)": {},
    "needs attention, page 20": {"page": "20"},
    "active": {"status": "active"},
    "all, by priority": {"status": "all", "sort": "priority"},
    "all, page 150": {"status": "all", "page": "150"},
    "search subject": {"status": "all", "q": "backup"},
    "search #number": {"status": "all", "q": "#4242"},
    "unassigned": {"assignee": "none"},
    "account": {"status": "all", "account": "account-00042"},
    "category + priority": {"status": "all", "category": "3", "priority": "4"},
}
WORDS = ["mail", "dns", "backup", "invoice", "ssl", "database", "upgrade", "domain", "php", "quota"]


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _fill(up_to: int, rng: random.Random) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from extdesk.contacts.models import Account, Contact
    from extdesk.helpdesk.models import Category, Priority, Speaker, Status, Ticket

    if not Account.objects.exists():
        Account.objects.bulk_create(Account(name=f"account-{i:05d}") for i in range(2000))
        now = timezone.now()
        Contact.objects.bulk_create(
            Contact(platform_id=i, email=f"person{i}@example.com", first_name=f"P{i}", last_name="Customer",
                    created_at=now, updated_at=now)
            for i in range(1, 5001)
        )
        Category.objects.bulk_create(Category(name=f"Category {i}", position=i) for i in range(1, 11))
        for i in range(8):
            get_user_model().objects.create_user(f"agent{i}", is_staff=True)
    accounts = list(Account.objects.values_list("pk", flat=True))
    contacts = list(Contact.objects.values_list("pk", flat=True))
    categories = [None, *Category.objects.values_list("pk", flat=True)]
    staff = [None, None, *get_user_model().objects.filter(is_staff=True).values_list("pk", flat=True)]
    statuses = [Status.NEW, Status.OPEN, Status.WAITING] + [Status.RESOLVED] * 3 + [Status.CLOSED] * 6
    start = Ticket.objects.count()
    now = timezone.now()
    batch = []
    for i in range(start, up_to):
        moment = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
        status = rng.choice(statuses)
        # The SLA fields the services keep: a due time while waiting on staff, some overdue.
        due = (now + timedelta(minutes=rng.randrange(-3000, 10000))
               if status in (Status.NEW, Status.OPEN) and rng.random() < 0.9 else None)
        batch.append(Ticket(
            subject=f"{rng.choice(WORDS)} {rng.choice(WORDS)} problem {i}",
            status=status, priority=rng.choice(Priority.values), next_due_at=due,
            first_response_breached=due is not None and due < now, last_speaker=rng.choice(Speaker.values),
            last_message_excerpt=f"The first line of the latest message on ticket {i}",
            category_id=rng.choice(categories), account_id=rng.choice(accounts),
            contact_id=rng.choice(contacts), assignee_id=rng.choice(staff),
            created_at=moment, updated_at=moment, last_activity_at=moment,
        ))
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        # The steady state of a live database, where autovacuum has run.
        cursor.execute("VACUUM ANALYZE")


def _measure(repeat: int) -> list[tuple[str, int, float, float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from extdesk.desk.models import StaffMember

    client = Client()
    client.force_login(StaffMember.objects.get(username="agent0"))
    rows = []
    for name, params in SCENARIOS.items():
        client.get("/desk/", params)  # warm the caches once
        timings, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get("/desk/", params)
                timings.append((time.perf_counter() - began) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        rows.append((name, len(queries), statistics.median(timings), statistics.median(sql)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.desk.bench_queue",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/extdesk_queue_bench")
    parser.add_argument("--sizes", default="10000,100000", help="ticket counts, ascending")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page and size")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    _recreate(args.database_url)
    os.environ.update(
        EXTDESK_DATABASE_URL=args.database_url, EXTDESK_DATA_DIR=tempfile.mkdtemp(prefix="queue-bench-"),
        EXTDESK_SECRET="benchmark-secret-0123456789", EXTDESK_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="extdesk.conf.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    print(f"{'tickets':>8}  {'page':<26} {'queries':>7}  {'median ms':>9}  {'of it SQL':>9}")
    for size in sizes:
        _fill(size, rng)
        for name, queries, median, sql in _measure(args.repeat):
            print(f"{size:>8}  {name:<26} {queries:>7}  {median:>9.1f}  {sql:>9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
