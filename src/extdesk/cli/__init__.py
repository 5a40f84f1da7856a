"""The ``extdesk`` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence

from extdesk import IDENTIFICATION
from extdesk.private_files import private_umask

# Each subcommand module exposes add_parser(subparsers) -> None and sets
# its handler with ``parser.set_defaults(handler=...)``.
from . import (
    backup,
    client,
    compile_translations,
    createstaff,
    fetch_mail,
    manage,
    receive_mail,
    send_queued_mail,
    serve,
    worker,
)

_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    serve.add_parser,
    manage.add_parser,
    createstaff.add_parser,
    client.add_parser,
    backup.add_parser,
    send_queued_mail.add_parser,
    receive_mail.add_parser,
    fetch_mail.add_parser,
    worker.add_parser,
    compile_translations.add_parser,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extdesk",
        description="Extdesk, the external helpdesk of a hosting-automation platform.",
    )
    parser.add_argument("--version", action="version", version=IDENTIFICATION)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in _COMMANDS:
        add(subparsers)
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand's --help a description line: its one-line help, when it has no longer one."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, subparser in action.choices.items():
            if not subparser.description and helps.get(name):
                text = str(helps[name])
                subparser.description = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
            _describe(subparser)


def restore_ctrl_c() -> None:
    """Make Ctrl-C (SIGINT) raise KeyboardInterrupt whatever the parent left it as.

    A shell's background job (``cmd &``) and ``nohup`` start a program with
    SIGINT ignored, and Python keeps an inherited "ignore": a command started
    that way could then never be interrupted, and its own children inherit
    the same deafness.
    """
    # ValueError: not the main thread (main() called from a thread); leave it as it is.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: Sequence[str] | None = None) -> int:
    restore_ctrl_c()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extdesk.conf.settings")
    parser = build_parser()
    args = parser.parse_args(argv)
    # Every file a command creates (the database and its -wal and -shm, lock
    # files, secrets, backups, a client's state) is the running user's alone.
    with private_umask():
        try:
            return int(args.handler(args) or 0)
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
