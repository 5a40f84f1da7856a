"""``extdesk serve``: migrate, then run the production server (granian, see extdesk.serving)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from extdesk.conf.translations import CatalogueError, compile_catalogues
from extdesk.config import DEFAULT_DATA_DIR, Config

from .errors import StartupError, fail
from .setup import check_database, start_django

DEMO_DATA_DIR = "extdesk-demo"


def _default_workers() -> int:
    # One process per core; each runs EXTDESK_THREADS threads of the application.
    return max(2, min(8, os.cpu_count() or 1))


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the helpdesk server",
        description="Set up (or migrate) the database, then serve the helpdesk: the SOAP endpoint the "
                    "platform calls, the customer portal and the staff desk. Without EXTDESK_BASE_URL "
                    "the public URL is http://HOST:PORT/.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--workers", type=int, default=_default_workers(), help="worker processes (one per core)"
    )
    parser.add_argument("--certfile", default=os.environ.get("EXTDESK_TLS_CERT"),
                        help="TLS certificate (PEM) to serve HTTPS (EXTDESK_TLS_CERT)")
    parser.add_argument("--keyfile", default=os.environ.get("EXTDESK_TLS_KEY"),
                        help="TLS private key (PEM; EXTDESK_TLS_KEY)")
    parser.add_argument("--demo", action="store_true",
                        help="a seeded demo provider in ./extdesk-demo (unless EXTDESK_DATA_DIR is set), "
                             "with /platform/ playing the control panel")
    parser.add_argument("--threads", type=int, default=None,
                        help="application threads per worker (None: EXTDESK_THREADS, else 4)")
    parser.add_argument("--no-worker", action="store_true",
                        help="do not start `extdesk worker` beside the server (run it yourself, on this "
                             "host or another)")
    parser.set_defaults(handler=run)


def _check_tls(certfile: str | None, keyfile: str | None) -> None:
    if bool(certfile) != bool(keyfile):
        raise StartupError("--certfile and --keyfile must be given together")
    if not certfile:
        return
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile)
    except FileNotFoundError as exc:
        raise StartupError(f"cannot read TLS file {exc.filename}: no such file") from None
    except PermissionError as exc:
        raise StartupError(f"cannot read TLS file {exc.filename}: permission denied") from None
    except (ssl.SSLError, OSError) as exc:
        raise StartupError(
            f"the TLS certificate {certfile} and key {keyfile} cannot be used: {exc}"
        ) from None
    with open(keyfile or "", "rb") as handle:
        head = handle.read(4096)
    if b"-----BEGIN PRIVATE KEY-----" not in head and b"-----BEGIN ENCRYPTED PRIVATE KEY-----" not in head:
        # The server's TLS library reads PKCS#8 keys only.
        raise StartupError(
            f"the TLS key {keyfile} is not in PKCS#8 form; convert it with "
            f"'openssl pkcs8 -topk8 -nocrypt -in {keyfile} -out key-pkcs8.pem'"
        )


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        return fail(f"--port {args.port} is not a TCP port (1-65535)")
    if args.workers < 1:
        return fail("--workers must be at least 1")
    if args.threads is not None:
        if not 1 <= args.threads <= 256:
            return fail("--threads must be between 1 and 256")
        # The workers read their settings from the environment they inherit.
        os.environ["EXTDESK_THREADS"] = str(args.threads)
    if args.demo:
        # Its own data directory: the demo's made-up customers never mix with real ones.
        if not os.environ.get("EXTDESK_DATA_DIR"):
            os.environ["EXTDESK_DATA_DIR"] = str(Path(DEMO_DATA_DIR).absolute())
            # Nor its database: a demo started where a real helpdesk is configured seeds SQLite there.
            os.environ.pop("EXTDESK_DATABASE_URL", None)
        os.environ["EXTDESK_DEMO"] = "1"
        # The made-up customers' mail is kept as files, not sent, nor printed over the log.
        outgoing = Path(os.environ["EXTDESK_DATA_DIR"]) / "outgoing-mail"
        os.environ.setdefault("EXTDESK_EMAIL_URL", f"file://{outgoing}")
    if not args.no_worker:
        from extdesk.worker.schedule import ScheduleError, intervals

        try:
            intervals(os.environ)  # the worker's intervals, checked before anything starts
        except ScheduleError as exc:
            return fail(str(exc))
    busy = _port_in_use(args.host, args.port)
    if busy:
        return fail(busy)
    scheme = "https" if args.certfile else "http"
    if not os.environ.get("EXTDESK_BASE_URL"):
        # Links in mail and the URLs init_session answers must reach this
        # server; the workers read the setting from the environment they inherit.
        os.environ["EXTDESK_BASE_URL"] = f"{scheme}://{_url_host(args.host)}:{args.port}"
    try:
        # A checkout updated without scripts/bootstrap still serves its current translations.
        compile_catalogues(only_stale=True)
    except CatalogueError as exc:
        # A read-only installation still serves, in the catalogues it has (English without one).
        print(f"extdesk: warning: {exc}; run `extdesk compile-translations` as the user who installed it",
              file=sys.stderr, flush=True)
    try:
        config = start_django(create=True)
        _check_tls(args.certfile, args.keyfile)
        check_database()
    except StartupError as exc:
        return fail(str(exc))

    from django.db import connection

    from extdesk.endpoint.schema import ensure_schema

    applied = ensure_schema()
    if applied:
        print(f"extdesk: applied {len(applied)} database migration(s)", file=sys.stderr)
    if args.demo:
        from extdesk.demo.seed import STAFF_USERNAME, seed

        password = seed()
        if password:
            print(f"extdesk: demo staff user {STAFF_USERNAME!r}, password {password} "
                  "(shown this once)", file=sys.stderr)
    from django.contrib.auth import get_user_model

    has_staff = get_user_model().objects.filter(is_staff=True, is_active=True).exists()
    connection.close()

    print(
        f"extdesk: serving on {scheme}://{_url_host(args.host)}:{args.port}/ "
        f"(SOAP endpoint /soap/, public URL {config.base_url}, "
        f"{args.workers} {_plural(args.workers, 'worker')} x {config.threads} "
        f"{_plural(config.threads, 'thread')})",
        file=sys.stderr,
        flush=True,
    )
    _print_next_steps(config, has_staff=has_staff)
    if args.demo:
        print(f"extdesk: demo: the control panel is {config.base_url}/platform/", file=sys.stderr, flush=True)
    from extdesk.serving.server import ServerOptions, serve
    from extdesk.worker.child import WorkerProcess

    worker = None
    if not args.no_worker:
        worker = WorkerProcess()
        worker.start()
        print(f"extdesk: periodic duties run in `extdesk worker` (process {worker.pid}; --no-worker to "
              "run it elsewhere)", file=sys.stderr, flush=True)
    try:
        serve(ServerOptions(
            target="extdesk.conf.rsgi:application",
            host=args.host,
            port=args.port,
            workers=args.workers,
            header_timeout=config.header_timeout,
            certfile=args.certfile,
            keyfile=args.keyfile,
        ))
    finally:
        if worker is not None:
            worker.stop()
    return 0


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _url_host(host: str) -> str:
    # A wildcard address is not one a browser or the platform can be sent to.
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _port_in_use(host: str, port: int) -> str | None:
    """The one line to say when the port is taken, before anything says "serving"."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server binds: a port left in TIME_WAIT by a previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is in use; choose another with --port"
            if exc.errno == errno.EACCES:
                return f"port {port} on {host} needs privileges this user lacks; choose another with --port"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"--host {host} is not an address of this machine"
            return f"cannot listen on {host} port {port}: {exc.strerror}"
    return None


def _print_next_steps(config: Config, *, has_staff: bool) -> None:
    """What a newcomer needs next: the URL and secret for the platform, and a first staff user
    (or, once there is one, where staff sign in)."""
    where = f"in {config.secret_path}" if config.secret_path else "in EXTDESK_SECRET"
    command = _extdesk_command()
    default_dir = (Path.cwd() / DEFAULT_DATA_DIR).absolute()
    if not os.environ.get("EXTDESK_DATA_DIR") and config.data_dir == default_dir:
        prefix = ""
    else:
        prefix = f"EXTDESK_DATA_DIR={config.data_dir} "
    if has_staff:
        staff = (f"extdesk: staff sign in at {config.base_url}/desk/ "
                 f"(another: {prefix}{command} createstaff NAME)")
    else:
        staff = (f"extdesk: first staff user: {prefix}{command} createstaff NAME "
                 f"(then sign in at {config.base_url}/desk/)")
    print(
        f"extdesk: the platform's helpdesk setup: SOAP URL {config.base_url}/soap/, "
        f"shared secret {where}\n{staff}",
        file=sys.stderr,
        flush=True,
    )


def _extdesk_command() -> str:
    # The command as the reader can type it: the venv's bin/ beside this Python.
    script = Path(sys.executable).parent / "extdesk"
    if not script.exists():
        return "extdesk"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)
