"""Behaviour across processes: greet racing on a fresh database, and a
replay refused by another server sharing the database."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack

import pytest
import requests

from extdesk import IDENTIFICATION
from extdesk.soap.envelope import decode_response, encode_call
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.support.server import SECRET, fresh_postgres_database, live_server, postgres_url, server_env
from tests.support.signing import signed_headers

pytestmark = pytest.mark.slow

GREET_AT = """
import sys, time
import django
django.setup()
from extdesk.endpoint.operations import dispatch
from extdesk.soap.envelope import Call, decode_response
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
print(decode_response(dispatch(Call("urn:x", "greet", [])).body))
"""


def test_greet_racing_in_two_processes_on_a_fresh_database(tmp_path):
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database()) if postgres_url() else None
        env = {**server_env(tmp_path / "data", database_url),
               "DJANGO_SETTINGS_MODULE": "extdesk.conf.settings"}
        start = time.time() + 3  # both processes are set up by then
        processes = [
            subprocess.Popen([sys.executable, "-c", GREET_AT, str(start)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        for process, (out, err) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, err
            assert out.strip() == IDENTIFICATION
        # Nothing is left to migrate afterwards.
        check = subprocess.run(
            [sys.executable, "-m", "extdesk.cli", "manage", "migrate", "--check"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_replay_against_another_server_sharing_the_database(tmp_path):
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database()) if postgres_url() else None
        shared = tmp_path / "shared-data"
        first = stack.enter_context(live_server(tmp_path, database_url=database_url, data_dir=shared))
        second = stack.enter_context(live_server(tmp_path, database_url=database_url, data_dir=shared))
        body = encode_call(DEFAULT_NAMESPACE, "alter_contacts",
                           [("c", [{"id": 5, "email": "five@example.com"}])])
        headers = signed_headers(SECRET, body)
        accepted = requests.post(first.soap_url, data=body, headers=headers, timeout=30)
        assert accepted.status_code == 200 and decode_response(accepted.content) == 1
        replayed = requests.post(second.soap_url, data=body, headers=headers, timeout=30)
        assert replayed.status_code == 401
        assert b"authentication failed" in replayed.content
        # Also refused by the first server after a restart-free second try.
        again = requests.post(first.soap_url, data=body, headers=headers, timeout=30)
        assert again.status_code == 401



def test_a_replayed_greet_is_refused_by_another_server_sharing_the_database(tmp_path):
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database()) if postgres_url() else None
        shared = tmp_path / "shared-data"
        first = stack.enter_context(live_server(tmp_path, database_url=database_url, data_dir=shared))
        second = stack.enter_context(live_server(tmp_path, database_url=database_url, data_dir=shared))
        body = encode_call(DEFAULT_NAMESPACE, "greet", [])
        headers = signed_headers(SECRET, body)
        accepted = requests.post(first.soap_url, data=body, headers=headers, timeout=30)
        assert accepted.status_code == 200 and decode_response(accepted.content) == IDENTIFICATION
        for server in (second, first):
            replayed = requests.post(server.soap_url, data=body, headers=headers, timeout=30)
            assert replayed.status_code == 401
            assert b"authentication failed" in replayed.content
