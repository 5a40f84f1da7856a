"""``extdesk serve``: migrate, then run the production server (gunicorn)."""

from __future__ import annotations

import argparse
import os
import sys

from .errors import fail
from .setup import StartupError, check_database, start_django


def _default_workers() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the helpdesk server")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--workers", type=int, default=_default_workers(), help="worker processes"
    )
    parser.add_argument("--certfile", default=os.environ.get("EXTDESK_TLS_CERT"),
                        help="TLS certificate (PEM) to serve HTTPS")
    parser.add_argument("--keyfile", default=os.environ.get("EXTDESK_TLS_KEY"),
                        help="TLS private key (PEM)")
    parser.add_argument("--timeout", type=int, default=120,
                        help="seconds a worker may spend on one request")
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


def run(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        return fail(f"--port {args.port} is not a TCP port (1-65535)")
    if args.workers < 1:
        return fail("--workers must be at least 1")
    try:
        config = start_django()
        _check_tls(args.certfile, args.keyfile)
        check_database()
    except StartupError as exc:
        return fail(str(exc))

    from django.db import connection

    from extdesk.endpoint.schema import ensure_schema

    applied = ensure_schema()
    if applied:
        print(f"extdesk: applied {len(applied)} database migration(s)", file=sys.stderr)
    connection.close()

    scheme = "https" if args.certfile else "http"
    print(
        f"extdesk: serving on {scheme}://{args.host}:{args.port}/ "
        f"(SOAP endpoint /soap/, public URL {config.base_url}, {args.workers} workers)",
        file=sys.stderr,
        flush=True,
    )
    from .wsgi_server import run_gunicorn

    return run_gunicorn(
        bind=f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}",
        workers=args.workers,
        certfile=args.certfile,
        keyfile=args.keyfile,
        timeout=args.timeout,
    )
