"""``extdesk receive-mail``: store one message read on standard input, for an MTA's pipe.

The exit status is what MTAs read (sysexits.h): 0 when the message is
stored, or deliberately dropped (a duplicate, a loop, a delivery report
recorded); 75 (EX_TEMPFAIL) when it could not be stored now, so the MTA
keeps it and tries again; 65 (EX_DATAERR) only for input that is not a mail
at all. Whatever goes wrong, one line on standard error says what, and the
message is either stored or left with the MTA: never a traceback, never a
lost message.
"""

from __future__ import annotations

import argparse
import sys

from extdesk.soap.quoting import first_line

from .errors import StartupError
from .setup import check_database, start_django

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "receive-mail",
        help="store one e-mail read on standard input (an MTA's pipe transport or alias)",
        description="Store one RFC 5322 message read on standard input as a new ticket or a reply. "
                    "Exit status: 0 stored (or a duplicate, loop or bounce deliberately dropped), "
                    "75 try again later, 65 not a mail.",
    )
    parser.add_argument("--source", default="pipe",
                        help="what the mail came by, for the record (default: pipe)")
    parser.set_defaults(handler=run)


def _say(message: str) -> None:
    print(f"extdesk receive-mail: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args.source)
    # Whatever failed here, the MTA must keep the message: a temporary failure.
    except Exception as exc:
        _say(f"could not store the message now ({type(exc).__name__}: {first_line(exc, 'no detail')[:300]}); "
             "it stays with the mail server, which will try again")
        return EX_TEMPFAIL


def _run(source: str) -> int:
    try:
        config = start_django(announce_secret=False)
    except StartupError as exc:
        _say(f"{exc}; the mail server keeps the message and tries again")
        return EX_TEMPFAIL
    limit = config.mail_in.max_bytes
    raw = sys.stdin.buffer.read(limit + 1)
    if len(raw) > limit:
        _say(f"the message is larger than EXTDESK_MAIL_MAX_BYTES={limit} bytes; not taken")
        return EX_DATAERR
    try:
        check_database()
    except StartupError as exc:
        _say(f"{exc}; the mail server keeps the message and tries again")
        return EX_TEMPFAIL

    from extdesk.mail.exceptions import CannotStoreNow, NotAMail
    from extdesk.mail.services import receive

    try:
        receipt = receive(raw, source=source)
    except NotAMail as exc:
        _say(f"not a mail: {exc}")
        return EX_DATAERR
    except CannotStoreNow as exc:
        _say(f"{exc}; the mail server keeps the message and tries again")
        return EX_TEMPFAIL
    print(f"extdesk receive-mail: {receipt}", flush=True)
    return EX_OK


