"""``extdesk manage ...``: Django's management commands (migrate, shell, ...)."""

from __future__ import annotations

import argparse

from .errors import StartupError, fail
from .setup import start_django


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "manage", help="run a Django management command (migrate, createsuperuser, ...)"
    )
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        # migrate may set the database up, but only in an existing data directory.
        start_django(need_database_file=False)
    except StartupError as exc:
        return fail(str(exc))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["extdesk manage", *args.arguments])
    return 0
