"""Helpdesk page figures: the customer's ticket list and the staff queue,
through the real views and middleware (Django's test client, logged in),
with the number of queries per page.

Runs as ``python -m benchmarks.pages TICKETS_IN_ACCOUNT TICKETS_TOTAL`` in the
environment of the server it measures (same data directory and database),
and prints one JSON object; a process of its own, because Django is set up
once per process and each database run needs its own settings.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable

_RUNS = 15
_BATCH = 5_000


def _seed(in_account: int, total: int) -> tuple[object, object]:
    """A customer whose account holds ``in_account`` tickets among ``total``."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from extdesk.contacts.models import Account, Contact
    from extdesk.helpdesk.models import Category, Priority, Status, Ticket
    from extdesk.sso.services import user_for_contact

    now = timezone.now()
    account = Account.objects.create(name="bench-bigcorp")
    others = [Account.objects.create(name=f"bench-other-{n}") for n in range(50)]
    base = 900_000_000
    people = [
        Contact.objects.create(platform_id=base + n, email=f"bench{n}@example.com", first_name="Bench",
                               last_name=f"Person {n}", created_at=now, updated_at=now)
        for n in range(53)
    ]
    customer = people[0]
    for person in people[:3]:
        person.accounts.add(account)
    for person, other in zip(people[3:], others, strict=True):
        person.accounts.add(other)
    user_for_contact(customer)
    staff = get_user_model().objects.create_user(username="bench-agent", email="agent@example.com",
                                                 password="bench horse battery staple", is_staff=True)
    categories = [Category.objects.create(name=f"Bench {n}") for n in range(5)]
    statuses, priorities = list(Status.values), list(Priority.values)
    rows = []
    for i in range(total):
        mine = i < in_account
        contact = people[i % 3] if mine else people[3 + i % 50]
        moment = now - timezone.timedelta(seconds=i)
        rows.append(Ticket(
            subject=f"Ticket {i} about server {i % 97}", contact=contact,
            account=account if mine else others[i % 50], status=statuses[i % len(statuses)],
            priority=priorities[i % len(priorities)], category=categories[i % 5],
            assignee=staff if i % 3 else None, created_at=moment, updated_at=moment,
            last_activity_at=moment,
        ))
        if len(rows) >= _BATCH:
            Ticket.objects.bulk_create(rows)
            rows.clear()
    Ticket.objects.bulk_create(rows)
    return customer.user, staff


def _measure(get: Callable[[], int]) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if get() != 200:
        raise RuntimeError("the page did not answer 200")
    timings, queries = [], 0
    for _ in range(_RUNS):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            status = get()
            timings.append(time.perf_counter() - began)
        if status != 200:
            raise RuntimeError(f"the page answered {status}")
        queries = len(captured.captured_queries)
    return {"median_ms": statistics.median(timings) * 1000, "queries": queries}


def _refresh_statistics() -> None:
    """On PostgreSQL, what autovacuum does shortly after a bulk load.

    Measured before it ran (no statistics, no visibility map), the figures
    would describe the first minute after loading 100,000 tickets at once,
    not a running helpdesk. SQLite keeps no statistics unless asked (and
    Extdesk never asks), so there the pages are measured as they run.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def main(argv: list[str]) -> int:
    in_account, total = int(argv[0]), int(argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extdesk.conf.settings")
    import django

    django.setup()
    from django.test import Client

    customer_user, staff = _seed(in_account, total)
    _refresh_statistics()
    host = {"HTTP_HOST": "127.0.0.1"}
    customer = Client(**host)
    customer.force_login(customer_user)
    desk = Client(**host)
    desk.force_login(staff)
    result = {
        "customer ticket list": {**_measure(lambda: customer.get("/tickets/?state=all").status_code),
                                 "rows": in_account},
        "staff queue": {**_measure(lambda: desk.get("/desk/").status_code), "rows": total},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
