"""Slow and oversized requests against the real server (``extdesk serve``, real sockets).

Under 1.0's server (gunicorn, sync workers) four connections that sent their
body or headers a byte at a time held every worker, and every other request
timed out for as long as they lasted (docs/reliability.md, "Slow clients").
"""

from __future__ import annotations

import re
import socket
import statistics
import time
from contextlib import suppress
from pathlib import Path

import pytest
import requests
from benchmarks.slow_clients import SlowCrowd

from extdesk.soap.envelope import encode_call
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.reliability.customer import Customer
from tests.reliability.soap_calls import contact, value
from tests.support.server import live_server_any_db
from tests.support.signing import signed_headers

pytestmark = [pytest.mark.slow, pytest.mark.database_independent]

MIB = 1024 * 1024
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A server with short timeouts, its temporary directory watched."""
    folder = tmp_path_factory.mktemp("slow")
    tmp = folder / "tmp"
    tmp.mkdir()
    env = {"EXTDESK_HEADER_TIMEOUT": "3", "EXTDESK_BODY_TIMEOUT": "3", "TMPDIR": str(tmp)}
    with live_server_any_db(folder, workers=2, extra_env=env) as server:
        server.tmp = tmp
        yield server


def _connect(server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _all_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _greet_body() -> bytes:
    return encode_call(DEFAULT_NAMESPACE, "greet", [])


def _answer(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    with suppress(OSError):
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    return data


def _send_until_answered(sock: socket.socket, piece: bytes, at_most: int) -> tuple[bytes, int]:
    """Send ``piece`` over and over until an answer's head arrives; (answer, bytes sent)."""
    sock.settimeout(0.2)
    answer, sent, started = b"", 0, time.monotonic()
    while sent < at_most and time.monotonic() - started < 10:
        with suppress(TimeoutError, OSError):
            sock.sendall(piece)
            sent += len(piece)
        with suppress(TimeoutError, BlockingIOError):
            answer += sock.recv(65536)
        if b"\r\n\r\n" in answer:
            break
    sock.close()
    return answer, sent


def test_64_slow_connections_for_60_seconds_do_not_hold_up_anyone(tmp_path):
    with live_server_any_db(tmp_path, workers=2) as server:
        value(server.soap_url, server.secret, "alter_contacts", [contact(501)])
        timings: dict[str, list[float]] = {"greet": [], "init_session": [], "page": []}
        failures: list[str] = []
        port = int(server.base_url.rsplit(":", 1)[1])
        with SlowCrowd(port, count=64, drip_seconds=5) as crowd:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                for name, send in (
                    ("greet", lambda: requests.post(server.soap_url, data=_greet_body(),
                                                    headers=signed_headers(server.secret, _greet_body()),
                                                    timeout=5)),
                    ("init_session", lambda: requests.post(
                        server.soap_url,
                        data=(body := encode_call(DEFAULT_NAMESPACE, "init_session",
                                                  [("id", 501), ("ip", "127.0.0.1"), ("act", "list")])),
                        headers=signed_headers(server.secret, body), timeout=5)),
                    ("page", lambda: requests.get(f"{server.base_url}/desk/login/", timeout=5)),
                ):
                    started = time.monotonic()
                    try:
                        status = send().status_code
                    except requests.RequestException as exc:
                        failures.append(f"{name}: {exc}")
                        continue
                    timings[name].append(time.monotonic() - started)
                    if status != 200:
                        failures.append(f"{name}: HTTP {status}")
                time.sleep(0.25)
        assert not failures, failures[:5]
        for name, seconds in timings.items():
            assert len(seconds) > 50, name
            assert max(seconds) < 1.0, (name, max(seconds), statistics.median(seconds))
        # The crowd really was 64 strong while the calls were made.
        assert crowd.open_counts and min(crowd.open_counts) == 64


def test_a_body_that_trickles_gets_408_and_never_reaches_the_application(guarded):
    sock = _connect(guarded)
    sock.sendall(b"POST /soap/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n<")
    started = time.monotonic()
    answer = b""
    with suppress(OSError):
        for _ in range(20):
            sock.sendall(b"x")
            time.sleep(0.5)
    answer = _answer(sock, 5)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 8
    # The endpoint never saw it: no refused signature was logged for it.
    assert "no X-HSPC-Signature header" not in guarded.log()


def test_headers_that_trickle_are_cut_off(guarded):
    sock = _connect(guarded)
    sock.sendall(b"GET /desk/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    closed_after = None
    for _ in range(40):
        try:
            sock.sendall(b"X-Slow: y\r\n")
        except OSError:
            closed_after = time.monotonic() - started
            break
        time.sleep(0.25)
    sock.close()
    assert closed_after is not None and closed_after < 6


@pytest.mark.parametrize("path", ["/soap/", "/tickets/new/", "/desk/login/"])
def test_a_declared_length_over_the_limit_is_refused_while_the_client_is_still_sending(guarded, path):
    before = _all_files(guarded.tmp) + _all_files(guarded.data_dir / "attachments")
    sock = _connect(guarded)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                 f"boundary=b\r\nCookie: csrftoken=abc\r\nContent-Length: {315 * MIB}\r\n\r\n".encode())
    answer, sent = _send_until_answered(sock, b"y" * 65536, 20 * MIB)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert sent < 20 * MIB  # answered long before the body was done
    assert _all_files(guarded.tmp) + _all_files(guarded.data_dir / "attachments") == before


def test_a_chunked_body_is_cut_at_the_limit(guarded):
    sock = _connect(guarded)
    sock.sendall(b"POST /desk/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    chunk = b"a" * 65536
    answer, sent = _send_until_answered(sock, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n", 50 * MIB)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert sent < 10 * MIB


def test_a_chunked_soap_call_under_the_limit_is_served(guarded):
    body = _greet_body()
    response = requests.post(guarded.soap_url, data=iter([body[:50], body[50:]]),
                             headers=signed_headers(guarded.secret, body), timeout=10)
    assert response.status_code == 200, response.text
    assert b"Extdesk" in response.content


def test_a_signed_in_customer_over_the_upload_limit_gets_413_and_nothing_is_written(guarded):
    value(guarded.soap_url, guarded.secret, "alter_contacts", [contact(777)])
    customer = Customer(guarded.base_url)
    customer.log_in(value(guarded.soap_url, guarded.secret, "init_session", 777, "127.0.0.1", "add"))
    url = f"{guarded.base_url}/tickets/new/"
    token = _CSRF.search(customer.session.get(url, timeout=30).text)[1]
    before = _all_files(guarded.tmp) + _all_files(guarded.data_dir / "attachments")
    # Six files of 10 MiB: over five attachments' worth plus the margin.
    files = [("attachments", (f"f{i}.bin", b"z" * (10 * MIB), "application/octet-stream")) for i in range(6)]
    with suppress(requests.ConnectionError):
        response = customer.session.post(url, data={"csrfmiddlewaretoken": token,
                                                    "subject": "oversized-upload", "body": "six files"},
                                         files=files, headers={"Referer": url}, timeout=60)
        assert response.status_code == 413
        assert "at most" in response.text
    assert _all_files(guarded.tmp) + _all_files(guarded.data_dir / "attachments") == before
    assert "oversized-upload" not in customer.session.get(f"{guarded.base_url}/tickets/", timeout=30).text


def test_a_header_spelled_with_underscores_is_not_taken_for_the_hyphenated_one(guarded):
    body = _greet_body()
    signed = signed_headers(guarded.secret, body)
    disguised = {name.replace("-", "_"): value for name, value in signed.items()
                 if name.lower() != "content-type"}
    refused = requests.post(guarded.soap_url, data=body, timeout=10,
                            headers={"Content-Type": "text/xml", **disguised})
    assert refused.status_code == 401
    assert requests.post(guarded.soap_url, data=body, headers=signed_headers(guarded.secret, body),
                         timeout=10).status_code == 200


def test_paths_and_queries_beyond_ascii_reach_the_application_intact(guarded):
    response = requests.get(f"{guarded.base_url}/tickets/%C3%BC%E2%82%AC/?q=%C3%A9", timeout=10)
    assert response.status_code in (302, 403, 404)  # the portal's answer, not a server error
    wsdl = requests.get(f"{guarded.soap_url}?WSDL", timeout=10)
    assert wsdl.status_code == 200 and b"definitions" in wsdl.content
