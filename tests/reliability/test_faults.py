"""Faults injected into a running server: the database going away, a worker
killed in the middle of a large write."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from lxml import etree

from tests.reliability.soap_calls import call, contact, value
from tests.reliability.tcp_proxy import TcpProxy
from tests.support.server import fresh_postgres_database, live_server, live_server_any_db, postgres_url

pytestmark = pytest.mark.slow
BIG = 10_000


def faultcode(response: requests.Response) -> str:
    return etree.fromstring(response.content).findtext(".//faultcode")


@pytest.mark.skipif(postgres_url() is None, reason="needs the PostgreSQL run")
def test_database_outage_answers_faults_and_503_then_service_resumes(tmp_path):
    with fresh_postgres_database() as url:
        parts = urlsplit(url)
        proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        proxy.start()
        proxied = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"))
        try:
            with live_server(tmp_path, database_url=proxied, workers=2) as server:
                soap, secret = server.soap_url, server.secret
                value(soap, secret, "alter_contacts", [contact(i) for i in (1, 2, 3)])

                proxy.stop()
                # Several calls, so that every worker meets the outage.
                for method in ("list_contacts", "greet", "list_contacts", "alter_contacts"):
                    params = ([contact(4)],) if method == "alter_contacts" else ()
                    response = call(soap, secret, method, *params, timeout=30)
                    assert response.status_code == 500, response.text
                    assert response.headers["Content-Type"].startswith("text/xml")
                    assert faultcode(response) == "soap:Server"
                    assert "database is unavailable" in response.text
                page = requests.get(f"{server.base_url}/sso/{'a' * 43}", timeout=30)
                assert page.status_code == 503
                assert page.headers["Content-Type"].startswith("text/html")
                assert page.headers["Retry-After"]
                assert "Temporarily unavailable" in page.text
                assert "Traceback" not in page.text and "psycopg" not in page.text

                proxy.start()
                deadline = time.monotonic() + 20
                while True:
                    response = call(soap, secret, "list_contacts", timeout=30)
                    if response.status_code == 200 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                assert response.status_code == 200, response.text
                # No restart: the same server, and nothing was half-written.
                assert server.process.poll() is None
                assert value(soap, secret, "list_contacts") == [1, 2, 3]
                value(soap, secret, "alter_contacts", [contact(4)])
                assert value(soap, secret, "list_contacts") == [1, 2, 3, 4]
                assert requests.get(f"{server.base_url}/sso/{'a' * 43}", timeout=30).status_code == 403
        finally:
            proxy.stop()


def _is_duty_worker(pid: int) -> bool:
    """`extdesk worker`, which serve starts beside its web workers (not one of them)."""
    try:
        return b"\0worker\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _worker_pids(master: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master and not _is_duty_worker(int(entry)):
                pids.append(int(entry))
    return pids


def _writing(server) -> bool:
    """True while some connection holds an open write transaction."""
    database_url = server.env.get("EXTDESK_DATABASE_URL")
    if database_url:
        import psycopg

        with psycopg.connect(database_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
            ).fetchone()
        return row[0] > 0
    conn = sqlite3.connect(server.data_dir / "extdesk.sqlite3", timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _when_back(attempt, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return attempt()
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="module")
def one_worker_server(tmp_path_factory):
    with live_server_any_db(tmp_path_factory.mktemp("kill"), workers=1) as running:
        yield running


def test_worker_killed_mid_write_leaves_nothing_half_written(one_worker_server):
    server = one_worker_server
    soap, secret = server.soap_url, server.secret
    assert value(soap, secret, "alter_contacts", [contact(i) for i in range(1, BIG + 1)]) == BIG
    [worker] = _worker_pids(server.process.pid)

    batch = [contact(i, "changed") for i in range(1, BIG + 1)] + [
        contact(i) for i in range(BIG + 1, 2 * BIG + 1)]
    outcome: dict[str, object] = {}

    def push() -> None:
        try:
            outcome["response"] = call(soap, secret, "alter_contacts", batch, timeout=120)
        except requests.RequestException as exc:
            outcome["error"] = exc

    sender = threading.Thread(target=push)
    sender.start()
    # Kill only once the write transaction is seen open twice in a row: the
    # call is then neither refused early nor finished.
    seen, deadline = 0, time.monotonic() + 60
    while seen < 2 and time.monotonic() < deadline and sender.is_alive():
        seen = seen + 1 if _writing(server) else 0
        time.sleep(0.01)
    assert seen == 2, "never saw the write in progress"
    os.kill(worker, signal.SIGKILL)
    sender.join()
    assert "error" in outcome, f"the call finished before the kill: {outcome}"

    # The server starts a new worker (each worker listens on its own socket,
    # so with one worker, connections are refused until the new one listens);
    # the store holds exactly what it held.
    ids = _when_back(lambda: value(soap, secret, "list_contacts"))
    assert ids == list(range(1, BIG + 1))
    assert _worker_pids(server.process.pid) != [worker]

    # The platform's retry goes through whole.
    assert value(soap, secret, "alter_contacts", batch) == 2 * BIG
    assert value(soap, secret, "list_contacts") == list(range(1, 2 * BIG + 1))
    assert value(soap, secret, "alter_contacts", batch) == 0
