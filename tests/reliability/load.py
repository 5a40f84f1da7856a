"""The load scenario: platform clients and customers against a real server.

8 platform clients push signed ``alter_contacts`` batches of 500 records
(overlapping ids, changing data), ``list_contacts`` and ``init_session``;
8 customers file tickets and reply to them through the web pages. Every
answer must be a success; afterwards the stored contacts must be, for every
id, what one of its possibly-last writes sent (no lost update), with no
duplicate contact or account, and every ticket must hold every reply.

``python -m tests.reliability.load --seconds 60`` runs it on SQLite and, when
EXTDESK_TEST_POSTGRES_URL (or a postgres EXTDESK_DATABASE_URL) is set, on
PostgreSQL, and prints the figures; tests/reliability/test_load.py runs a
short version in the suite.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

from extdesk.soap.envelope import decode_response
from tests.reliability.customer import Customer
from tests.reliability.soap_calls import call
from tests.support.server import LiveServer, live_server, live_server_any_db

PLATFORM_CLIENTS = 8
CUSTOMERS = 8
BATCH = 500
ID_SPACE = 2000
# Customers are contacts the platform clients leave alone, so that their
# login and tickets do not depend on the race between writers.
CUSTOMER_IDS = range(900_001, 900_001 + CUSTOMERS)


@dataclass
class Write:
    number: int
    started: float
    ended: float
    ids: range


@dataclass
class Figures:
    database: str
    seconds: float
    calls: int = 0
    pages: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    page_latencies: list[float] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    tickets: dict[int, list[int]] = field(default_factory=dict)
    replies: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, started: float, ok: bool, what: str, page: bool = False) -> None:
        elapsed = time.monotonic() - started
        with self.lock:
            if page:
                self.pages += 1
                self.page_latencies.append(elapsed)
            else:
                self.calls += 1
                self.latencies.append(elapsed)
            if not ok:
                self.errors.append(what)

    @staticmethod
    def _ms(latencies: list[float], fraction: float) -> float:
        ordered = sorted(latencies)
        if not ordered:
            return 0.0
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    def summary(self) -> dict:
        return {
            "database": self.database,
            "duration_s": round(self.seconds, 1),
            "platform_clients": PLATFORM_CLIENTS,
            "customers": CUSTOMERS,
            "soap_calls": self.calls,
            "alter_contacts_batches": len(self.writes),
            "records_written": len(self.writes) * BATCH,
            "web_actions": self.pages,
            "tickets_filed": sum(len(t) for t in self.tickets.values()),
            "replies": sum(self.replies.values()),
            "errors": len(self.errors),
            "soap_p50_ms": self._ms(self.latencies, 0.5),
            "soap_p99_ms": self._ms(self.latencies, 0.99),
            "soap_max_ms": self._ms(self.latencies, 1.0),
            # A web action is a page fetch (for its CSRF token) plus the form post.
            "web_action_p50_ms": self._ms(self.page_latencies, 0.5),
            "web_action_p99_ms": self._ms(self.page_latencies, 0.99),
        }


def record_for(platform_id: int, write: int) -> dict:
    """What write number ``write`` says about ``platform_id``."""
    return {
        "id": platform_id,
        "email": f"p{platform_id}.w{write}@example.com",
        "first_name": f"w{write}",
        "last_name": f"Person {platform_id}",
        "accounts": f"acct-{write % 5}, shared-{platform_id % 3}",
    }


def customer_record(platform_id: int) -> dict:
    # One account: the new-ticket form then asks for none.
    return {"id": platform_id, "email": f"customer{platform_id}@example.com",
            "first_name": "Customer", "accounts": f"customer-{platform_id}"}


def expected_accounts(platform_id: int, write: int) -> set[str]:
    return {f"acct-{write % 5}", f"shared-{platform_id % 3}"}


def _platform_client(server: LiveServer, figures: Figures, deadline: float, seed: int,
                     numbers: itertools.count) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    synced = list(CUSTOMER_IDS)
    while time.monotonic() < deadline:
        roll = rng.random()
        started = time.monotonic()
        try:
            if roll < 0.5:
                number = next(numbers)
                first = rng.randrange(1, ID_SPACE - BATCH + 2)
                ids = range(first, first + BATCH)
                response = call(server.soap_url, server.secret, "alter_contacts",
                                [record_for(i, number) for i in ids], session=session)
                if response.status_code == 200:
                    with figures.lock:
                        figures.writes.append(Write(number, started, time.monotonic(), ids))
            elif roll < 0.75:
                response = call(server.soap_url, server.secret, "list_contacts", session=session)
            else:
                response = call(server.soap_url, server.secret, "init_session", rng.choice(synced),
                                "127.0.0.1", rng.choice(["add", "list"]), session=session)
            ok = response.status_code == 200
            figures.record(started, ok, f"SOAP {response.status_code}: {response.text[:300]}")
        except requests.RequestException as exc:
            figures.record(started, False, f"SOAP {type(exc).__name__}: {exc}")


def _customer(server: LiveServer, figures: Figures, deadline: float, platform_id: int) -> None:
    rng = random.Random(platform_id)
    customer = Customer(server.base_url)
    tickets: list[int] = []
    replies = 0
    try:
        response = call(server.soap_url, server.secret, "init_session", platform_id, "127.0.0.1", "add")
        assert response.status_code == 200, response.text
        customer.log_in(decode_response(response.content))
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                if not tickets or rng.random() < 0.3:
                    tickets.append(customer.new_ticket(f"Load ticket {len(tickets) + 1}",
                                                       f"Filed by {platform_id} under load."))
                else:
                    customer.reply(rng.choice(tickets), f"Reply {replies + 1} from {platform_id}.")
                    replies += 1
                figures.record(started, True, "", page=True)
            except (AssertionError, requests.RequestException) as exc:
                figures.record(started, False, f"web: {exc}"[:500], page=True)
    finally:
        with figures.lock:
            figures.tickets[platform_id] = tickets
            figures.replies[platform_id] = replies


def _query(server: LiveServer, sql: str) -> list[tuple]:
    url = server.env.get("EXTDESK_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()
    conn = sqlite3.connect(server.data_dir / "extdesk.sqlite3")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def check_final_state(server: LiveServer, figures: Figures) -> list[str]:
    """What is wrong with the stored data after the run (empty: nothing)."""
    problems: list[str] = []
    by_id: dict[int, list[Write]] = defaultdict(list)
    for write in figures.writes:
        for platform_id in write.ids:
            by_id[platform_id].append(write)
    stored = {pid: (first, email) for pid, first, email in _query(
        server, "SELECT platform_id, first_name, email FROM contacts_contact")}
    accounts: dict[int, set[str]] = defaultdict(set)
    for pid, name in _query(server, (
            "SELECT c.platform_id, a.name FROM contacts_contact c "
            "JOIN contacts_contact_accounts ca ON ca.contact_id = c.id "
            "JOIN contacts_account a ON a.id = ca.account_id")):
        accounts[pid].add(name)
    duplicates = _query(server, "SELECT platform_id FROM contacts_contact GROUP BY platform_id "
                                "HAVING count(*) > 1")
    duplicates += _query(server, "SELECT name FROM contacts_account GROUP BY name HAVING count(*) > 1")
    if duplicates:
        problems.append(f"duplicates: {duplicates[:5]}")
    for platform_id, writes in by_id.items():
        # A write may be the last one unless another write of this id began
        # after it had been answered (that one was then committed later).
        latest_start = max(w.started for w in writes)
        possible = {w.number for w in writes if w.ended >= latest_start}
        first_name, email = stored.get(platform_id, ("(missing)", ""))
        number = int(first_name[1:]) if first_name.startswith("w") and first_name[1:].isdigit() else -1
        if number not in possible:
            problems.append(f"id {platform_id}: holds {first_name!r}, expected one of {sorted(possible)}")
        elif email != record_for(platform_id, number)["email"]:
            problems.append(f"id {platform_id}: name and e-mail come from different writes")
        elif accounts[platform_id] != expected_accounts(platform_id, number):
            problems.append(f"id {platform_id}: accounts {sorted(accounts[platform_id])}")
    expected_ids = set(by_id) | set(CUSTOMER_IDS)
    if set(stored) != expected_ids:
        problems.append(f"{len(set(stored) ^ expected_ids)} ids stored that were not sent, or missing")
    messages = dict(_query(server, (
        "SELECT t.contact_id, count(m.id) FROM helpdesk_ticket t "
        "JOIN helpdesk_message m ON m.ticket_id = t.id GROUP BY t.contact_id")))
    contact_pk = dict(_query(server, "SELECT platform_id, id FROM contacts_contact"))
    for platform_id, tickets in figures.tickets.items():
        want = len(tickets) + figures.replies.get(platform_id, 0)
        got = messages.get(contact_pk.get(platform_id), 0)
        if got != want:
            problems.append(f"customer {platform_id}: {got} messages stored, {want} sent")
    return problems


def run(server: LiveServer, seconds: float, database: str) -> tuple[Figures, list[str]]:
    """Seed, run the load for ``seconds``, check; the figures and any problems."""
    seed = [record_for(i, 0) for i in range(1, ID_SPACE + 1)] + [
        customer_record(i) for i in CUSTOMER_IDS]
    response = call(server.soap_url, server.secret, "alter_contacts", seed)
    assert response.status_code == 200, response.text
    figures = Figures(database, seconds)
    figures.writes.append(Write(0, 0.0, time.monotonic(), range(1, ID_SPACE + 1)))
    numbers = itertools.count(1)
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=_platform_client, args=(server, figures, deadline, n, numbers))
               for n in range(PLATFORM_CLIENTS)]
    threads += [threading.Thread(target=_customer, args=(server, figures, deadline, pid))
                for pid in CUSTOMER_IDS]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.monotonic() - started
    return figures, check_final_state(server, figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.load", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.workers < 1:
        parser.error("--seconds must be positive and --workers at least 1")
    postgres = os.environ.get("EXTDESK_TEST_POSTGRES_URL") or (
        os.environ.get("EXTDESK_DATABASE_URL", "") if os.environ.get(
            "EXTDESK_DATABASE_URL", "").startswith("postgres") else "")
    failed = False
    with tempfile.TemporaryDirectory(prefix="extdesk-load-") as tmp:
        targets = [("SQLite", None)] + ([("PostgreSQL", postgres)] if postgres else [])
        for database, url in targets:
            os.environ.pop("EXTDESK_DATABASE_URL", None)
            if url:
                os.environ["EXTDESK_DATABASE_URL"] = url
                context = live_server_any_db(Path(tmp) / database, workers=args.workers)
            else:
                context = live_server(Path(tmp) / database, workers=args.workers)
            with context as server:
                figures, problems = run(server, args.seconds, database)
            print(json.dumps(figures.summary()), flush=True)
            for line in (figures.errors[:10] + problems[:10]):
                print(f"  {line}", flush=True)
            failed = failed or bool(figures.errors or problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
