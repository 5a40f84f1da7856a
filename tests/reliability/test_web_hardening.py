"""Web hardening: deployment checks, cookies, HSTS and CSP on real servers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

import extdesk
from extdesk.security.middleware import CONTENT_SECURITY_POLICY
from tests.reliability.customer import Customer
from tests.reliability.soap_calls import contact, value
from tests.support.server import live_server_any_db, server_env

pytestmark = pytest.mark.slow


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    env = server_env(tmp_path, None, EXTDESK_BASE_URL="https://helpdesk.example.com")
    result = subprocess.run(
        [sys.executable, "-m", "extdesk.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout



@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, certificate):
    cert, key = certificate
    with live_server_any_db(tmp_path_factory.mktemp("tls-server"), scheme="https", verify=str(cert),
                            serve_args=("--certfile", str(cert), "--keyfile", str(key))) as running:
        yield running


def test_login_over_https_sets_a_locked_down_session_cookie(tls_server, certificate):
    cert, _ = certificate
    soap, secret = tls_server.soap_url, tls_server.secret
    value(soap, secret, "alter_contacts", [contact(5)], verify=str(cert))
    url = value(soap, secret, "init_session", 5, "127.0.0.1", "list", verify=str(cert))
    assert url.startswith(tls_server.base_url + "/")

    browser = requests.Session()
    landing = browser.get(url, allow_redirects=False, timeout=30, verify=str(cert))
    assert landing.status_code == 302
    assert landing.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in landing.headers["Cache-Control"]
    [session_cookie] = [c for c in landing.raw.headers.getlist("Set-Cookie") if c.startswith("sessionid=")]
    attributes = {part.strip().split("=")[0].lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= attributes
    assert "samesite=lax" in session_cookie.lower().replace(" ", "")

    page = browser.get(tls_server.base_url + urlsplit(landing.headers["Location"]).path, timeout=30,
                       verify=str(cert))
    assert page.status_code == 200
    for response in (landing, page):
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload")
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_every_kind_of_page_carries_the_content_security_policy(server):
    base = server.base_url
    pages = {
        "refused login": requests.get(f"{base}/sso/{'x' * 43}", timeout=30),
        "not found": requests.get(f"{base}/no/such/page", timeout=30),
        "desk sign-in": requests.get(f"{base}/desk/", timeout=30),
        "admin": requests.get(f"{base}/admin/", timeout=30),
        "stylesheet": requests.get(f"{base}/static/extdesk/app.css", timeout=30),
        "wsdl": requests.get(f"{base}/soap/?wsdl", timeout=30),
    }
    for name, response in pages.items():
        assert response.status_code < 500, name
        assert response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, name
        # Plain HTTP: no HSTS (browsers ignore it there, and it would lie).
        assert "Strict-Transport-Security" not in response.headers, name
    policy = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


def test_uploaded_files_are_served_as_downloads_never_sniffed(server):
    value(server.soap_url, server.secret, "alter_contacts", [contact(8)])
    customer = Customer(server.base_url)
    customer.log_in(value(server.soap_url, server.secret, "init_session", 8, "127.0.0.1", "add"))
    html_payload = b"<html><script>alert(1)</script></html>"
    number = customer.new_ticket("Please look", "See the file.",
                                 files=[("attachments", ("page.html", html_payload, "text/html"))])
    [link] = re.findall(r'href="(/files/[0-9]+/[^"]+)"', customer.ticket_page(number))
    download = customer.session.get(server.base_url + link, timeout=30)
    assert download.status_code == 200
    assert download.content == html_payload
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Its own stricter policy wins over the site-wide one.
    assert "sandbox" in download.headers["Content-Security-Policy"]
    # Someone else's browser gets nothing.
    assert requests.get(server.base_url + link, timeout=30).status_code == 404


TEMPLATE_DIRS = sorted(Path(extdesk.__file__).parent.glob("*/templates"))
INLINE = re.compile(r"<style|<script(?![^>]*\bsrc=)|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


@pytest.mark.parametrize("template", sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html")),
                         ids=lambda p: str(p.relative_to(Path(extdesk.__file__).parent)))
def test_templates_have_no_inline_script_or_style(template):
    # The policy forbids them; a browser would silently drop them.
    found = INLINE.findall(template.read_text())
    assert not found, f"{template}: {found}"
