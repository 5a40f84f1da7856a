"""``extdesk createstaff USERNAME``: a staff member who signs in to the desk."""

from __future__ import annotations

import argparse
import getpass
import sys

from .errors import StartupError, fail
from .setup import check_database, start_django


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "createstaff",
        help="create a staff user for the staff desk (/desk/)",
        description="Create a staff user who signs in to the staff desk at /desk/ with a password. "
        "The password is asked for twice, or read from the first line of standard input "
        "with --password-stdin.",
    )
    parser.add_argument("username", metavar="USERNAME", help="the name to sign in with")
    parser.add_argument("--email", default="", help="the staff member's e-mail address")
    parser.add_argument("--name", default="", metavar="NAME",
                        help='the name customers see in the portal and in mail ("Alice Smith"); '
                             "changed later in the desk's profile page. Without one customers see "
                             "the full name set in the admin, else \"Support team\", never USERNAME")
    parser.add_argument("--superuser", action="store_true",
                        help="also allow everything in the admin (/admin/)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    parser.set_defaults(handler=run)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password on; use --password-stdin")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        raise ValueError("the two passwords differ; nothing was created")
    return password


def run(args: argparse.Namespace) -> int:
    try:
        password = _read_password(args.password_stdin)
    except ValueError as exc:
        return fail(f"createstaff: {exc}")
    except EOFError:
        return fail("createstaff: no password given; nothing was created")
    try:
        start_django()
        check_database()
    except StartupError as exc:
        return fail(str(exc))

    from django.core.exceptions import ValidationError

    from extdesk.desk.services import create_staff_user
    from extdesk.endpoint.schema import ensure_schema

    ensure_schema()
    try:
        user = create_staff_user(args.username, password, email=args.email, superuser=args.superuser,
                                 display_name=args.name)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                print(f"extdesk: createstaff: {field}: {message}", file=sys.stderr)
        return fail("createstaff: nothing was created")
    kind = "superuser" if args.superuser else "staff user"
    shown = " ".join(args.name.split())  # as stored (desk.services.clean_display_name)
    seen_as = f" (customers see {shown!r})" if shown else ""
    print(f"extdesk: created {kind} {user.get_username()!r}{seen_as}; sign in at /desk/login/")
    return 0
