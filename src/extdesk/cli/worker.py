"""``extdesk worker [--once] [--every DUTY=SECONDS ...]``: every periodic duty in one process.

Sending queued mail, fetching mail (when EXTDESK_INBOX_URL names mailboxes), escalations,
auto-close and the prunings, each on its own interval (extdesk.worker.schedule). Several workers
may run at once, on one host or several: each duty's turn is claimed in the database. SIGTERM or
SIGINT lets the duty in hand finish, then the worker exits 0 (a second signal ends it at once,
130). A failing duty is logged in one line and tried again after its interval; the others go on.
``--once`` runs every duty once and exits: 0 when all succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import signal

from extdesk.soap.quoting import first_line

from .errors import StartupError, fail
from .fetch_mail import _one_pass as fetch_pass
from .setup import check_database, start_django

EXIT_DUTY_FAILED = 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from extdesk.worker.schedule import DEFAULT_INTERVALS, ENV_NAME

    defaults = ", ".join(f"{name} {seconds}" for name, seconds in DEFAULT_INTERVALS.items())
    parser = subparsers.add_parser(
        "worker", help="run every periodic duty: queued mail, fetching mail, escalations, auto-close, "
                       "prunings",
        description="Run every periodic duty, each on its own interval, until SIGTERM or Ctrl-C (the duty "
                    "in hand is finished first). Safe to run on several hosts at once: each duty's turn is "
                    f"claimed in the database. Default intervals in seconds: {defaults}. Change them with "
                    f"--every or {ENV_NAME}=DUTY=SECONDS,DUTY=SECONDS.",
    )
    parser.add_argument("--once", action="store_true",
                        help="run every duty once, then exit (0 all done, 1 a duty failed): for cron "
                             "and tests")
    parser.add_argument("--every", action="append", default=[], metavar="DUTY=SECONDS",
                        help="run DUTY every SECONDS seconds (repeatable; overrides the environment)")
    # Given by `extdesk serve` to its worker: the worker stops when that process is gone.
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from extdesk.worker.schedule import ScheduleError, intervals

    try:
        chosen = intervals(os.environ, args.every)
    except ScheduleError as exc:
        return fail(str(exc))
    try:
        config = start_django(announce_secret=False)
        check_database()
    except StartupError as exc:
        return fail(str(exc))

    from django.db.utils import Error as DatabaseError

    from extdesk.worker.duties import all_duties
    from extdesk.worker.runner import StopRequest, Worker

    stop = StopRequest()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    duties = all_duties(config, chosen, fetch_pass=fetch_pass)
    worker = Worker(duties, chosen, stop=stop, parent_pid=args.parent_pid)
    try:
        worker.prepare()
    except DatabaseError as exc:
        return fail(f"the database is not set up for the worker ({first_line(exc)}): run `extdesk serve` or "
                    "`extdesk manage migrate` first")
    if args.once:
        return 0 if worker.run_once() else EXIT_DUTY_FAILED
    names = ", ".join(f"{duty.name} every {chosen[duty.name]} s" for duty in worker.duties)
    print(f"extdesk worker: running as {worker.holder}: {names}", flush=True)
    worker.run_forever()
    print("extdesk worker: stopped", flush=True)
    return 0
