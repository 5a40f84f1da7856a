"""Two `extdesk serve` instances sharing one PostgreSQL database: whatever one
accepts, the other knows (nonces, login tokens, throttling)."""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from extdesk.soap.envelope import encode_call
from tests.reliability.soap_calls import call, contact, value
from tests.support.server import (
    LiveServer,
    free_port,
    fresh_postgres_database,
    postgres_url,
    server_env,
    wait_until_up,
)
from tests.support.signing import signed_headers

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_url() is None, reason="scale-out shares one PostgreSQL database"),
]
FAIL_LIMIT = 6


@contextmanager
def servers_started_together(tmp_path: Path, database_url: str, count: int) -> Iterator[list[LiveServer]]:
    """``count`` servers launched at the same moment on one fresh database,
    so that their start-up migrations race."""
    launched = []
    try:
        for _ in range(count):
            port = free_port()
            data_dir = tmp_path / f"server-{port}"
            data_dir.mkdir()
            base_url = f"http://127.0.0.1:{port}"
            env = server_env(data_dir, database_url, EXTDESK_BASE_URL=base_url,
                             EXTDESK_AUTH_FAIL_LIMIT=str(FAIL_LIMIT), EXTDESK_AUTH_FAIL_WINDOW="60")
            log_path = data_dir / "server.log"
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "extdesk.cli", "serve", "--port", str(port), "--workers", "2"],
                    env=env, stdout=log, stderr=subprocess.STDOUT,
                )
            launched.append(LiveServer(process, base_url, env["EXTDESK_SECRET"], data_dir, env, log_path))
        for server in launched:
            wait_until_up(server.base_url, server.process, server.log_path)
        yield launched
    finally:
        for server in launched:
            server.process.terminate()
        for server in launched:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with fresh_postgres_database() as url, servers_started_together(
            tmp_path_factory.mktemp("pair"), url, 2) as running:
        yield running


def test_both_greet_at_the_same_moment_on_a_fresh_database(pair):
    barrier = threading.Barrier(len(pair))
    results: dict[int, requests.Response] = {}

    def greet(index: int, server: LiveServer) -> None:
        barrier.wait()
        results[index] = call(server.soap_url, server.secret, "greet")

    threads = [threading.Thread(target=greet, args=(i, s)) for i, s in enumerate(pair)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for response in results.values():
        assert response.status_code == 200, response.text
        assert b"Extdesk" in response.content
    for server in pair:
        assert "Traceback" not in server.log()


def test_a_request_replayed_against_the_other_server_is_refused(pair):
    first, second = pair
    for accepting, replayed_on in ((first, second), (second, first)):
        body = encode_call("urn:HSPC/ExternalHelpdesk", "list_contacts", [])
        headers = signed_headers(accepting.secret, body)
        assert requests.post(accepting.soap_url, data=body, headers=headers, timeout=30).status_code == 200
        replay = requests.post(replayed_on.soap_url, data=body, headers=headers, timeout=30)
        assert replay.status_code == 401
        assert b"authentication failed" in replay.content


def test_a_login_url_from_one_server_works_once_on_the_other_then_on_neither(pair):
    first, second = pair
    value(first.soap_url, first.secret, "alter_contacts", [contact(77)])
    url = value(first.soap_url, first.secret, "init_session", 77, "127.0.0.1", "add")
    path = url.removeprefix(first.base_url)
    assert path.startswith("/sso/")

    accepted = requests.get(second.base_url + path, allow_redirects=False, timeout=30)
    assert accepted.status_code == 302
    assert "sessionid" in accepted.cookies
    for server in (first, second):
        again = requests.get(server.base_url + path, allow_redirects=False, timeout=30)
        assert again.status_code == 410
        assert "sessionid" not in again.cookies


def _post_from(server: LiveServer, source: str, body: bytes, secret: str) -> int:
    """POST from loopback address ``source``, which no other test uses."""
    port = int(server.base_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request("POST", "/soap/", body=body, headers=signed_headers(secret, body))
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_failed_signatures_are_counted_across_servers(pair):
    body = encode_call("urn:HSPC/ExternalHelpdesk", "greet", [])
    source = "127.0.0.9"
    for attempt in range(FAIL_LIMIT):
        assert _post_from(pair[attempt % 2], source, body, "a-wrong-secret-for-this-test") == 401
    for server in pair:
        assert _post_from(server, source, body, server.secret) == 429
        # Other addresses are served as before.
        assert _post_from(server, "127.0.0.10", body, server.secret) == 200
