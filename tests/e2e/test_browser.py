"""A real browser (Debian chromium, driven by Playwright) against `extdesk serve`.

The platform pushes a person and calls init_session over signed SOAP; the
customer's browser files a ticket with an attachment; a staff member, made
with `extdesk createstaff`, signs in to the desk in a second browser and
replies; a new init_session (list) shows the reply to the customer.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from extdesk.soap.envelope import decode_response, encode_call
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.support.server import postgres_url
from tests.support.signing import post

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STAFF_PASSWORD = "plum-Violet-41-harbour"
PERSON = {"id": 7001, "email": "ann@acme.example", "first_name": "Ann", "last_name": "Lovelace",
          "accounts": "acme-hosting"}


def soap(server, method: str, *params: tuple[str, object]):
    response = post(server.soap_url, server.secret, encode_call(DEFAULT_NAMESPACE, method, params))
    assert response.status_code == 200, response.text
    return decode_response(response.content)


def init_session(server, act: str) -> str:
    url = soap(server, "init_session", ("id", PERSON["id"]), ("ip", "127.0.0.1"), ("act", act))
    assert url.startswith(f"{server.base_url}/sso/")
    return url


def create_staff(server) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "extdesk.cli", "createstaff", "sam", "--email", "sam@provider.example",
         "--password-stdin"],
        input=f"{STAFF_PASSWORD}\n", env=server.env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "created staff user 'sam'" in done.stdout


def sign_in_to_desk(page, server, username: str, password: str) -> None:
    """Sign ``page`` in to the desk through its login form; it lands on the queue."""
    page.goto(f"{server.base_url}/desk/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}/desk/")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    kind = "postgres" if postgres_url() else "sqlite"
    page.screenshot(path=str(ARTIFACTS / f"{name}-{kind}.png"), full_page=True)


def test_customer_files_staff_replies_customer_reads(server, browser, tmp_path):
    from playwright.sync_api import expect

    assert soap(server, "alter_contacts", ("contacts", [PERSON])) == 1
    create_staff(server)

    # The customer arrives from the control panel on the new-ticket page.
    customer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    page.goto(init_session(server, "add"))
    expect(page).to_have_url(f"{server.base_url}/tickets/new/")
    expect(page.get_by_role("heading", name="New ticket")).to_be_visible()
    shot(page, "new-ticket")

    screenshot_file = tmp_path / "error-screen.txt"
    screenshot_file.write_text("HTTP 500 on /cart since 09:12\n")
    page.get_by_label("Subject").fill("Shop checkout fails")
    page.get_by_label("Priority").select_option(label="High")
    page.get_by_label("Message").fill("Customers get an error when paying.\nSee the attached log.")
    page.get_by_label(re.compile("Attachments")).set_input_files(str(screenshot_file))
    page.get_by_role("button", name="Submit ticket").click()
    # The form's address names its anchor (a refused post opens at the form); the redirect keeps it.
    expect(page).to_have_url(re.compile(rf"{re.escape(server.base_url)}/tickets/\d+/(#new-ticket)?$"))
    number = int(page.url.split("#")[0].rstrip("/").rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name=re.compile("Shop checkout fails"))).to_be_visible()
    expect(page.get_by_text("Customers get an error when paying.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("error-screen.txt"))).to_be_visible()

    # A staff member signs in to the desk in a browser of their own.
    staff = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    desk = staff.new_page()
    desk.goto(f"{server.base_url}/desk/")
    expect(desk).to_have_url(re.compile(r"/desk/login/\?next=/desk/$"))
    desk.get_by_label("User name").fill("sam")
    desk.get_by_label("Password").fill("not the password")
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_role("alert")).to_contain_text("The user name or password is wrong")
    expect(desk.get_by_label("User name")).to_have_value("sam")
    shot(desk, "staff-login-refused")
    desk.get_by_label("Password").fill(STAFF_PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    expect(desk).to_have_url(f"{server.base_url}/desk/")
    row = desk.get_by_role("row").filter(has_text="Shop checkout fails")
    expect(row).to_contain_text(f"#{number}")
    expect(row).to_contain_text("Ann Lovelace")
    expect(row).to_contain_text("High")
    shot(desk, "staff-queue")

    row.get_by_role("link", name="Shop checkout fails").click()
    expect(desk).to_have_url(f"{server.base_url}/desk/tickets/{number}/")
    with desk.expect_download() as download:
        desk.get_by_role("link", name=re.compile("error-screen.txt")).click()
    assert Path(download.value.path()).read_text() == "HTTP 500 on /cart since 09:12\n"
    desk.get_by_label("Message").fill("We found it: the payment module was outdated. Fixed now.")
    desk.get_by_label("Then set status").select_option(label="Waiting on customer")
    desk.get_by_role("button", name="Send reply to customer").click()
    expect(desk.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(desk.locator(".thread-item.from-staff")).to_contain_text("payment module was outdated")
    desk.locator("#mode-note").check()  # the note mode: its own button
    # A note takes the note mode: its button shows only then.
    desk.get_by_role("radio", name="Internal note").check()
    desk.get_by_label("Message").fill("Module updated on web3 only; check web4 next week.")
    desk.get_by_role("button", name="Add internal note").click()
    expect(desk.locator(".thread-item.internal")).to_contain_text("check web4 next week")
    expect(desk.locator(".history")).to_contain_text("Waiting on customer")
    shot(desk, "staff-ticket")

    # A canned reply written on the desk goes into the reply box at the cursor, filled in.
    desk.goto(f"{server.base_url}/desk/canned/new/")
    desk.get_by_label("Name").fill("Greeting")
    desk.get_by_label("Text").fill("Hello {{ contact.first_name }}, about #{{ ticket.number }}.")
    desk.get_by_role("button", name="Save").click()
    expect(desk.get_by_text("Canned reply “Greeting” saved.")).to_be_visible()
    desk.goto(f"{server.base_url}/desk/tickets/{number}/")
    box = desk.get_by_label("Message")
    box.fill("\n\nRegards, Sam")
    box.press("Control+Home")
    desk.get_by_label("Canned reply to insert").select_option(label="Greeting")
    desk.get_by_role("button", name="Insert").click()
    expect(box).to_have_value(f"Hello Ann, about #{number}.\n\nRegards, Sam")
    expect(desk).to_have_url(f"{server.base_url}/desk/tickets/{number}/")  # no page drawn again
    shot(desk, "staff-canned-reply")
    # A bulk change from the queue: tick the row, choose, apply (the ticket waits on the customer now:
    # it is in the Active tab, not in Needs attention).
    desk.goto(f"{server.base_url}/desk/?status=active")
    row = desk.get_by_role("row").filter(has_text="Shop checkout fails")
    row.get_by_role("checkbox", name=f"Select #{number}").check()
    desk.locator("#bulk-priority").select_option(label="Urgent")
    desk.get_by_role("button", name="Set priority").click()
    expect(desk.get_by_text("Set the priority to Urgent: 1 ticket changed.")).to_be_visible()
    expect(desk.get_by_role("row").filter(has_text="Shop checkout fails")).to_contain_text("Urgent")
    shot(desk, "staff-bulk")
    # On a phone the same pages stack into one column.
    desk.set_viewport_size({"width": 390, "height": 844})
    shot(desk, "staff-ticket-phone")
    desk.goto(f"{server.base_url}/desk/?status=active")
    expect(desk.get_by_role("link", name="Shop checkout fails")).to_be_visible()
    shot(desk, "staff-queue-phone")

    # Later the customer comes back through the platform, to the ticket list.
    returning = browser.new_context(viewport={"width": 1280, "height": 900})
    page = returning.new_page()
    page.goto(init_session(server, "list"))
    expect(page).to_have_url(f"{server.base_url}/tickets/")
    # The customer reads the status in their words, not the desk's "Waiting on customer".
    expect(page.get_by_role("row").filter(has_text="Shop checkout fails")).to_contain_text(
        "Awaiting your reply")
    shot(page, "customer-list")
    page.get_by_role("link", name="Shop checkout fails").click()
    expect(page.get_by_text("the payment module was outdated. Fixed now.")).to_be_visible()
    # The internal note is not there.
    expect(page.get_by_text("check web4 next week")).to_have_count(0)
    shot(page, "customer-ticket")

    for context in (customer, staff, returning):
        context.close()
