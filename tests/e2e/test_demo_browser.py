"""The demo in a real browser: `extdesk serve --demo`, from /platform/ (the
control panel it plays) through "New ticket", where the knowledge base suggests an
article, to the ticket in the desk, whose SLA settings open to the demo's superuser."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.server import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    # As a newcomer runs it: no settings at all, from a directory of its own.
    home = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")} | {"PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "extdesk.cli", "serve", "--demo", "--port", str(port), "--workers", "1"],
        cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )
    said: list[str] = []
    try:
        while not any("control panel is" in line for line in said):
            line = process.stderr.readline()
            assert line, "".join(said)
            said.append(line)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/platform/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        password = re.search(r"demo staff user 'demo-staff', password (\S+)", "".join(said))
        assert password, "".join(said)
        yield base, password[1], home
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_demo_walks_from_the_control_panel_to_the_desk(demo):
    from playwright.sync_api import expect, sync_playwright

    base, password, home = demo
    assert (home / "extdesk-demo").is_dir() and not (home / "extdesk-data").exists()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/platform/")
            expect(page.get_by_role("note")).to_contain_text("Demo")
            row = page.get_by_role("row").filter(has_text="Παπαδοπούλου")
            expect(row).to_be_visible()
            expect(page.get_by_role("row").filter(has_text="山田")).to_be_visible()
            row.get_by_role("button", name="New ticket").click()
            expect(page).to_have_url(f"{base}/tickets/new/")
            expect(page.get_by_role("note")).to_contain_text("Demo")
            # Typing the subject, the customer is offered the demo's article on it first.
            page.get_by_label("Subject").press_sequentially("Demo: the mailbox is full", delay=10)
            expect(page.locator("#kb-suggestions").get_by_role(
                "link", name="Mailbox full: cleaning up and raising the quota")).to_be_visible()
            page.get_by_label("Message").fill("Please raise the quota of info@.")
            page.get_by_role("button", name="Submit ticket").click()
            expect(page.get_by_role("heading", name=re.compile("the mailbox is full"))).to_be_visible()

            desk = browser.new_context().new_page()
            desk.goto(f"{base}/desk/")
            desk.get_by_label("User name").fill("demo-staff")
            desk.get_by_label("Password").fill(password)
            desk.get_by_role("button", name="Sign in").click()
            expect(desk).to_have_url(f"{base}/desk/")
            expect(desk.get_by_role("row").filter(has_text="Demo: the mailbox is full")).to_contain_text(
                "Παπαδοπούλου")
            # The demo's staff user is a superuser: the SLA settings open for it.
            answer = desk.goto(f"{base}/desk/sla/")
            assert answer is not None and answer.status == 200
            expect(desk.get_by_text("For superusers only")).to_have_count(0)
        finally:
            browser.close()


def test_the_demo_answers_platform_only_in_demo_mode(client):
    # The test settings are not the demo's: there is no /platform/.
    assert client.get("/platform/").status_code == 404
