"""Transport failures: server down, an HTML error page, no answer, TLS trust."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from extdesk.client import HelpdeskClient, TransportError
from extdesk.soap.envelope import decode_call, encode_response
from tests.support.server import SECRET, free_port, live_server_any_db

from .conftest import run_client

BAD_GATEWAY = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
               b"<body><h1>Bad Gateway</h1></body></html>")


@contextmanager
def tiny_server(handler_class: type[BaseHTTPRequestHandler]) -> Iterator[tuple[str, list[dict]]]:
    """A local HTTP server answering with ``handler_class``; yields its URL and the requests' headers."""
    seen: list[dict] = []

    class Recording(handler_class):
        def log_message(self, *args):
            pass

    Recording.seen = seen
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/soap/", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


class BadGateway(BaseHTTPRequestHandler):
    seen: list[dict]

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append(dict(self.headers))
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(BAD_GATEWAY)))
        self.end_headers()
        self.wfile.write(BAD_GATEWAY)


class Silent(BaseHTTPRequestHandler):
    seen: list[dict]

    def do_POST(self):
        self.seen.append(dict(self.headers))
        time.sleep(2)


class CountingHelpdesk(BaseHTTPRequestHandler):
    """Answers alter_contacts with the number of items it received."""

    seen: list[dict]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        call = decode_call(body)
        self.seen.append({**self.headers, "received": len(body), "items": len(call.params[0][1])})
        answer = encode_response(call.namespace, call.method, len(call.params[0][1]))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def test_a_large_push_goes_in_batches_each_with_its_exact_length():
    records = [{"id": i, "email": f"b{i}@example.com", "last_name": "Ünal"} for i in range(1, 2501)]
    with tiny_server(CountingHelpdesk) as (url, seen), \
            HelpdeskClient(url, SECRET, batch_size=1000) as client:
        assert client.alter_contacts(records) == 2500
    assert [request["items"] for request in seen] == [1000, 1000, 500]
    for request in seen:
        assert int(request["Content-Length"]) == request["received"]
        assert "Transfer-Encoding" not in request


def test_server_down_is_a_transport_error_after_retries():
    url = f"http://127.0.0.1:{free_port()}/soap/"
    started = time.monotonic()
    with HelpdeskClient(url, SECRET, retries=2, backoff=0.2) as client, \
            pytest.raises(TransportError, match=r"Connection refused.*check that the helpdesk is running"):
        client.greet()
    # Two retries with backoff 0.2 s and 0.4 s (+-20 %) were waited for.
    assert time.monotonic() - started >= 0.45
    result = run_client("list", "--url", url, "--retries", "0", env={"EXTDESK_SECRET": SECRET})
    assert result.returncode == 3
    assert result.stderr.startswith(f"extdesk client: cannot connect to {url} (Connection refused)")
    assert result.stderr.count("\n") == 1
    status = run_client("status", "--url", url, "--retries", "0", env={"EXTDESK_SECRET": SECRET})
    assert status.returncode == 3 and "reachable: no" in status.stdout.splitlines()
    assert status.stderr.count("\n") == 1


def test_an_html_502_page_is_a_transport_error_and_is_retried_with_fresh_signatures():
    with tiny_server(BadGateway) as (url, seen):
        with HelpdeskClient(url, SECRET, retries=2, backoff=0.01) as client, \
                pytest.raises(TransportError) as caught:
            client.list_contacts()
        message = str(caught.value)
        assert "HTTP 502 with text/html" in message and '"502 Bad Gateway"' in message
        assert "not a SOAP envelope" in message
        assert len(seen) == 3
        nonces = {headers["X-HSPC-Signature"].split("n=")[1].split(",")[0] for headers in seen}
        assert len(nonces) == 3
        assert all(headers["Content-Type"] == "text/xml; charset=utf-8" for headers in seen)
        assert all(headers["SOAPAction"] == '"urn:HSPC/ExternalHelpdesk#list_contacts"' for headers in seen)

        result = run_client("greet", "--url", url, "--retries", "0", env={"EXTDESK_SECRET": SECRET})
        assert result.returncode == 3 and result.stderr.count("\n") == 1
        assert "HTTP 502" in result.stderr


def test_no_answer_within_the_timeout_is_a_transport_error():
    with tiny_server(Silent) as (url, seen), \
            HelpdeskClient(url, SECRET, timeout=0.3, retries=0) as client, \
            pytest.raises(TransportError, match=r"no answer from .* within 0.3 s"):
        client.greet()
    assert len(seen) == 1



@pytest.mark.slow
def test_https_with_a_self_signed_certificate(certificate, tmp_path):
    cert, key = certificate
    with live_server_any_db(tmp_path, scheme="https", verify=str(cert),
                            serve_args=("--certfile", str(cert), "--keyfile", str(key))) as server:
        assert server.soap_url.startswith("https://")
        with HelpdeskClient(server.soap_url, server.secret, verify=str(cert)) as trusted:
            assert trusted.greet() == "Extdesk 1.0.0"
            assert trusted.alter_contacts([{"id": 1, "email": "tls@example.com"}]) == 1
        started = time.monotonic()
        with HelpdeskClient(server.soap_url, server.secret, retries=3) as untrusted, \
                pytest.raises(TransportError, match=r"could not be verified.*--ca-bundle") as caught:
            untrusted.greet()
        assert not caught.value.retryable and time.monotonic() - started < 5
        env = {"EXTDESK_SECRET": server.secret}
        good = run_client("list", "--url", server.soap_url, "--ca-bundle", str(cert), env=env)
        assert (good.returncode, good.stdout) == (0, "1\n")
        refused = run_client("list", "--url", server.soap_url, env=env)
        assert refused.returncode == 3 and "certificate" in refused.stderr
