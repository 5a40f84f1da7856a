"""The desk's queue in a real browser (Debian chromium, Playwright) against `extdesk serve`.

The default view is Needs attention: the overdue ticket first, marked in
words and in red, with its breach; then the one close to its target (amber,
"soon"); then the one due later; waiting and resolved tickets only in their
tabs. Then the same page at 390 px wide, with nothing to scroll sideways.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_browser import shot, sign_in_to_desk, soap
from tests.e2e.test_desk_browser import PASSWORD, run_cli

pytestmark = pytest.mark.slow

PERSON = {"id": 7201, "email": "ann@acme.example", "first_name": "Ann", "last_name": "Lovelace",
          "accounts": "acme-hosting"}

# The SLA fields set straight on the rows, so that the order and the markers do not depend on the
# hour the test runs at (business hours).
SEED = f"""
import json
from datetime import timedelta
from django.utils import timezone
from extdesk.contacts.models import Contact
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Status, Ticket
from django.contrib.auth.models import User
contact = Contact.objects.get(platform_id={PERSON["id"]})
agent = User.objects.get(username="dana")
now = timezone.now()
made = {{}}
for name, subject in [("later", "DNS not resolving"), ("overdue", "Mail bounces since the move"),
                      ("close", "Invoice sent twice"), ("waiting", "Password reset"),
                      ("resolved", "Backup restored")]:
    made[name] = services.create_ticket(contact=contact, subject=subject, body=subject + ", since today.").pk
services.update_properties(Ticket.objects.get(pk=made["waiting"]), actor=agent, status=Status.WAITING)
services.update_properties(Ticket.objects.get(pk=made["resolved"]), actor=agent, status=Status.RESOLVED)
Ticket.objects.filter(pk=made["overdue"]).update(
    next_due_at=now - timedelta(minutes=40), first_response_breached=True,
    last_message_excerpt="Every mail to gmail.com bounces with 550")
Ticket.objects.filter(pk=made["close"]).update(next_due_at=now + timedelta(minutes=20),
                                               next_escalation_at=now - timedelta(minutes=5))
Ticket.objects.filter(pk=made["later"]).update(next_due_at=now + timedelta(hours=3),
                                               next_escalation_at=now + timedelta(hours=2))
print(json.dumps(made))
"""


def test_needs_attention_is_the_default_view_overdue_first(server, browser):
    from playwright.sync_api import expect

    assert soap(server, "alter_contacts", ("contacts", [PERSON])) == 1
    run_cli(server, "createstaff", "dana", "--name", "Dana Reyes", "--password-stdin", stdin=f"{PASSWORD}\n")
    made = json.loads(run_cli(server, "manage", "shell", "--no-imports", "-c", SEED).strip().splitlines()[-1])

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_to_desk(page, server, "dana", PASSWORD)

    tab = page.locator('.tabs a[aria-current="page"]')
    expect(tab).to_have_text("Needs attention3")
    numbers = page.locator("table.queue tbody td.number")
    expect(numbers).to_have_text([f"#{made['overdue']}", f"#{made['close']}", f"#{made['later']}"])

    rows = page.locator("table.queue tbody tr")
    overdue = rows.nth(0)
    expect(overdue.locator(".due")).to_have_text("overdue by 40 min")
    assert overdue.locator(".due").evaluate("e => getComputedStyle(e).color") == "rgb(180, 35, 24)"
    expect(overdue.locator(".badge-breached")).to_have_text("Breached")
    expect(overdue.locator(".last-message")).to_have_text(
        "Customer: Every mail to gmail.com bounces with 550")
    expect(overdue.locator('td[data-label="Age"]')).to_have_text("< 1 min")

    close = rows.nth(1)
    assert close.locator(".due").inner_text() in ("due in 19 min", "due in 20 min")
    expect(close.locator(".due-tag")).to_have_text("soon")
    assert close.locator(".due").evaluate("e => getComputedStyle(e).color") == "rgb(138, 75, 0)"
    later = rows.nth(2)
    assert later.locator(".due").inner_text() in ("due in 2 h", "due in 3 h")
    expect(later.locator(".due-tag")).to_have_count(0)
    shot(page, "desk-needs-attention")

    # The waiting ticket is in the Active tab, the resolved one in its own.
    page.locator(".tabs").get_by_role("link", name="Active").click()
    expect(page.locator("table.queue tbody td.number")).to_have_count(4)
    expect(page.get_by_text("paused: waiting on customer")).to_be_visible()

    # On a phone: the same rows, nothing wider than the screen.
    page.goto(f"{server.base_url}/desk/")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(rows.nth(0).locator(".due")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "desk-needs-attention-phone")
    context.close()
