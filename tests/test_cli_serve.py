"""`extdesk serve`: bad configuration is one clear line and a non-zero exit;
good configuration serves, over HTTPS too."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
import requests

from tests.support.server import free_port, live_server, server_env

pytestmark = pytest.mark.slow


def serve(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = server_env(tmp_path / "data", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "extdesk.cli", "serve", "--port", str(free_port()), *args],
        env=environment, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "args, env, message",
    [
        ((), {"EXTDESK_SECRET": "short"}, "at least 16"),
        ((), {"EXTDESK_DATABASE_URL": "mysql://x/y"}, "EXTDESK_DATABASE_URL has scheme 'mysql'"),
        ((), {"EXTDESK_DATABASE_URL": "postgres://127.0.0.1:1/nodb"}, "cannot connect to the database"),
        ((), {"EXTDESK_DATABASE_URL": "postgres://127.0.0.1:99999/x"}, "invalid port"),
        ((), {"EXTDESK_BASE_URL": "ftp://example.com"}, "EXTDESK_BASE_URL"),
        ((), {"EXTDESK_SIGNATURE_WINDOW": "soon"}, "EXTDESK_SIGNATURE_WINDOW='soon' is not a whole number"),
        (("--certfile", "/nonexistent.pem", "--keyfile", "/nonexistent.key"), {}, "cannot read TLS file"),
        (("--certfile", "/etc/hostname"), {}, "must be given together"),
        ((), {"EXTDESK_TLS_CERT": "/nonexistent.pem", "EXTDESK_TLS_KEY": "/x"}, "EXTDESK_TLS_CERT"),
        (("--workers", "0"), {}, "--workers must be at least 1"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path, args, env, message):
    completed = serve(tmp_path, *args, **env)
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("extdesk: ")
    assert message in lines[0]
    assert "Traceback" not in completed.stderr


def test_unusable_certificate_is_reported(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    completed = serve(tmp_path, "--certfile", str(bad), "--keyfile", str(bad))
    assert completed.returncode != 0
    assert "cannot be used" in completed.stderr and "Traceback" not in completed.stderr


def test_secret_is_generated_once_with_owner_only_permissions(tmp_path):
    with live_server(tmp_path, data_dir=tmp_path / "data",
                     extra_env={"EXTDESK_SECRET": ""}) as server:
        secret_file = server.data_dir / "secret"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert len(secret_file.read_text().strip()) >= 32
        assert str(secret_file) in server.log()



def test_https(tmp_path, certificate):
    cert, key = certificate
    with live_server(tmp_path, scheme="https", verify=str(cert),
                     serve_args=("--certfile", str(cert), "--keyfile", str(key))) as server:
        response = requests.get(f"{server.soap_url}?wsdl", verify=str(cert), timeout=10)
        assert response.status_code == 200
        assert b"https://127.0.0.1" in response.content
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{server.soap_url}?wsdl", timeout=10)


def test_sigterm_lets_the_call_in_hand_finish_then_stops(tmp_path):
    import signal
    import threading
    import time

    from extdesk.soap.envelope import encode_call
    from extdesk.soap.protocol import DEFAULT_NAMESPACE
    from tests.reliability.soap_calls import contact
    from tests.support.signing import signed_headers

    records = 60_000
    # Encoded before the server starts: the call must be in the server's hands when it is told to stop.
    body = encode_call(DEFAULT_NAMESPACE, "alter_contacts",
                       [("contacts", [contact(i) for i in range(1, records + 1)])])
    with live_server(tmp_path, workers=1) as server:
        outcome: dict[str, object] = {}

        def push() -> None:
            response = requests.post(server.soap_url, data=body, headers=signed_headers(server.secret, body),
                                     timeout=120)
            outcome["answer"] = (response.status_code, response.content)
            outcome["at"] = time.monotonic()

        sender = threading.Thread(target=push)
        sender.start()
        time.sleep(0.7)
        assert sender.is_alive(), "the push finished before the stop could be asked"
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        sender.join()
        assert server.process.wait(timeout=30) == 0
        status, content = outcome["answer"]
        assert status == 200 and f">{records}</result>".encode() in content
        assert outcome["at"] > signalled
        # Stopped: nothing listens any more.
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.soap_url}?wsdl", timeout=5)


@pytest.mark.parametrize("has_staff", [False, True])
def test_the_next_steps_ask_for_a_first_staff_user_only_while_there_is_none(tmp_path, capsys, has_staff):
    from types import SimpleNamespace

    from extdesk.cli.serve import _print_next_steps

    config = SimpleNamespace(base_url="https://desk.example", secret_path=tmp_path / "secret",
                             data_dir=tmp_path)
    _print_next_steps(config, has_staff=has_staff)
    said = capsys.readouterr().err
    assert "SOAP URL https://desk.example/soap/" in said
    assert ("first staff user" in said) is not has_staff
    assert ("staff sign in at https://desk.example/desk/" in said) is has_staff
    assert "createstaff NAME" in said
