"""One benchmark run against one database: the server's figures and their floors."""

from __future__ import annotations

import functools
import json
import re
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from . import payloads
from .client import Reply, Throughput, expect_ok, load, signed_post, signed_request_maker
from .floor import Database, lxml_parse_seconds
from .results import DatabaseResults, Page, Rate, Timed
from .servers import (
    SECRET,
    Server,
    extdesk_server,
    hello_server,
    postgres_database,
    server_environment,
)

_RESULT = re.compile(rb"<result[^>]*>([^<]*)</result>")


@dataclass(frozen=True, slots=True)
class Options:
    sizes: tuple[int, ...]
    tickets: tuple[int, int]  # in the customer's account, in the staff queue
    repeat: int
    rate_seconds: float
    clients: tuple[int, ...]
    workers: int
    max_body_bytes: int


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _result(reply: Reply, what: str) -> str:
    match = _RESULT.search(expect_ok(reply, what).body)
    if match is None:
        raise RuntimeError(f"{what}: no result in {reply.body[:300]!r}")
    return match[1].decode()


def _timed_call(server: Server, body: bytes, what: str, expected: int) -> tuple[float, float, float]:
    """Wall seconds, server CPU seconds and peak RSS of one alter_contacts call."""
    server.reset_peak_rss()
    cpu = server.cpu_seconds()
    reply = signed_post(server.port, SECRET, body, action="alter_contacts")
    cpu = server.cpu_seconds() - cpu
    got = int(_result(reply, what))
    if got != expected:
        raise RuntimeError(f"{what}: the server counted {got} changed records, expected {expected}")
    return reply.seconds, cpu, server.peak_rss_mb()


Workload = dict[str, list[tuple[bytes, list[payloads.Person], int]]]


@functools.cache
def _workload(size: int, runs: int) -> Workload:
    """Request bodies by kind, with the persons they carry and the expected count.

    Built once per process: the PostgreSQL run sends the very bodies the
    SQLite run sent.
    """
    # Every insert round uses ids nobody has yet; the later kinds reuse the last round.
    first_ids = [size * 10 * (index + 1) + 1 for index in range(runs)]
    inserts = [payloads.people(first, size, seed=first) for first in first_ids]
    last = inserts[-1]
    generations = [payloads.changed(last, generation) for generation in range(1, runs + 1)]
    return {
        "insert": [(payloads.alter_contacts_body(p, seed=1), p, size) for p in inserts],
        "unchanged": [(payloads.alter_contacts_body(last, seed=2), last, 0)] * runs,
        "all changed": [(payloads.alter_contacts_body(p, seed=3), p, size) for p in generations],
    }


def _alter(server: Server, db: Database, size: int, repeat: int, results: DatabaseResults) -> None:
    """Insert, resend unchanged, change all: ``repeat`` times each, median kept."""
    small = size <= 10_000
    bodies_by_kind = _workload(size, repeat if small else 1)
    _say(f"  alter_contacts {size:,} records ({len(bodies_by_kind['insert'][0][0]) / 2**20:.1f} MiB)")
    for kind, bodies in bodies_by_kind.items():
        seconds, cpus, peaks, floors = [], [], [], []
        for body, persons, expected in bodies:
            took, cpu, peak = _timed_call(server, body, f"alter_contacts {size} {kind}", expected)
            seconds.append(took)
            cpus.append(cpu)
            peaks.append(peak)
            parse = lxml_parse_seconds(body, 3 if small else 1)
            floors.append(parse + db.upsert_seconds([p.row() for p in persons]))
        results.alter[(size, kind)] = Timed(statistics.median(seconds), statistics.median(floors),
                                            size, max(peaks), statistics.median(cpus))


def _list(server: Server, db: Database, repeat: int, results: DatabaseResults) -> None:
    body = payloads.no_argument_body("list_contacts")
    seconds, floors, count = [], [], 0
    for _ in range(repeat):
        reply = expect_ok(signed_post(server.port, SECRET, body, action="list_contacts"),
                          "list_contacts")
        seconds.append(reply.seconds)
        count = reply.body.count(b"<item")
        floor, stored = db.select_ids_seconds()
        if stored != count:
            raise RuntimeError(f"list_contacts returned {count} ids, the database holds {stored}")
        floors.append(floor)
    _say(f"  list_contacts over {count:,} ids")
    results.listing = Timed(statistics.median(seconds), statistics.median(floors), count)


def _rates(server: Server, hello: Server, options: Options, person_id: int
           ) -> dict[tuple[str, int], Rate]:
    """Signed calls per second against the floor's, measured in turns.

    The machine's other load moves these figures by a factor of two within
    minutes, so each figure is two runs, taken in the order floor, greet,
    init_session, then backwards; a drift in between weighs on ours and on
    the floor alike, and the ratio between them holds.
    """
    bodies = {
        "greet": payloads.no_argument_body("greet"),
        "init_session": payloads.init_session_body(person_id, "203.0.113.7", "list"),
    }
    makers = {"bare WSGI floor": signed_request_maker(hello.port, SECRET, bodies["greet"])}
    for operation, body in bodies.items():
        reply = signed_post(server.port, SECRET, body, action=operation)
        if reply.status != 200:
            _say(f"  {operation}: not measured, the server answered HTTP {reply.status}: "
                 f"{reply.body[:200]!r}")
            continue
        makers[operation] = signed_request_maker(server.port, SECRET, body)
    ports = {name: hello.port if name == "bare WSGI floor" else server.port for name in makers}
    order = list(makers)
    rates: dict[tuple[str, int], Rate] = {}
    for clients in options.clients:
        _say(f"  {', '.join(order)}: {clients} client(s)")
        runs: dict[str, list] = {name: [] for name in order}
        for turn in (order, order[::-1]):
            for name in turn:
                runs[name].append(load(ports[name], makers[name], clients, options.rate_seconds / 2))
        floor = Throughput.combined(runs.pop("bare WSGI floor"))
        rates[("bare WSGI floor", clients)] = Rate(floor, None)
        for name, measured in runs.items():
            rates[(name, clients)] = Rate(Throughput.combined(measured), floor)
    return rates


def _pages(server: Server, database_url: str | None, options: Options,
           results: DatabaseResults) -> None:
    in_account, total = options.tickets
    _say(f"  pages: {in_account:,} tickets in the customer's account, {total:,} in the queue")
    env = server_environment(server.data_dir, database_url, server.port, options.max_body_bytes)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.pages", str(in_account), str(total)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        _say(f"  pages: not measured:\n{done.stderr[-2000:]}")
        results.pages = {"customer ticket list": "failed", "staff queue": "failed"}
        return
    for page, figures in json.loads(done.stdout.strip().splitlines()[-1]).items():
        results.pages[page] = Page(figures["median_ms"], figures["queries"], figures["rows"])


def run(name: str, postgres: bool, options: Options) -> DatabaseResults:
    results = DatabaseResults(name)
    _say(f"{name}:")
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="extdesk-bench-")))
        database_url = stack.enter_context(postgres_database()) if postgres else None
        server = stack.enter_context(
            extdesk_server(data_dir, database_url, options.workers, options.max_body_bytes))
        _result(signed_post(server.port, SECRET, payloads.no_argument_body("greet")), "greet")
        db = Database(data_dir / "extdesk.sqlite3", database_url)
        stack.callback(db.close)
        for size in options.sizes:
            _alter(server, db, size, options.repeat, results)
        _list(server, db, options.repeat, results)
        person_id = options.sizes[0] * 10 + 1
        with hello_server(data_dir, options.workers) as hello:
            results.rates.update(_rates(server, hello, options, person_id))
        _pages(server, database_url, options, results)
    return results
