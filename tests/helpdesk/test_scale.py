"""The customer list and the staff queue with 10,000 tickets: query count and median time.

Prints the figures (run with -s to see them); fails if a page needs more
queries than with three tickets, or becomes unusably slow.
"""

from __future__ import annotations

import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from extdesk.helpdesk import selectors
from extdesk.helpdesk.models import Priority, Status, Ticket
from extdesk.helpdesk.selectors import QueueFilters
from tests.helpdesk.factories import make_category, make_contact, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TICKETS = 10_000
RUNS = 15


def _fill(contacts, staff, categories) -> None:
    start = timezone.now()
    statuses = list(Status.values)
    accounts = {contact.pk: contact.accounts.first() for contact in contacts}
    rows = []
    for i in range(TICKETS):
        moment = start - timezone.timedelta(minutes=i)
        contact = contacts[i % len(contacts)]
        rows.append(Ticket(
            subject=f"Ticket {i} about server {i % 97}", contact=contact, account=accounts[contact.pk],
            status=statuses[i % len(statuses)], priority=Priority.values[i % 4],
            category=categories[i % len(categories)], assignee=staff if i % 3 else None,
            created_at=moment, updated_at=moment, last_activity_at=moment,
        ))
    Ticket.objects.bulk_create(rows, batch_size=2000)


def _measure(action) -> tuple[int, float]:
    action()  # warm up
    timings = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            action()
            timings.append(time.perf_counter() - began)
    return len(queries.captured_queries), statistics.median(timings) * 1000


def test_ten_thousand_tickets(client):
    colleagues = [make_contact("bigcorp") for _ in range(3)]
    customer = colleagues[0]
    staff = make_staff()
    _fill(colleagues, staff, [make_category("Billing"), make_category("Hosting")])
    client.force_login(customer.user)
    vendor = connection.vendor

    def customer_page(query: str) -> None:
        assert client.get(f"/tickets/{query}").status_code == 200

    for label, query in (("all", "?state=all"), ("open", ""), ("search", "?state=all&q=server+42"),
                         ("page 200", "?state=all&page=200")):
        count, median = _measure(lambda q=query: customer_page(q))
        print(f"\n[{vendor}] customer list ({label}), {TICKETS} tickets: {count} queries, "
              f"median {median:.1f} ms (whole request, template included)")
        # Session, user, contact, count and page; a search of words ranks its page (with the
        # snippets) before fetching it: one more.
        assert count == (6 if label == "search" else 5)
        assert median < 2000

    def queue() -> None:
        filters = QueueFilters(statuses=(Status.NEW, Status.OPEN))
        selectors.queue_status_counts(filters)
        page = selectors.staff_queue(filters, sort="priority")
        [(t.contact.email, t.account, t.category, t.assignee) for t in page.object_list]

    count, median = _measure(queue)
    print(f"[{vendor}] staff queue selectors (counts + page), {TICKETS} tickets: {count} queries, "
          f"median {median:.1f} ms")
    assert count == 3
    assert median < 2000
