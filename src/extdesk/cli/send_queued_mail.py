"""``extdesk send-queued-mail [--loop SECONDS]``: send the mail that could not be sent at once.

Run it from cron (every few minutes) or keep it running with ``--loop``.
Several may run at the same time, on one or several hosts: each message is
taken by one sender only.
"""

from __future__ import annotations

import argparse
import sys
import time

from extdesk.soap.quoting import first_line

from .errors import StartupError, fail
from .setup import check_database, start_django


def _seconds(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number of seconds") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1 second")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "send-queued-mail", help="send queued mail that is due (retries with a growing delay)"
    )
    parser.add_argument(
        "--loop", type=_seconds, metavar="SECONDS",
        help="keep running, looking for due mail every SECONDS seconds (default: one pass, then exit)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        start_django(announce_secret=False)
        check_database()
    except StartupError as exc:
        return fail(str(exc))
    from django.db import close_old_connections
    from django.db.utils import Error as DatabaseError

    from extdesk.outbox.services import send_due

    while True:
        try:
            report = send_due()
        except DatabaseError as exc:
            if args.loop is None:
                return fail(f"database error: {first_line(exc)} (a new database is set up by "
                            "`extdesk serve` or `extdesk manage migrate`)", 1)
            # A looping sender outlives a database outage: it tries again next round.
            print(f"extdesk: database error, trying again in {args.loop} s: {first_line(exc)}",
                  file=sys.stderr, flush=True)
        else:
            if args.loop is None or report.sent or report.retrying or report.given_up:
                print(f"extdesk: queued mail: {report}", flush=True)
        if args.loop is None:
            return 0
        close_old_connections()
        time.sleep(args.loop)


