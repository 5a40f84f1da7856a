"""init_session over real signed SOAP against `extdesk serve`, then the URL it returns."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from extdesk.soap.envelope import decode_response, encode_call
from extdesk.soap.exceptions import FaultReceived
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.support.server import live_server_any_db
from tests.support.signing import post

pytestmark = pytest.mark.slow

PERL_CLIENT = Path(__file__).parents[1] / "interop" / "soaplite_client.pl"


def call(server, method: str, *params: tuple[str, object]):
    response = post(server.soap_url, server.secret, encode_call(DEFAULT_NAMESPACE, method, params))
    return response.status_code, decode_response(response.content)


def init_session(server, person_id: object, ip: str, act: str) -> str:
    status, result = call(server, "init_session", ("id", person_id), ("ip", ip), ("act", act))
    assert status == 200
    return result


def fault_of(server, *params) -> str:
    response = post(server.soap_url, server.secret, encode_call(DEFAULT_NAMESPACE, "init_session", params))
    assert response.status_code == 500
    with pytest.raises(FaultReceived) as caught:
        decode_response(response.content)
    assert caught.value.code in ("Client", "soap:Client")
    return caught.value.message


def push_contacts(server) -> None:
    records = [
        {"id": 501, "email": "ann@example.com", "first_name": "Ann", "accounts": "acme"},
        {"id": 502, "email": "bob@example.com", "first_name": "Bob", "accounts": "acme, other"},
    ]
    status, result = call(server, "alter_contacts", ("contacts", records))
    assert status == 200 and int(result) == 2


@pytest.fixture(scope="module")
def synced(server):
    push_contacts(server)
    return server


def test_url_is_the_base_url_plus_a_long_token(synced):
    url = init_session(synced, 501, "127.0.0.1", "add")
    assert url.startswith(f"{synced.base_url}/sso/")
    token = url.rsplit("/", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 bits, URL-safe
    assert init_session(synced, 501, "127.0.0.1", "add") != url


def test_valid_once_then_refused(synced):
    url = init_session(synced, 501, "127.0.0.1", "add")
    browser = requests.Session()
    first = browser.get(url, allow_redirects=False, timeout=30)
    assert first.status_code == 302
    assert urlsplit(first.headers["Location"]).path == "/tickets/new/"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in first.headers["Cache-Control"]
    assert "sessionid" in browser.cookies
    page = browser.get(f"{synced.base_url}/tickets/new/", timeout=30)
    assert page.status_code == 200 and 'name="subject"' in page.text
    second = requests.get(url, allow_redirects=False, timeout=30)
    assert second.status_code == 410
    assert "sessionid" not in second.cookies
    assert second.headers["Referrer-Policy"] == "no-referrer"


def test_list_act_lands_on_the_ticket_list(synced):
    url = init_session(synced, 502, "127.0.0.1", "list")
    browser = requests.Session()
    landed = browser.get(url, timeout=30)
    assert landed.status_code == 200
    assert urlsplit(landed.url).path == "/tickets/"
    assert "My tickets" in landed.text


def test_logged_in_customer_files_a_ticket(synced):
    browser = requests.Session()
    form = browser.get(init_session(synced, 502, "::ffff:127.0.0.1", "add"), timeout=30)
    assert urlsplit(form.url).path == "/tickets/new/"
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    account = re.search(r'<option value="(\d+)">other</option>', form.text)[1]
    filed = browser.post(
        form.url,
        data={"csrfmiddlewaretoken": csrf, "subject": "Live ticket", "body": "Filed over HTTP",
              "priority": "2", "account": account},
        files={"attachments": ("trace.log", b"stack trace", "text/plain")},
        headers={"Referer": form.url}, timeout=30,
    )
    assert filed.status_code == 200
    assert re.fullmatch(r"/tickets/\d+/", urlsplit(filed.url).path)
    assert "Filed over HTTP" in filed.text and "trace.log" in filed.text
    link = re.search(r'href="(/files/\d+/trace.log)"', filed.text)[1]
    download = browser.get(synced.base_url + link, timeout=30)
    assert download.content == b"stack trace"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert requests.get(synced.base_url + link, timeout=30).status_code == 404


def test_wrong_ip_is_refused(synced):
    url = init_session(synced, 501, "192.0.2.44", "list")
    response = requests.get(url, allow_redirects=False, timeout=30)
    assert response.status_code == 403
    assert "sessionid" not in response.cookies


def test_tampered_token_is_refused(synced):
    url = init_session(synced, 501, "127.0.0.1", "list")
    flipped = url[:-1] + ("A" if url[-1] != "A" else "B")
    for bad in (flipped, url[:-1], url + "A", url.rsplit("/", 1)[0] + "/" + "A" * 43):
        assert requests.get(bad, allow_redirects=False, timeout=30).status_code == 403
    assert requests.get(url, allow_redirects=False, timeout=30).status_code == 302


def test_concurrent_uses_have_one_winner(synced):
    url = init_session(synced, 501, "127.0.0.1", "list")
    barrier = threading.Barrier(6)
    codes: list[int] = []

    def visit() -> None:
        barrier.wait()
        codes.append(requests.get(url, allow_redirects=False, timeout=60).status_code)

    threads = [threading.Thread(target=visit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The losers find it used: gone (410).
    assert sorted(codes) == [302, 410, 410, 410, 410, 410]


@pytest.mark.parametrize(("params", "expected"), [
    ((("id", 999), ("ip", "127.0.0.1"), ("act", "add")), "no contact with id 999"),
    ((("id", "abc"), ("ip", "127.0.0.1"), ("act", "add")), "id must be an integer"),
    ((("id", 0), ("ip", "127.0.0.1"), ("act", "add")), "id must be an integer >= 1"),
    ((("id", 501), ("ip", "not-an-ip"), ("act", "add")), "'not-an-ip' is not an IPv4 or IPv6 address"),
    ((("id", 501), ("ip", "300.1.2.3"), ("act", "add")), "is not an IPv4 or IPv6 address"),
    ((("id", 501), ("ip", "127.0.0.1"), ("act", "delete")), "act must be add or list"),
    ((("id", 501), ("ip", "127.0.0.1")), "init_session takes 3 parameter(s)"),
])
def test_bad_arguments_are_client_faults(synced, params, expected):
    assert expected in fault_of(synced, *params)


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
def test_soaplite_client_gets_a_working_url(synced):
    completed = subprocess.run(
        ["perl", str(PERL_CLIENT), synced.soap_url, synced.secret, "init_session",
         json.dumps([501, "127.0.0.1", "list"])],
        capture_output=True, timeout=120, check=True,
    )
    answer = json.loads(completed.stdout)
    assert answer["http_status"] == "200"
    assert requests.get(answer["result"], allow_redirects=False, timeout=30).status_code == 302
    fault = json.loads(subprocess.run(
        ["perl", str(PERL_CLIENT), synced.soap_url, synced.secret, "init_session",
         json.dumps([501, "127.0.0.1", "bogus"])],
        capture_output=True, timeout=120, check=True,
    ).stdout)
    assert fault["fault"]["code"] == "soap:Client"


def test_wsdl_lists_init_session(synced):
    wsdl = requests.get(f"{synced.soap_url}?wsdl", timeout=30).text
    assert 'name="init_session"' in wsdl


def test_expired_url_is_refused(tmp_path_factory):
    with live_server_any_db(tmp_path_factory.mktemp("short-ttl"), workers=1,
                            extra_env={"EXTDESK_SSO_TTL": "1"}) as short:
        push_contacts(short)
        url = init_session(short, 501, "127.0.0.1", "list")
        time.sleep(1.5)
        response = requests.get(url, allow_redirects=False, timeout=30)
        assert response.status_code == 410
        assert "sessionid" not in response.cookies
