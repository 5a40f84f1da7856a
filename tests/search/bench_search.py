"""Time full-text search with many messages: ``python -m tests.search.bench_search``.

Fills a throwaway database (SQLite in a temporary data directory, or PostgreSQL with
``--database-url``, dropped and re-created) with ``--messages`` messages (default 100,000) on a
fifth as many tickets, through the triggers (bulk inserts), then indexes everything again with
rebuild_index(); then times the desk queue's search as its page asks for it (the status counts,
then the ranked page with its snippets and rows) for a rare word, a common word, two words and
a CJK word, and a customer's search: the median of several runs each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from urllib.parse import urlsplit, urlunsplit

# Words in a Zipf-like distribution: the first are in a large share of the messages.
VOCABULARY = [f"w{n:04d}" for n in range(5000)]
RARE, COMMON = "quetzal", "w0000"
WORDS_PER_MESSAGE = 30
MESSAGES_PER_TICKET = 5


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.strip("/")}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parts.path.strip("/")}"')


def _body(rng: random.Random, weights: list[float]) -> str:
    return " ".join(rng.choices(VOCABULARY, weights=weights, k=WORDS_PER_MESSAGE))


def _fill(messages: int, rng: random.Random) -> tuple[float, int]:
    """Tickets and messages in bulk (the triggers index them); seconds taken, and the contact searched."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from extdesk.contacts.models import Account, Contact
    from extdesk.helpdesk.models import Message, Status, Ticket

    weights = [1 / (n + 1) for n in range(len(VOCABULARY))]
    now = timezone.now()
    Account.objects.bulk_create(Account(name=f"account-{i:05d}") for i in range(2000))
    Contact.objects.bulk_create(
        Contact(platform_id=i, email=f"person{i}@example.com", first_name=f"P{i}", last_name="Customer",
                created_at=now, updated_at=now) for i in range(1, 5001))
    contacts = list(Contact.objects.values_list("pk", flat=True))
    agent = get_user_model().objects.create_user("bench-agent", is_staff=True)
    statuses = [Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED]
    started = time.perf_counter()
    tickets = messages // MESSAGES_PER_TICKET
    batch = 2000
    for first in range(0, tickets, batch):
        with transaction.atomic():
            made = Ticket.objects.bulk_create(
                Ticket(subject=" ".join(rng.choices(VOCABULARY, weights=weights, k=5)),
                       status=rng.choice(statuses), contact_id=rng.choice(contacts), created_at=now,
                       updated_at=now, last_activity_at=now)
                for _ in range(first, min(first + batch, tickets)))
            Message.objects.bulk_create(
                Message(ticket=ticket, body=_body(rng, weights), created_at=now, is_internal=(n == 4),
                        **({"author_user": agent} if n % 2 else {"author_contact_id": ticket.contact_id}))
                for ticket in made for n in range(MESSAGES_PER_TICKET))
    # The rare word in ten messages; CJK text in a hundred.
    for pk in rng.sample(range(1, messages), 10):
        Message.objects.filter(pk=pk).update(body=f"{RARE} is here")
    for pk in rng.sample(range(1, messages), 100):
        Message.objects.filter(pk=pk).update(body="東京のサーバーが応答しません")
    return time.perf_counter() - started, contacts[0]


def _median_ms(action, runs: int) -> float:
    action()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL database to drop and fill")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--measure-only", metavar="DATA_DIR", default="",
                        help="time the database a former run filled (its data directory, for SQLite)")
    args = parser.parse_args()
    os.environ["EXTDESK_DATA_DIR"] = args.measure_only or tempfile.mkdtemp(prefix="extdesk-search-bench-")
    os.environ.setdefault("EXTDESK_SECRET", "bench-secret-0123456789")
    if args.database_url:
        if not args.measure_only:
            _recreate(args.database_url)
        os.environ["EXTDESK_DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "extdesk.conf.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from extdesk.contacts.models import Contact
    from extdesk.desk import selectors as desk_selectors
    from extdesk.helpdesk import selectors
    from extdesk.search.services import rebuild_index

    if args.measure_only:
        contact_id = Contact.objects.order_by("pk").values_list("pk", flat=True)[0]
    else:
        call_command("migrate", verbosity=0)
        seconds, contact_id = _fill(args.messages, random.Random(13))
        print(f"{connection.vendor}: {args.messages:,} messages on {args.messages // MESSAGES_PER_TICKET:,} "
              f"tickets seeded through the triggers in {seconds:.1f} s")
        started = time.perf_counter()
        rebuild_index()
        print(f"rebuild_index(): {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    viewer = 1
    contact = Contact.objects.get(pk=contact_id)

    def desk_page(text: str, tab: str, sort: str = selectors.RELEVANCE_SORT) -> None:
        found = desk_selectors.queue(desk_selectors.QueueQuery(search=text, status_tab=tab, sort=sort),
                                     viewer_id=viewer)
        list(found.page.object_list)

    for label, text in [("rare word", RARE), ("common word", COMMON), ("two words", "w0001 w0002"),
                        ("CJK word", "サーバー")]:
        for tab in ("all", "active"):
            median = _median_ms(lambda t=text, b=tab: desk_page(t, b), args.runs)
            print(f"desk, {label:11} ({tab:6}): {median:7.1f} ms")
    for label, text in [("rare word", RARE), ("common word", COMMON)]:
        median = _median_ms(lambda t=text: desk_page(t, "all", "priority"), args.runs)
        print(f"desk, {label:11} (all, by priority): {median:7.1f} ms")
    for label, text in [("rare word", RARE), ("common word", COMMON)]:
        median = _median_ms(lambda t=text: list(selectors.contact_tickets(contact, state="all", search=t)
                                               .object_list), args.runs)
        print(f"customer, {label:11}: {median:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
