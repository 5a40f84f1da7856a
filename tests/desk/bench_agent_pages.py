"""Time the queue and the ticket page as an agent sees them: ``python -m tests.desk.bench_agent_pages``.

Seeds 100,000 tickets as ``benchmarks.pages`` does (its seeding), adds one
ticket with a thread of 60 messages and 20 property changes, then requests
each page 30 times through Django's full request handling, signed in, and
prints one JSON object: per page the median and the fastest wall time, the
median CPU time of this process (on SQLite that includes the queries; on
PostgreSQL the server's share is not in it) and the queries of one request.
On a machine shared with other work the CPU time and the fastest run are
the figures to compare; the median wall time moves with the neighbours.

Runs on SQLite in a throwaway data directory, or on the PostgreSQL database
``--database-url`` names (its ``public`` schema is dropped and re-created:
give it a database of its own). Whatever ``extdesk`` is importable is
measured, so an older checkout is timed with ``PYTHONPATH=<its src>``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

from benchmarks.queue_scale import measure_page, reset_postgres

TOTAL = 100_000
IN_ACCOUNT = 1_000
RUNS = 30


def _thread(customer_user, staff) -> int:
    """One ticket of the customer's with 60 messages (a third of them notes) and 20 property changes."""
    from extdesk.helpdesk import services
    from extdesk.helpdesk.models import Priority

    contact = customer_user.contact
    ticket = services.create_ticket(contact=contact, subject="Backups fail every night",
                                    body="Since Monday the nightly backup stops at 40 %.",
                                    account=contact.accounts.first())
    for i in range(20):
        services.reply(ticket, author=staff, body=f"Checked step {i}; please try again.")
        services.reply(ticket, author=staff, body=f"Step {i}: nothing in the logs.", internal=True)
        services.reply(ticket, author=contact, body=f"Still failing after step {i}.")
        services.update_properties(ticket, actor=staff, priority=Priority.HIGH if i % 2 else Priority.LOW)
    return ticket.pk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.desk.bench_agent_pages",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL database to use (its schema is reset)")
    args = parser.parse_args(argv)
    if args.database_url:
        reset_postgres(args.database_url)
        os.environ["EXTDESK_DATABASE_URL"] = args.database_url
    os.environ.update(
        EXTDESK_DATA_DIR=tempfile.mkdtemp(prefix="agent-bench-"),
        EXTDESK_SECRET="benchmark-secret-0123456789",
        DJANGO_SETTINGS_MODULE="extdesk.conf.settings",
    )
    import django

    django.setup()
    from benchmarks.pages import _refresh_statistics, _seed
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    customer_user, staff = _seed(IN_ACCOUNT, TOTAL)
    number = _thread(customer_user, staff)
    _refresh_statistics()
    desk = Client(HTTP_HOST="127.0.0.1")
    desk.force_login(staff)
    pages = {
        "queue (/desk/)": "/desk/",
        "queue, all by priority": "/desk/?status=all&sort=priority",
        "ticket page (60 messages)": f"/desk/tickets/{number}/",
    }
    # Three warm-ups: caches, and the agent's presence row on a ticket page.
    result = {name: measure_page(path, desk, RUNS, warmups=3) for name, path in pages.items()}
    print(json.dumps({"database": "postgresql" if args.database_url else "sqlite", "tickets": TOTAL + 1,
                      **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
