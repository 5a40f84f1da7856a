"""The reports page in a real browser (Debian chromium, Playwright) against `extdesk serve`.

A staff member made with `extdesk createstaff` follows the desk's Reports
link: six charts drawn as SVG (named for screen readers) and their tables,
a category whose name is a spreadsheet formula and markup shown as text, the
presets, a refused custom period, and a CSV file downloaded with the formula
disarmed. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest

from tests.e2e.test_browser import shot, sign_in_to_desk, soap

pytestmark = pytest.mark.slow

PASSWORD = "plum-Violet-41-harbour"
PERSON = {"id": 7201, "email": "rea@acme.example", "first_name": "Rea", "last_name": "Porter",
          "accounts": "acme-hosting"}
CATEGORY = '=HYPERLINK("http://evil.example","<b>Billing</b>")'


def run_cli(server, *args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "extdesk.cli", *args], input=stdin, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def seed(server) -> None:
    """Three tickets through the helpdesk's service; one answered after an hour and closed."""
    code = (
        "from datetime import timedelta\n"
        "from extdesk.contacts.models import Contact\n"
        "from extdesk.helpdesk import services\n"
        "from extdesk.helpdesk.models import Category, Ticket\n"
        f"category = Category.objects.create(name={CATEGORY!r})\n"
        f"c = Contact.objects.get(platform_id={PERSON['id']})\n"
        "made = [services.create_ticket(contact=c, subject=s, body=s + ', since today.', category=category)\n"
        "        for s in ('Refund please', 'DNS not resolving', 'Backup failed')]\n"
        "t = made[0]\n"
        "Ticket.objects.filter(pk=t.pk).update(status='closed',\n"
        "    first_responded_at=t.created_at + timedelta(hours=1),\n"
        "    closed_at=t.created_at + timedelta(hours=2))\n"
    )
    run_cli(server, "manage", "shell", "--no-imports", "-c", code)


def test_reports_charts_tables_and_csv(server, browser):
    from playwright.sync_api import expect

    assert soap(server, "alter_contacts", ("contacts", [PERSON])) == 1
    run_cli(server, "createstaff", "rita", "--name", "Rita Reports", "--password-stdin",
            stdin=f"{PASSWORD}\n")
    seed(server)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    sign_in_to_desk(page, server, "rita", PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(f"{server.base_url}/desk/reports/")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.locator(".page-head .meta")).to_contain_text("3 opened · 1 closed")
    expect(page.locator("svg.chart")).to_have_count(6)
    daily = page.get_by_role("img", name=re.compile(r"^Tickets opened and closed per day"))
    expect(daily).to_be_visible()
    assert daily.bounding_box()["height"] > 100
    expect(page.get_by_role("img", name=re.compile(r"^SLA attained per priority"))).to_be_visible()
    # The category, a formula and markup, is text in its chart and its table.
    categories = page.locator("#categories")
    expect(categories.get_by_role("rowheader", name=CATEGORY)).to_be_visible()
    expect(categories.locator("svg rect title")).to_have_text(f"{CATEGORY}: 3")
    expect(categories.locator("b")).to_have_count(0)
    expect(page.locator("#backlog").get_by_role("row", name="New 2")).to_be_visible()
    first_response = page.locator("#times").get_by_role("row", name=re.compile(r"^First response"))
    expect(first_response).to_have_accessible_name("First response 1 1 h 1 h")
    # The table per day opens below its chart.
    page.get_by_text("Figures per day").click()
    expect(page.locator("#days").get_by_role("row", name="Total 3 1")).to_be_visible()
    shot(page, "reports")

    with page.expect_download() as download_info:
        categories.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"extdesk-categories-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv",
                        download.suggested_filename)
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows == [["category", "tickets opened"], [f"'{CATEGORY}", "3"]]

    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(re.compile(r"/desk/reports/\?period=7$"))
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")
    page.get_by_label("From", exact=True).fill("2026-03-02")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#id_end_error")).to_have_text(
        "The end date (2026-03-01) is before the start date (2026-03-02).")
    expect(page.locator("svg.chart")).to_have_count(0)
    context.close()
