"""The sign-in throttle against `extdesk serve` with several worker processes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import requests

from extdesk.desk.throttle import MAX_FAILURES

pytestmark = pytest.mark.slow
PASSWORD = "plum-Violet-41-harbour"


@pytest.fixture(scope="module")
def staffed(server):
    done = subprocess.run(
        [sys.executable, "-m", "extdesk.cli", "createstaff", "sam", "--password-stdin"],
        input=f"{PASSWORD}\n", env=server.env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return server


def attempt(server, password: str) -> requests.Response:
    """One sign-in from a fresh browser (a new connection, so any worker may answer)."""
    with requests.Session() as browser:
        page = browser.get(f"{server.base_url}/desk/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return browser.post(
            f"{server.base_url}/desk/login/",
            data={"csrfmiddlewaretoken": token, "username": "sam", "password": password},
            headers={"Referer": f"{server.base_url}/desk/login/"},
            allow_redirects=False, timeout=30,
        )


def test_failures_are_counted_across_worker_processes(staffed):
    assert staffed.process.poll() is None
    statuses = [attempt(staffed, "wrong").status_code for _ in range(MAX_FAILURES)]
    assert statuses == [400] * MAX_FAILURES
    locked = attempt(staffed, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.text
    assert int(locked.headers["Retry-After"]) > 0


def test_unknown_paths_under_the_desk_do_not_reveal_tickets(staffed):
    response = requests.get(f"{staffed.base_url}/desk/tickets/1/", allow_redirects=False, timeout=30)
    assert response.status_code == 302
    assert response.headers["Location"] == "/desk/login/?next=/desk/tickets/1/"
