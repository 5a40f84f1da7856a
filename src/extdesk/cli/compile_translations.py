"""``extdesk compile-translations``: build the .mo files Django reads from the .po catalogues."""

from __future__ import annotations

import argparse
import sys

from extdesk.conf.translations import LOCALE_DIR, CatalogueError, compile_catalogues

from .errors import fail


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compile-translations", help="compile the translation catalogues (.po) into the .mo files served",
        description=f"Compile every catalogue under {LOCALE_DIR} (LANG/LC_MESSAGES/DOMAIN.po) into the "
                    ".mo file beside it. scripts/bootstrap runs it after installing; `extdesk serve` "
                    "compiles the missing or outdated ones itself.",
    )
    parser.add_argument("--stale", action="store_true",
                        help="only the catalogues whose .mo is missing or older than the .po")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        written = compile_catalogues(only_stale=args.stale)
    except CatalogueError as exc:
        return fail(str(exc))
    print(f"extdesk: compiled {len(written)} translation catalogue(s)", file=sys.stderr)
    return 0
