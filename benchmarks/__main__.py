"""``python -m benchmarks``: the performance figures of issue 5, with their floors.

Starts the real server (``extdesk serve``) on a throwaway data directory,
once on SQLite and once on a fresh PostgreSQL database, sends it
SOAP::Lite-shaped signed requests over 127.0.0.1 and prints the table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime

from .results import table, targets
from .scenario import Options, run
from .servers import POSTGRES_ADMIN_URL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10,000 records, 10,000 tickets, one repeat, 1 s per throughput figure")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both",
                        help="which database(s) to measure (default: both)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options = Options(
        sizes=(10_000,) if args.quick else (10_000, 100_000),
        tickets=(2_000, 10_000) if args.quick else (10_000, 100_000),
        repeat=1 if args.quick else 3,
        rate_seconds=1.0 if args.quick else 3.0,
        clients=(1, 8),
        workers=2,
        max_body_bytes=128 * 1024 * 1024,
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extdesk.conf.settings")
    started = time.monotonic()
    kinds = {"sqlite": [("SQLite", False)], "postgres": [("PostgreSQL", True)],
             "both": [("SQLite", False), ("PostgreSQL", True)]}[args.database]
    runs = [run(name, postgres, options) for name, postgres in kinds]
    took = time.monotonic() - started
    print(f"## Extdesk benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPUs, {options.workers} server workers"
          f"{', --quick' if args.quick else ''}; PostgreSQL at {POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}")
    print()
    print(table(runs))
    print()
    print(targets(runs))
    print()
    print(f"(whole run: {took:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
