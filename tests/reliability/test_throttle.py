"""Failed-signature throttling, against a real server (PROTOCOL.md section 3)."""

from __future__ import annotations

import http.client
import time

import pytest
from lxml import etree

from extdesk.config import load_config
from extdesk.soap import signature
from extdesk.soap.envelope import encode_call
from tests.support.server import live_server_any_db

pytestmark = pytest.mark.slow

LIMIT = 5
WINDOW = 4
WRONG_SECRET = "not-the-secret-at-all-0123"
GREET = encode_call("urn:HSPC/ExternalHelpdesk", "greet", [])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"EXTDESK_AUTH_FAIL_LIMIT": str(LIMIT), "EXTDESK_AUTH_FAIL_WINDOW": str(WINDOW)}
    with live_server_any_db(tmp_path_factory.mktemp("throttle"), extra_env=env) as running:
        yield running


def post(server, header: str | None, body: bytes = GREET, source: str = "127.0.0.1"):
    """POST from loopback address ``source``; (status, headers, body)."""
    port = int(server.base_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if header is not None:
        headers[signature.HEADER_NAME] = header
    try:
        conn.request("POST", "/soap/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.msg, response.read()
    finally:
        conn.close()


def faultstring(body: bytes) -> str:
    root = etree.fromstring(body)
    return root.findtext(".//faultstring")


def test_defaults_are_twenty_failures_a_minute():
    config = load_config({"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp"})
    assert (config.auth_fail_limit, config.auth_fail_window) == (20, 60)


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_bad_settings_are_refused_by_name(value):
    from extdesk.config import ConfigError

    for name in ("EXTDESK_AUTH_FAIL_LIMIT", "EXTDESK_AUTH_FAIL_WINDOW"):
        with pytest.raises(ConfigError, match=name):
            load_config({"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp", name: value})


def test_failures_throttle_the_address_until_the_window_has_passed(server):
    sent_headers = []
    started = time.time()
    for attempt in range(LIMIT):
        header = signature.sign(WRONG_SECRET, GREET)
        sent_headers.append(header)
        status, _, body = post(server, header if attempt else "t=1, n=short, s=00")
        assert status == 401, body
        assert faultstring(body) == "authentication failed"

    # Correctly signed, but the address is throttled: 429, still a SOAP
    # fault, and the request is not processed (its nonce stays unused).
    good = signature.sign(server.secret, GREET)
    status, headers, body = post(server, good)
    assert status == 429
    assert headers["Content-Type"].startswith("text/xml")
    assert b"<faultcode>soap:Client</faultcode>" in body
    assert "too many failed authentications" in faultstring(body)
    retry_after = int(headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW

    # Another address is not affected.
    status, _, body = post(server, signature.sign(server.secret, GREET), source="127.0.0.2")
    assert status == 200, body

    # Still throttled a moment later, whatever is sent; counting does not
    # extend the window.
    for _ in range(3):
        status, _, _ = post(server, signature.sign(WRONG_SECRET, GREET))
        assert status == 429

    time.sleep(max(0.0, started + WINDOW + 1.1 - time.time()))
    status, _, body = post(server, good)
    assert status == 200, body
    assert b"Extdesk" in body

    # A fresh window: failures start counting from one again.
    for _ in range(LIMIT - 1):
        assert post(server, signature.sign(WRONG_SECRET, GREET))[0] == 401
    assert post(server, signature.sign(server.secret, GREET))[0] == 200

    log = server.log()
    assert "throttling 127.0.0.1" in log
    assert "127.0.0.2" not in log.split("throttling", 1)[1].split("\n", 1)[0]
    for secret in (server.secret, WRONG_SECRET):
        assert secret not in log
    for header in [*sent_headers, good]:
        parsed = signature.parse_header(header)
        assert parsed.signature not in log
        assert parsed.nonce not in log
