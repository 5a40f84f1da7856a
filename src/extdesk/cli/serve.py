"""``extdesk serve``: migrate, then run the production server (granian, see extdesk.serving)."""

from __future__ import annotations

import argparse
import os
import sys

from .errors import StartupError, fail
from .setup import check_database, start_django


def _default_workers() -> int:
    # One process per core; each runs EXTDESK_THREADS threads of the application.
    return max(2, min(8, os.cpu_count() or 1))


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
    parser.add_argument("--threads", type=int, default=None,
                        help="application threads per worker (default: EXTDESK_THREADS, 4)")
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
    connection.close()

    scheme = "https" if args.certfile else "http"
    print(
        f"extdesk: serving on {scheme}://{args.host}:{args.port}/ "
        f"(SOAP endpoint /soap/, public URL {config.base_url}, "
        f"{args.workers} workers x {config.threads} threads)",
        file=sys.stderr,
        flush=True,
    )
    from extdesk.serving.server import ServerOptions, serve

    serve(ServerOptions(
        target="extdesk.conf.rsgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        header_timeout=config.header_timeout,
        certfile=args.certfile,
        keyfile=args.keyfile,
    ))
    return 0
