"""Rating in a real browser (Debian chromium, Playwright) against `extdesk serve`.

Staff resolve a customer's ticket on the desk; the customer opens the
"Good" link of the resolved mail in a browser without a session, adds a
comment and sends it; signed in through the platform, they change it to
"Bad" on the ticket page; the desk's ticket shows it and the queue's
filter finds it. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import email
import re
from email import policy

import pytest

from tests.e2e.test_browser import (
    PERSON,
    STAFF_PASSWORD,
    create_staff,
    init_session,
    shot,
    sign_in_to_desk,
    soap,
)
from tests.support.server import live_server_any_db

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mailing_server(tmp_path_factory):
    outbox = tmp_path_factory.mktemp("mail")
    with live_server_any_db(tmp_path_factory.mktemp("live"),
                            extra_env={"EXTDESK_EMAIL_URL": f"file://{outbox}"}) as running:
        yield running, outbox


def _good_link(outbox) -> str:
    for path in sorted(outbox.iterdir()):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip(), policy=policy.default)
            body = message.get_body(preferencelist=("plain",))
            if body is not None and (found := re.search(r"Good: (\S+) /", body.get_content())):
                return found.group(1)
    raise AssertionError("no resolved mail with a rating link")


def test_rate_from_the_mail_then_change_it_in_the_portal(mailing_server, browser):
    from playwright.sync_api import expect

    server, outbox = mailing_server
    assert soap(server, "alter_contacts", ("contacts", [PERSON])) == 1
    create_staff(server)
    customer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    page.goto(init_session(server, "add"))
    page.get_by_label("Subject").fill("Backups missing")
    page.get_by_label("Message").fill("No backup since Monday.")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_role("heading", name=re.compile("Backups missing"))).to_be_visible()
    number = int(page.url.split("#")[0].rstrip("/").rsplit("/", 1)[1])

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    sign_in_to_desk(desk, server, "sam", STAFF_PASSWORD)
    desk.goto(f"{server.base_url}/desk/tickets/{number}/")
    desk.get_by_label("Message").fill("The backup job is running again.")
    desk.get_by_label("Then set status").select_option(label="Resolved")
    desk.get_by_role("button", name="Send reply to customer").click()
    expect(desk.get_by_text("Reply sent to the customer.")).to_be_visible()

    # The mailed link, in a browser that has never signed in.
    link = _good_link(outbox)
    assert link.startswith(f"{server.base_url}/rate/{number}/")
    stranger = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = stranger.new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name="Were you helped?")).to_be_visible()
    shot(visitor, "rating-link")
    visitor.get_by_label("Anything you want to tell us?").fill("Quick fix, thanks.")
    visitor.get_by_role("button", name="Send: Good").click()
    expect(visitor.get_by_text("Thank you: your rating is recorded.")).to_be_visible()
    expect(visitor.get_by_text("Your answer so far: Good")).to_be_visible()

    # The signed-in customer changes it on the ticket page.
    page.goto(f"{server.base_url}/tickets/{number}/")
    form = page.locator("#rating")
    expect(form).to_contain_text("You answered Good")
    form.get_by_label("Anything you want to tell us?").fill("Backups failed again overnight.")
    form.get_by_role("button", name="Bad").click()
    expect(page.get_by_text("Thank you: your rating is recorded.")).to_be_visible()
    expect(page.locator("#rating")).to_contain_text("You answered Bad")
    shot(page, "rating-portal")

    desk.goto(f"{server.base_url}/desk/tickets/{number}/")
    card = desk.locator("section.ratings")
    expect(card).to_contain_text("Bad")
    expect(card).to_contain_text("Backups failed again overnight.")
    shot(desk, "rating-desk")
    desk.goto(f"{server.base_url}/desk/?status=all&rating=bad")
    expect(desk.get_by_role("link", name="Backups missing")).to_be_visible()
    desk.goto(f"{server.base_url}/desk/?status=all&rating=good")
    expect(desk.get_by_role("link", name="Backups missing")).to_have_count(0)
    for context in (customer, staff, stranger):
        context.close()
