"""The WSGI entry point answers signed POSTs to /soap/ ahead of Django's
handler, with the same answers and headers as the Django path."""

from __future__ import annotations

import io
import sys

import pytest
import requests

from extdesk import IDENTIFICATION
from extdesk.endpoint.wsgi import SoapFirst
from extdesk.soap.envelope import decode_response, encode_call
from extdesk.soap.exceptions import FaultReceived
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.support.signing import signed_headers

GREET = encode_call(DEFAULT_NAMESPACE, "greet", [])
# Set per connection or per answer by the server, not by the application; and the language
# negotiation of Django's pages (the WSDL reads the same in every language).
_TRANSPORT = {"date", "server", "connection", "content-length", "content-type", "transfer-encoding",
              "content-language", "vary"}


def _app_headers(response: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower() not in _TRANSPORT}


def _fault(body: bytes) -> FaultReceived:
    with pytest.raises(FaultReceived) as caught:
        decode_response(body)
    return caught.value


@pytest.mark.parametrize("path", ["/soap", "/soap/"])
def test_signed_posts_get_the_headers_of_every_other_answer(server, path):
    url = server.base_url + path
    wsdl = requests.get(url + "?wsdl", timeout=30)  # served through Django's middleware
    assert wsdl.status_code == 200
    headers = signed_headers(server.secret, GREET)
    greeted = requests.post(url, data=GREET, headers=headers, timeout=30, allow_redirects=False)
    assert greeted.status_code == 200
    assert decode_response(greeted.content) == IDENTIFICATION
    assert greeted.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert int(greeted.headers["Content-Length"]) == len(greeted.content)
    assert _app_headers(greeted) == _app_headers(wsdl)
    assert {"x-frame-options", "x-content-type-options", "content-security-policy",
            "referrer-policy"} <= set(_app_headers(greeted))
    assert not greeted.cookies

    replayed = requests.post(url, data=GREET, headers=headers, timeout=30)
    assert replayed.status_code == 401
    assert _fault(replayed.content).message == "authentication failed"
    assert _app_headers(replayed) == _app_headers(wsdl)


def test_other_methods_on_the_endpoint_still_reach_django(server):
    answer = requests.put(server.soap_url, data=GREET, timeout=30)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, POST"
    assert "POST a SOAP envelope" in _fault(answer.content).message


def test_over_https_signed_posts_carry_hsts(tmp_path, certificate):
    from tests.support.server import live_server_any_db

    cert, key = certificate
    with live_server_any_db(tmp_path, scheme="https", verify=str(cert),
                            serve_args=("--certfile", str(cert), "--keyfile", str(key))) as tls:
        answer = requests.post(tls.soap_url, data=GREET, headers=signed_headers(tls.secret, GREET),
                               timeout=30, verify=str(cert))
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def _environ(method: str, path: str, body: bytes = b"", **extra: str) -> dict:
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "CONTENT_TYPE": "text/xml; charset=utf-8", "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "wsgi.version": (1, 0), **extra}


class _Django:
    """Stands in for Django's handler to show which requests reach it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        start_response("204 No Content", [])
        return [b""]


@pytest.mark.django_db(transaction=True)
def test_only_posts_to_the_endpoint_skip_django(settings):
    django = _Django()
    app = SoapFirst(django)
    statuses: list[str] = []
    for path in ("/soap", "/soap/"):
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v
                for k, v in signed_headers(settings.EXTDESK_SECRET, GREET).items()}
        body = b"".join(app(_environ("POST", path, GREET, **meta),
                            lambda status, headers: statuses.append(status)))
        assert decode_response(body) == IDENTIFICATION
    for method, path in (("GET", "/soap/"), ("POST", "/soap/x"), ("POST", "/desk/login/")):
        app(_environ(method, path), lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK", "200 OK", "204 No Content", "204 No Content", "204 No Content"]
    assert django.paths == ["GET /soap/", "POST /soap/x", "POST /desk/login/"]


@pytest.mark.django_db(transaction=True)
def test_a_body_shorter_than_its_content_length_is_refused_not_waited_for(settings):
    app = SoapFirst(_Django())
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v
            for k, v in signed_headers(settings.EXTDESK_SECRET, GREET).items()}
    statuses: list[str] = []
    environ = _environ("POST", "/soap/", GREET[:-20], **meta)
    environ["CONTENT_LENGTH"] = str(len(GREET))
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["401 Unauthorized"]
    assert _fault(body).message == "authentication failed"
