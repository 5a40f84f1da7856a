"""Time the reports page with many tickets: ``python -m tests.reports.bench_reports``.

Fills a throwaway database (SQLite in a temporary data directory, or the
PostgreSQL database of ``--database-url``, dropped and re-created) with
tickets made by bulk_create, their SLA fields filled as the SLA services
keep them, opened over the last ``--spread-days`` days, then renders the
reports page through Django's full request handling as a signed-in staff
member: queries, the median time per page and how much of it SQL took.
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
    "7 days": {"period": "7"},
    "30 days": {"period": "30"},
    "90 days": {"period": "90"},
    "90 days, urgent": {"period": "90", "priority": "4"},
    "90 days, CSV": {"period": "90", "csv": "days"},
}


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.strip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _fill(count: int, spread_days: int, rng: random.Random, *, in_order: bool) -> float:
    """``count`` tickets opened over the last ``spread_days`` days; the seconds it took."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from extdesk.contacts.models import Contact
    from extdesk.helpdesk.models import Category, Priority, Status, Ticket

    began = time.perf_counter()
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(platform_id=i, email=f"person{i}@example.com", first_name=f"P{i}", last_name="Customer",
                created_at=now, updated_at=now) for i in range(1, 2001))
    Category.objects.bulk_create(Category(name=f"Category {i}", position=i) for i in range(1, 11))
    for i in range(8):
        get_user_model().objects.create_user(f"agent{i}", is_staff=True)
    contacts = list(Contact.objects.values_list("pk", flat=True))
    categories = [None, *Category.objects.values_list("pk", flat=True)]
    staff = [None, *get_user_model().objects.values_list("pk", flat=True)]
    statuses = [Status.NEW, Status.OPEN, Status.WAITING] + [Status.RESOLVED] * 2 + [Status.CLOSED] * 5
    # Oldest first, as a live helpdesk numbers its tickets: the rows of a period lie together.
    # Otherwise (an import, some benchmarks) they lie all over the table.
    ages = [rng.randrange(0, spread_days * 86400) for _ in range(count)]
    if in_order:
        ages.sort(reverse=True)
    batch = []
    for i, age in enumerate(ages):
        created = now - timedelta(seconds=age)
        status = rng.choice(statuses)
        responded = (created + timedelta(seconds=rng.randrange(60, 3 * 86400))
                     if status != Status.NEW else None)
        resolved = (responded + timedelta(seconds=rng.randrange(60, 5 * 86400))
                    if responded and status in (Status.RESOLVED, Status.CLOSED) else None)
        closed = None
        if resolved and status == Status.CLOSED:
            closed = min(resolved + timedelta(days=rng.randrange(0, 8)), now)
        batch.append(Ticket(
            subject=f"Problem {i}", status=status, priority=rng.choice(Priority.values),
            category_id=rng.choice(categories), contact_id=rng.choice(contacts),
            assignee_id=rng.choice(staff), created_at=created, updated_at=created,
            last_activity_at=closed or resolved or responded or created,
            first_responded_at=responded, resolved_at=resolved, closed_at=closed,
            first_response_breached=rng.random() < 0.15, resolution_breached=rng.random() < 0.2,
        ))
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        # The steady state of a live database, where autovacuum (or ANALYZE) has run.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - began


def _measure(repeat: int) -> list[tuple[str, int, float, float, float]]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username="agent0"))
    rows = []
    for name, scenario in SCENARIOS.items():
        params = dict(scenario)
        dataset = params.pop("csv", None)
        url = f"/desk/reports/{dataset}.csv" if dataset else "/desk/reports/"
        client.get(url, params)  # warm the caches once
        timings, sql = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - began) * 1000)
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        rows.append((name, len(queries), statistics.median(timings), min(timings), statistics.median(sql)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reports.bench_reports",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL (dropped and re-created); "
                                                            "default: SQLite in a temporary directory")
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--spread-days", type=int, default=365, help="the tickets are opened over these days")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page")
    parser.add_argument("--shuffled", action="store_true",
                        help="number the tickets in random order of opening instead of oldest first")
    args = parser.parse_args(argv)

    data_dir = tempfile.mkdtemp(prefix="reports-bench-")
    os.environ.update(EXTDESK_DATA_DIR=data_dir, EXTDESK_SECRET="benchmark-secret-0123456789",
                      EXTDESK_ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="extdesk.conf.settings")
    if args.database_url:
        _recreate(args.database_url)
        os.environ["EXTDESK_DATABASE_URL"] = args.database_url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    seconds = _fill(args.tickets, args.spread_days, random.Random(7), in_order=not args.shuffled)
    print(f"{connection.vendor}: {args.tickets:,} tickets over {args.spread_days} days"
          f"{', numbered in random order' if args.shuffled else ''}, seeded in {seconds:.1f} s")
    print(f"{'page':<18} {'queries':>7}  {'median ms':>9}  {'fastest':>7}  {'of it SQL':>9}")
    for name, queries, median, fastest, sql in _measure(args.repeat):
        print(f"{name:<18} {queries:>7}  {median:>9.1f}  {fastest:>7.1f}  {sql:>9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
