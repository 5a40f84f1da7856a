"""``extdesk client ...``: the platform's side, from the command line.

Talks to any helpdesk speaking the protocol; never starts Django. Exit codes:
0 success, 1 server fault or authentication failure, 2 usage or input error,
3 transport failure; each failure is one line on stderr.
"""

from __future__ import annotations

import argparse
import functools
import signal
import sys
from collections.abc import Callable
from typing import NoReturn

from extdesk.client import AuthenticationError, HelpdeskClient, HelpdeskError, SoapFault, TransportError
from extdesk.client.errors import SettingsError, SourceError, StateError
from extdesk.client.helpdesk import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE
from extdesk.client.progress import progress_for
from extdesk.client.settings import ClientSettings, load_settings
from extdesk.client.sources import FORMATS, read_persons
from extdesk.client.state import SyncState, locked
from extdesk.client.sync import plan_sync, sync
from extdesk.soap.protocol import SESSION_ACTIONS

EXIT_OK, EXIT_FAULT, EXIT_USAGE, EXIT_TRANSPORT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _batch_size(text: str) -> int:
    value = _positive_int(text)
    if not 1 <= value <= MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_BATCH_SIZE}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


class _RefuseSecret(argparse.Action):
    """``--secret VALUE`` is refused without echoing the value."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        parser.error("--secret is not accepted: a secret on the command line shows in process "
                     "listings; use --secret-file FILE, EXTDESK_SECRET_FILE or EXTDESK_SECRET")


def _connection_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection (flags, else EXTDESK_* variables, else --config)")
    group.add_argument("--config", metavar="FILE", help="TOML file with url, secret_file, ca_bundle, ...")
    group.add_argument("--url", help="the helpdesk's SOAP endpoint (EXTDESK_URL)")
    group.add_argument("--secret-file", metavar="FILE",
                       help="file holding the shared secret (EXTDESK_SECRET_FILE, or EXTDESK_SECRET)")
    group.add_argument("--secret", action=_RefuseSecret, help=argparse.SUPPRESS)
    group.add_argument("--namespace", help="SOAP namespace of the calls (default urn:HSPC/ExternalHelpdesk)")
    group.add_argument("--ca-bundle", metavar="FILE",
                       help="CA certificate(s) to trust for an https URL (EXTDESK_CA_BUNDLE)")
    group.add_argument("--timeout", type=_seconds, help="seconds to wait for an answer (default 120)")
    group.add_argument("--retries", type=_positive_int,
                       help="retries of a call after a transport failure (default 3)")
    return common


def _source_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--source", metavar="FILE", required=required,
                        help="the platform's persons: CSV with a header, JSON array or NDJSON; - for stdin")
    parser.add_argument("--format", choices=FORMATS, help="format of the source (default: from its name)")
    parser.add_argument("--state", metavar="FILE",
                        help="sync state file (EXTDESK_SYNC_STATE; default per helpdesk under "
                             "~/.local/state/extdesk/)")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "client", help="the platform side: talk to a helpdesk, sync persons into it",
        description="Talk to a helpdesk speaking the External Helpdesk protocol.",
    )
    parser.set_defaults(handler=_missing_command, client_parser=parser)
    commands = parser.add_subparsers(dest="client_command", metavar="CLIENT_COMMAND", parser_class=_Parser)
    # No abbreviated options: "--secret" must never pass for --secret-file.
    add_command = functools.partial(commands.add_parser, allow_abbrev=False)
    common = _connection_options()

    greet = add_command("greet", parents=[common], help="print the helpdesk's identification")
    greet.set_defaults(handler=_run(_greet))

    status = add_command("status", parents=[common],
                                 help="helpdesk reachable?, persons held, missing and changed")
    _source_options(status, required=False)
    status.set_defaults(handler=_run(_status))

    sync_parser = add_command("sync", parents=[common],
                                      help="push missing and changed persons to the helpdesk")
    _source_options(sync_parser, required=True)
    sync_parser.add_argument("--batch-size", type=_batch_size, default=DEFAULT_BATCH_SIZE,
                             help=f"persons per call (default {DEFAULT_BATCH_SIZE})")
    sync_parser.add_argument("--all", action="store_true", help="re-push every person")
    sync_parser.add_argument("--dry-run", action="store_true", help="only report what would be pushed")
    sync_parser.add_argument("--quiet", action="store_true", help="no progress display")
    sync_parser.set_defaults(handler=_run(_sync))

    listing = add_command("list", parents=[common], help="print the ids the helpdesk holds")
    listing.set_defaults(handler=_run(_list))

    session = add_command("session", parents=[common],
                                  help="print a one-time login URL for a person")
    session.add_argument("person_id", metavar="ID", help="the person's platform id")
    session.add_argument("ip", metavar="IP", help="the visitor's IP address")
    session.add_argument("act", metavar="ACT", choices=SESSION_ACTIONS,
                         help="add (new ticket page) or list (ticket list)")
    session.set_defaults(handler=_run(_session))


def _fail(message: str, code: int) -> int:
    print(f"extdesk client: {message}", file=sys.stderr)
    return code


def _missing_command(args: argparse.Namespace) -> int:
    return _fail("name a command: greet, status, sync, list or session (see extdesk client --help)",
                 EXIT_USAGE)


def _run(command: Callable[[argparse.Namespace, ClientSettings], int]) -> Callable[[argparse.Namespace], int]:
    """Resolve settings, run ``command``, and turn every failure into its exit code."""

    def handler(args: argparse.Namespace) -> int:
        try:
            settings = load_settings(vars(args))
            return command(args, settings)
        except (SettingsError, SourceError, StateError, ValueError) as exc:
            return _fail(str(exc), EXIT_USAGE)
        except (AuthenticationError, SoapFault) as exc:
            return _fail(str(exc), EXIT_FAULT)
        except TransportError as exc:
            return _fail(str(exc), EXIT_TRANSPORT)

    return handler


def _client(settings: ClientSettings, batch_size: int = DEFAULT_BATCH_SIZE) -> HelpdeskClient:
    return HelpdeskClient(
        settings.url, settings.secret, namespace=settings.namespace, timeout=settings.timeout,
        verify=settings.verify, retries=settings.retries, batch_size=batch_size,
    )


def _greet(args: argparse.Namespace, settings: ClientSettings) -> int:
    with _client(settings) as client:
        print(client.greet())
    return EXIT_OK


def _list(args: argparse.Namespace, settings: ClientSettings) -> int:
    with _client(settings) as client:
        ids = client.list_contacts()
    sys.stdout.write("".join(f"{person_id}\n" for person_id in ids))
    return EXIT_OK


def _session(args: argparse.Namespace, settings: ClientSettings) -> int:
    with _client(settings) as client:
        print(client.init_session(args.person_id, args.ip, args.act))
    return EXIT_OK


def _status(args: argparse.Namespace, settings: ClientSettings) -> int:
    persons = read_persons(args.source, args.format) if args.source else None
    rows = [("helpdesk", settings.url)]
    failure: HelpdeskError | None = None
    with _client(settings) as client:
        try:
            rows.append(("identification", client.greet()))
            held = client.list_contacts()
            rows.append(("reachable", "yes"))
        except HelpdeskError as exc:
            failure = exc
            answered = not isinstance(exc, TransportError)
            rows.append(("reachable", "yes, but it refused the request" if answered else "no"))
            held = None
    if persons is not None:
        rows.append(("source persons", str(len(persons))))
    if held is not None:
        rows.append(("helpdesk holds", str(len(held))))
    if persons is not None and held is not None:
        state = SyncState.load(settings.state_path, settings.url)
        plan = plan_sync(persons, held, state)
        rows.append(("missing", str(len(plan.missing))))
        rows.append(("changed since last sync", str(len(plan.changed))))
        rows.append(("held, not in source", str(plan.not_in_source)))
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        print(f"{label + ':':<{width}} {value}")
    sys.stdout.flush()
    if failure is not None:
        raise failure
    return EXIT_OK


def _count(number: int, word: str) -> str:
    """'1 person', '2 persons', '1 batch', '3 batches'."""
    if number == 1:
        return f"1 {word}"
    return f"{number} {word}{'es' if word.endswith(('s', 'ch', 'sh', 'x')) else 's'}"


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def _sync(args: argparse.Namespace, settings: ClientSettings) -> int:
    persons = read_persons(args.source, args.format)
    with locked(settings.state_path), _client(settings, args.batch_size) as client:
        state = SyncState.load(settings.state_path, settings.url)
        if state.other_url:
            print(f"extdesk client: the state file {settings.state_path} was for {state.other_url}; "
                  "starting afresh for this helpdesk", file=sys.stderr)
        progress = progress_for(sys.stderr, quiet=args.quiet or args.dry_run)
        # A service manager or cron stopping the sync (SIGTERM) is an interruption
        # like Ctrl-C: what the helpdesk acknowledged is saved before exiting.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            result = sync(client, persons, state, push_all=args.all, dry_run=args.dry_run,
                          progress=progress)
        except KeyboardInterrupt:
            return _fail(f"interrupted; the persons the helpdesk acknowledged so far are recorded in "
                         f"{settings.state_path}; run sync again to resume", EXIT_INTERRUPTED)
        finally:
            signal.signal(signal.SIGTERM, previous)
    plan = result.plan
    print(f"source: {_count(plan.source, 'person')}; helpdesk held {plan.held}: "
          f"{len(plan.missing)} missing, {len(plan.changed)} {'to re-push' if args.all else 'changed'}, "
          f"{plan.unchanged} unchanged")
    if args.dry_run:
        print(f"dry run: would push {_count(len(plan.to_push), 'person')}; nothing was sent")
    else:
        rate = f", {result.pushed / result.seconds:.0f}/s" if result.pushed and result.seconds else ""
        print(f"pushed {_count(result.pushed, 'person')} in {_count(result.batches, 'batch')} "
              f"({result.reported_changed} inserted or changed by the helpdesk) "
              f"in {result.seconds:.1f} s{rate}")
    return EXIT_OK


