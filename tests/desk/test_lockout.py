"""The staff sign-in lockout: per (user name, address), growing, and safe to race."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import requests

from extdesk.desk import throttle
from extdesk.desk.models import LoginFailure
from tests.helpdesk.factories import make_staff
from tests.support.server import live_server_any_db

PASSWORD = "correct horse battery staple"
LOGIN = "/desk/login/"
ATTACKER = "198.51.100.66"
OWNER = "192.0.2.10"


def sign_in(client, username: str, password: str = PASSWORD, address: str = OWNER) -> int:
    status = client.post(LOGIN, {"username": username, "password": password},
                         REMOTE_ADDR=address).status_code
    client.logout()
    return status


def age_failures(by: timedelta) -> None:
    for failure in LoginFailure.objects.all():
        failure.created_at -= by
        failure.save(update_fields=["created_at"])


@pytest.mark.django_db
def test_the_owner_signs_in_from_another_address_after_failures_elsewhere(client):
    make_staff("alice", password=PASSWORD)
    for _ in range(throttle.MAX_FAILURES + 3):
        assert sign_in(client, "alice", "wrong", ATTACKER) in (400, 429)
    # Locked for the attacker's address, even with the right password...
    assert sign_in(client, "alice", PASSWORD, ATTACKER) == 429
    # ...but not for the owner's.
    assert sign_in(client, "alice", PASSWORD, OWNER) == 302
    assert sign_in(client, "alice", PASSWORD, "2001:db8::10") == 302


@pytest.mark.django_db
@pytest.mark.parametrize("variants", [
    ["Alice", "ALICE", "alice", "aLiCe", "Alice"],
    [" alice", "alice ", "al ice", "ALI CE", "a l i c e"],
    ["\uff41\uff4c\uff49\uff43\uff45", "Alice\u00a0", "\u2003alice", "alice", "ALICE"],
])
def test_name_variants_in_case_width_and_spaces_count_as_the_same_user(client, variants):
    make_staff("alice", password=PASSWORD)
    for name in variants:
        assert sign_in(client, name, "wrong", ATTACKER) == 400
    assert set(LoginFailure.objects.values_list("username", flat=True)) == {"alice"}
    assert sign_in(client, "alice", PASSWORD, ATTACKER) == 429
    assert sign_in(client, " ALICE ", "wrong", ATTACKER) == 429
    # The owner's own address still has all its tries.
    assert sign_in(client, "Alice", "wrong", OWNER) == 400
    assert sign_in(client, "alice", PASSWORD, OWNER) == 302


@pytest.mark.django_db
def test_each_further_failure_locks_the_pair_twice_as_long(client):
    make_staff("alice", password=PASSWORD)
    for _ in range(throttle.MAX_FAILURES):
        assert sign_in(client, "alice", "wrong", ATTACKER) == 400
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60

    age_failures(throttle.WINDOW + timedelta(seconds=1))
    assert sign_in(client, "alice", "wrong", ATTACKER) == 400  # the 6th: 30 minutes now
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert 29 * 60 < int(response["Retry-After"]) <= 30 * 60
    age_failures(throttle.WINDOW + timedelta(seconds=1))
    assert sign_in(client, "alice", PASSWORD, ATTACKER) == 429
    age_failures(throttle.WINDOW)
    assert sign_in(client, "alice", "wrong", ATTACKER) == 400  # the 7th: an hour
    assert throttle.lockout_for("alice", ATTACKER).seconds_left > 59 * 60

    assert [throttle.pair_delay(n) for n in (5, 6, 7, 8)] == [
        timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert throttle.pair_delay(40) == throttle.pair_delay(10_000) == throttle.MAX_DELAY


@pytest.mark.django_db
def test_a_pairs_failures_are_forgotten_after_a_day(client):
    make_staff("alice", password=PASSWORD)
    for _ in range(throttle.MAX_FAILURES + 4):
        sign_in(client, "alice", "wrong", ATTACKER)
    assert sign_in(client, "alice", PASSWORD, ATTACKER) == 429
    age_failures(throttle.PAIR_MEMORY)
    assert sign_in(client, "alice", PASSWORD, ATTACKER) == 302


@pytest.mark.django_db
def test_one_address_trying_many_names_is_limited_too(client):
    make_staff("alice", password=PASSWORD)
    for i in range(throttle.ADDRESS_MAX_FAILURES):
        assert sign_in(client, f"name{i}", "wrong", ATTACKER) == 400
    assert sign_in(client, "somebody-new", "wrong", ATTACKER) == 429
    assert sign_in(client, "alice", PASSWORD, ATTACKER) == 429
    assert sign_in(client, "alice", PASSWORD, OWNER) == 302
    # Refused attempts were not counted: only the checked passwords are failures.
    assert LoginFailure.objects.filter(address=ATTACKER).count() == throttle.ADDRESS_MAX_FAILURES


@pytest.mark.django_db
def test_signing_in_clears_the_failures_of_that_name_from_that_address_only(client):
    make_staff("alice", password=PASSWORD)
    for address in (ATTACKER, OWNER):
        for _ in range(3):
            sign_in(client, "alice", "wrong", address)
    sign_in(client, "bob", "wrong", OWNER)
    assert sign_in(client, "Alice", PASSWORD, OWNER) == 400  # "Alice" is not the account's name
    assert sign_in(client, "alice", PASSWORD, OWNER) == 302
    left = sorted(LoginFailure.objects.values_list("username", "address"))
    assert left == [("alice", ATTACKER)] * 3 + [("bob", OWNER)]


@pytest.mark.django_db
def test_the_attempt_is_on_record_while_its_password_is_checked(client, monkeypatch):
    """The row is written (and committed) before the password check starts."""
    from django.contrib.auth.backends import ModelBackend

    make_staff("alice", password=PASSWORD)
    seen = []
    original = ModelBackend.authenticate

    def watching(self, request, username=None, password=None, **kwargs):
        seen.append(list(LoginFailure.objects.values_list("username", "address")))
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", watching)
    assert sign_in(client, "alice", "wrong", ATTACKER) == 400
    assert seen == [[("alice", ATTACKER)]]


# ---------------------------------------------------------------- against the real server

LIVE_PASSWORD = "plum-Violet-41-harbour"
GUESSES = 40


def _login_form(server) -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(f"{server.base_url}{LOGIN}", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser, token


def _failure_rows(server) -> int:
    sql = "SELECT COUNT(*) FROM desk_loginfailure WHERE username = 'sam'"
    url = server.env.get("EXTDESK_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchone()[0]
    with sqlite3.connect(server.data_dir / "extdesk.sqlite3") as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.slow
def test_parallel_guesses_against_the_real_server_check_at_most_the_limit(tmp_path):
    # Loopback is the trusted proxy, so that the guesses and the owner can
    # come from addresses of their own (the guesses' with a port).
    with live_server_any_db(tmp_path, workers=4,
                            extra_env={"EXTDESK_TRUSTED_PROXIES": "127.0.0.1"}) as server:
        done = subprocess.run(
            [sys.executable, "-m", "extdesk.cli", "createstaff", "sam", "--password-stdin"],
            input=f"{LIVE_PASSWORD}\n", env=server.env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        forms = [_login_form(server) for _ in range(GUESSES)]
        start = threading.Barrier(GUESSES)
        statuses: list[int] = []

        def guess(browser: requests.Session, token: str, number: int) -> None:
            start.wait()
            response = browser.post(
                f"{server.base_url}{LOGIN}",
                data={"csrfmiddlewaretoken": token, "username": "Sam" if number % 2 else "sam",
                      "password": f"guess-{number}"},
                headers={"Referer": f"{server.base_url}{LOGIN}", "X-Forwarded-For": f"{ATTACKER}:40001"},
                allow_redirects=False, timeout=120,
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=guess, args=(*form, i)) for i, form in enumerate(forms)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        checked = statuses.count(400)
        assert sorted(set(statuses)) <= [400, 429], statuses
        assert len(statuses) == GUESSES
        # A password was checked for every 400, and for nothing else.
        assert 1 <= checked <= throttle.MAX_FAILURES, statuses
        assert _failure_rows(server) == checked
        # The owner, from another address, is still let in.
        browser, token = _login_form(server)
        with browser:
            owner = browser.post(
                f"{server.base_url}{LOGIN}",
                data={"csrfmiddlewaretoken": token, "username": "sam", "password": LIVE_PASSWORD},
                headers={"Referer": f"{server.base_url}{LOGIN}", "X-Forwarded-For": "203.0.113.7"},
                allow_redirects=False, timeout=120,
            )
        for browser, _ in forms:
            browser.close()
    print(f"{GUESSES} parallel guesses: {checked} passwords checked, {statuses.count(429)} refused")
    assert owner.status_code == 302
