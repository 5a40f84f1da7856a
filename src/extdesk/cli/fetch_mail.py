"""``extdesk fetch-mail [--loop SECONDS]``: collect mail from the IMAP mailboxes of EXTDESK_INBOX_URL.

Run it from cron, or keep it running with ``--loop``. One pass goes over
every mailbox in turn (extdesk.mail.imap.fetch), storing each message with
extdesk.mail.services.receive. Exit status of one pass: 0 when every
mailbox was read and every message stored; 75 (EX_TEMPFAIL) when a mailbox
or the database could not be reached, so the messages wait for the next
pass; 1 when something needs a person (login refused, no such folder, a
certificate not trusted, a message that failed to store for a reason of
its own); 2 for a bad setting. With ``--loop`` a failure is printed and
the next pass tries again. SIGTERM or SIGINT lets the message in hand
finish, then the command exits 0 (a second one ends it at once, 130).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from types import FrameType

from extdesk.config import Inbox

from .errors import StartupError, fail
from .send_queued_mail import _seconds
from .setup import check_database, start_django

EX_TEMPFAIL = 75
EXIT_NEEDS_A_PERSON = 1


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fetch-mail", help="collect mail from the IMAP mailboxes of EXTDESK_INBOX_URL",
        description="Store every waiting message of the IMAP mailboxes in EXTDESK_INBOX_URL as a "
                    "ticket or reply, then mark it read (or move it to ?processed=Folder). Exit status "
                    "of one pass: 0 done, 75 try again later, 1 needs a person, 2 bad setting.",
    )
    parser.add_argument(
        "--loop", type=_seconds, metavar="SECONDS",
        help="keep running, a pass every SECONDS seconds (default: one pass, then exit)",
    )
    parser.set_defaults(handler=run)


class _StopRequest:
    """Set by SIGTERM or SIGINT; read between messages, so that the one in hand is finished.

    A second signal ends the command at once (a server that stopped
    answering could hold the message in hand for the whole read timeout):
    the transaction in progress, if any, is rolled back and the message
    stays unread, to be stored by the next run.
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


def run(args: argparse.Namespace) -> int:
    try:
        config = start_django(announce_secret=False)
    except StartupError as exc:
        return fail(str(exc))
    inboxes = config.mail_in.inboxes
    if not inboxes:
        return fail("no mailbox to fetch from: set EXTDESK_INBOX_URL=imaps://user:password@host:993/INBOX "
                    "(several comma-separated)")
    stop = _StopRequest()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    from django.db import close_old_connections

    while True:
        status = _one_pass(inboxes, config.mail_in.max_bytes, lambda: stop.requested, args.loop)
        if args.loop is None:
            return status
        close_old_connections()
        # In short sleeps, so that a stop request ends the wait at once.
        deadline = time.monotonic() + args.loop
        while not stop.requested and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        if stop.requested:
            return 0


def _one_pass(inboxes: tuple[Inbox, ...], max_bytes: int, stopping: Callable[[], bool],
              loop: int | None) -> int:
    """Every mailbox once; the exit status of the pass."""
    again = f", trying again in {loop} s" if loop else ""
    try:
        check_database()
    except StartupError as exc:
        _error(f"{exc}{again}")
        return EX_TEMPFAIL

    from extdesk.mail.imap import MailboxUnavailable, fetch
    from extdesk.mail.services import receive

    statuses = [0]
    for inbox in inboxes:
        if stopping():
            break
        try:
            report = fetch(inbox, partial(receive, source=inbox.label), max_bytes=max_bytes,
                           stopping=stopping)
        except MailboxUnavailable as exc:
            if exc.report.stored or exc.report.duplicates or exc.report.set_aside:
                print(f"extdesk: fetched {exc.report}", flush=True)
            _error(f"{exc}{again}")
            statuses.append(EX_TEMPFAIL if exc.temporary else EXIT_NEEDS_A_PERSON)
            continue
        if report.stopped:
            _error(f"fetched {report}{again}")
            statuses.append(EX_TEMPFAIL)
        elif loop is None or report.waiting:
            print(f"extdesk: fetched {report}", flush=True)
        if report.failed:
            statuses.append(EXIT_NEEDS_A_PERSON)
    # A person is needed before a retry can help.
    return EXIT_NEEDS_A_PERSON if EXIT_NEEDS_A_PERSON in statuses else max(statuses)


def _error(message: str) -> None:
    print(f"extdesk: {message}", file=sys.stderr, flush=True)
