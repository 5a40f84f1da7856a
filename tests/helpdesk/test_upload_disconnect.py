"""A client that disconnects in the middle of an upload leaves no row and no file (real server, real HTTP)."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.reliability.customer import Customer
from tests.reliability.soap_calls import contact, value

MIB = 1024 * 1024
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _files(data_dir: Path) -> set[Path]:
    return {p for p in (data_dir / "attachments").rglob("*") if p.is_file()}


def _reply_request(customer: Customer, number: int, body: str) -> requests.PreparedRequest:
    url = f"{customer.base_url}/tickets/{number}/"
    token = _CSRF.search(customer.session.get(url, timeout=60).text)[1]
    files = [("attachments", ("one.bin", b"1" * MIB, "application/octet-stream")),
             ("attachments", ("two.bin", b"2" * (3 * MIB), "application/octet-stream"))]
    request = requests.Request("POST", url, data={"csrfmiddlewaretoken": token, "body": body}, files=files,
                               headers={"Referer": url})
    return customer.session.prepare_request(request)


def _send_part_and_hang_up(prepared: requests.PreparedRequest, fraction: float) -> None:
    parts = urlsplit(prepared.url)
    head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    headers = {name: v for name, v in prepared.headers.items() if name.lower() != "connection"}
    head += "".join(f"{name}: {v}\r\n" for name, v in headers.items())
    body = prepared.body
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n" + body[: int(len(body) * fraction)])
        time.sleep(0.5)


def test_an_upload_cut_midway_leaves_nothing_and_the_next_one_succeeds(server):
    value(server.soap_url, server.secret, "alter_contacts", [contact(4242)])
    login_url = value(server.soap_url, server.secret, "init_session", 4242, "127.0.0.1", "list")
    customer = Customer(server.base_url)
    customer.log_in(login_url)
    number = customer.new_ticket("Upload test", "first message")
    before = _files(server.data_dir)

    # Cut inside the second file, after the first was sent whole.
    for fraction in (0.5, 0.95):
        _send_part_and_hang_up(_reply_request(customer, number, f"cut at {fraction}"), fraction)
    time.sleep(1)
    page = customer.ticket_page(number)
    assert "cut at" not in page
    assert _files(server.data_dir) == before
    assert server.log().count(f"for /tickets/{number}/: the client went away after") == 2

    response = customer.session.send(_reply_request(customer, number, "sent whole"), allow_redirects=False,
                                     timeout=60)
    assert response.status_code == 302, response.text[:500]
    assert "sent whole" in customer.ticket_page(number)
    assert len(_files(server.data_dir) - before) == 2
