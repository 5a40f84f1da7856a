"""Two agents on one ticket in real browsers (Debian chromium, Playwright) against `extdesk serve`.

Alice and Bob, made with `extdesk createstaff --name`, open the same ticket:
Bob sees Alice viewing, then replying; Alice answers; Bob's page learns
that the ticket changed, and his own later reply is held back (409) with
Alice's answer shown, his draft kept and the cursor in it, until he sends
it anyway. Alice's tab closes and Bob stops seeing her. Then the keyboard
(j/k/o/r/n/a, / and ?), a refused empty reply that opens at the form, the
customer reading Alice's display name, and the desk at 390 px wide.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.test_browser import shot, sign_in_to_desk, soap

pytestmark = pytest.mark.slow

PASSWORD = "plum-Violet-41-harbour"
PERSON = {"id": 7101, "email": "ann@acme.example", "first_name": "Ann", "last_name": "Lovelace",
          "accounts": "acme-hosting"}
# Longer than the pages' poll (desk.presence.POLL_SECONDS), so that one poll surely fell in it.
POLL_WAIT_MS = 15_000


def init_session(server, act: str) -> str:
    url = soap(server, "init_session", ("id", PERSON["id"]), ("ip", "127.0.0.1"), ("act", act))
    assert url.startswith(f"{server.base_url}/sso/")
    return url


def run_cli(server, *args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "extdesk.cli", *args], input=stdin, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def seed_tickets(server) -> list[int]:
    """Three tickets of the person the platform pushed, through the helpdesk's own service."""
    code = (
        "from extdesk.contacts.models import Contact\n"
        "from extdesk.helpdesk import services\n"
        f"c = Contact.objects.get(platform_id={PERSON['id']})\n"
        "for subject in ('Refund please', 'DNS not resolving', 'Backup failed'):\n"
        "    print(services.create_ticket(contact=c, subject=subject, body=subject + ', since today.').pk)\n"
    )
    out = run_cli(server, "manage", "shell", "--no-imports", "-c", code)
    return [int(n) for n in out.split()]


def sign_in(browser, server, username: str, **viewport):
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_to_desk(page, server, username, PASSWORD)
    return context, page


def test_two_agents_one_ticket_keyboard_and_phone(server, browser):
    from playwright.sync_api import expect

    assert soap(server, "alter_contacts", ("contacts", [PERSON])) == 1
    out = run_cli(server, "createstaff", "alice", "--name", "Alice Smith", "--password-stdin",
                  stdin=f"{PASSWORD}\n")
    assert "customers see 'Alice Smith'" in out
    run_cli(server, "createstaff", "bob", "--name", "Bob Jones", "--password-stdin", stdin=f"{PASSWORD}\n")
    refund, _dns, _backup = seed_tickets(server)
    ticket_url = f"{server.base_url}/desk/tickets/{refund}/"

    alice_context, alice = sign_in(browser, server, "alice")
    bob_context, bob = sign_in(browser, server, "bob")
    alice.goto(ticket_url)
    bob.goto(ticket_url)
    presence = bob.locator("#presence .presence")
    expect(presence).to_have_text("Alice Smith is viewing")
    expect(alice.locator("#presence .presence")).to_have_text("Bob Jones is viewing", timeout=POLL_WAIT_MS)

    # Alice starts writing: Bob's page hears it at its next poll.
    alice.get_by_label("Message").fill("Refunded today.")
    expect(presence).to_have_text("Alice Smith is replying", timeout=POLL_WAIT_MS)
    alice.get_by_label("Then set status").select_option(label="Resolved")
    alice.get_by_role("button", name="Send reply to customer").click()
    expect(alice.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(bob.locator(".stale-note")).to_be_visible(timeout=POLL_WAIT_MS)
    shot(bob, "desk-presence-stale")

    # Bob, on the page drawn before, answers too: nothing goes out, and he is shown why.
    bob.get_by_label("Message").fill("Will refund within 3 days.")
    bob.get_by_role("button", name="Send reply to customer").click()
    conflict = bob.locator("#conflict-reply")
    expect(conflict).to_contain_text("Alice Smith changed this ticket since you opened it")
    expect(conflict).to_contain_text("Refunded today.")
    expect(conflict).to_contain_text("Resolved")
    box = bob.get_by_label("Message")
    expect(box).to_have_value("Will refund within 3 days.")
    expect(box).to_be_focused()
    expect(conflict).to_be_in_viewport()
    expect(bob.get_by_role("button", name="Send reply to customer")).to_have_count(0)
    shot(bob, "desk-conflict")
    bob.get_by_role("button", name="Send reply anyway").click()
    expect(bob.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(bob.locator(".thread-item.from-staff").last).to_contain_text("Will refund within 3 days.")

    # Alice's tab closes: it says goodbye, and Bob's next poll no longer names her.
    expect(presence).to_have_text("Alice Smith is viewing")
    alice.close(run_before_unload=True)
    expect(presence).to_have_text("", timeout=POLL_WAIT_MS)
    alice_context.close()

    # The keyboard: n and r switch the reply box; the note mode looks different.
    reply_form = bob.locator("#reply")
    reply_colour = reply_form.evaluate("form => getComputedStyle(form).backgroundColor")
    bob.keyboard.press("n")
    expect(bob.locator("#mode-note")).to_be_checked()
    expect(box).to_be_focused()
    expect(bob.get_by_role("button", name="Add internal note")).to_be_visible()
    expect(bob.get_by_role("button", name="Send reply to customer")).to_be_hidden()
    assert reply_form.evaluate("form => getComputedStyle(form).backgroundColor") != reply_colour
    shot(bob, "desk-note-mode")
    bob.keyboard.press("Escape")
    bob.keyboard.press("r")
    expect(bob.locator("#mode-reply")).to_be_checked()
    expect(bob.get_by_role("button", name="Add internal note")).to_be_hidden()
    bob.keyboard.press("Escape")
    bob.keyboard.press("?")
    expect(bob.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    bob.keyboard.press("Escape")
    expect(bob.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    bob.keyboard.press("a")
    expect(bob.locator(".page-head .meta")).to_contain_text("assigned to Bob Jones")

    # An empty reply is refused where Bob is looking: the page opens at the form, cursor in the box.
    bob.get_by_role("button", name="Send reply to customer").click()
    expect(bob.locator("#id_body_error")).to_be_in_viewport()
    expect(bob.get_by_label("Message")).to_be_focused()
    assert bob.evaluate("window.scrollY") > 0

    # / goes to the queue's search; j/k walk its rows, o opens the one chosen.
    bob.keyboard.press("Escape")
    bob.keyboard.press("/")
    expect(bob).to_have_url(f"{server.base_url}/desk/#search")
    expect(bob.get_by_label("Search")).to_be_focused()
    bob.keyboard.press("Escape")
    rows = bob.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)  # the refund ticket is resolved: not among the active ones
    bob.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile("is-selected"))
    for key in "jjk":  # the second j stays on the last row
        bob.keyboard.press(key)
    expect(rows.nth(0)).to_have_class(re.compile("is-selected"))
    expect(rows.nth(1)).not_to_have_class(re.compile("is-selected"))
    bob.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("is-selected"))
    number = rows.nth(1).locator("td.number").inner_text()
    shot(bob, "desk-queue-keyboard")
    bob.keyboard.press("o")
    expect(bob).to_have_url(f"{server.base_url}/desk/tickets/{number.lstrip('#')}/")
    expect(bob.locator("h1")).to_contain_text(number)

    # The customer reads Alice by the name she chose, never her login name.
    customer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    page.goto(init_session(server, "list"))
    page.goto(f"{server.base_url}/tickets/{refund}/")  # resolved: not on the list of open ones
    authors = page.locator(".thread-item.from-staff .author")
    expect(authors.first).to_contain_text("Alice Smith")
    expect(authors.last).to_contain_text("Bob Jones")
    assert "alice" not in page.content().replace("Alice", "")
    customer.close()

    # On a phone: the filters fold behind one button, queue cells keep their labels,
    # and the ticket's properties come before the conversation.
    bob.set_viewport_size({"width": 390, "height": 844})
    bob.goto(f"{server.base_url}/desk/?status=all")
    filters = bob.locator("#queue-filters")
    expect(filters).to_be_hidden()
    shot(bob, "desk-queue-phone")
    bob.get_by_text("Filters", exact=True).click()
    expect(filters).to_be_visible()
    expect(bob.get_by_label("Search")).to_be_visible()
    status_cell = bob.locator("table.queue tbody tr").first.locator('td[data-label="Status"]')
    assert status_cell.evaluate("td => getComputedStyle(td, '::before').content") == '"Status"'
    assert bob.locator("table.queue thead").is_hidden()
    assert bob.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to scroll sideways
    bob.goto(ticket_url)
    properties = bob.locator("#properties").bounding_box()
    thread = bob.locator(".thread").bounding_box()
    assert properties["y"] + properties["height"] <= thread["y"]
    assert properties["width"] <= 390
    assert bob.evaluate("document.documentElement.scrollWidth") <= 390
    shot(bob, "desk-ticket-phone")
    bob_context.close()
