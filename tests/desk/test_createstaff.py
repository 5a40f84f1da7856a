"""``extdesk createstaff``: input checks, password rules, and the user it makes."""

from __future__ import annotations

import io
import sys

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError

from extdesk.cli import main
from extdesk.desk.services import create_staff_user
from tests.helpdesk.factories import make_staff

# The command closes its database connection when done, which a test inside
# a transaction cannot survive: these tests commit for real.
cli = pytest.mark.django_db(transaction=True)
GOOD = "plum-Violet-41-harbour"


def run(monkeypatch, capsys, *args: str, stdin: str = f"{GOOD}\n") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["createstaff", *args])
    out, err = capsys.readouterr()
    return code, out, err


def users():
    return get_user_model().objects


@cli
def test_creates_a_staff_user_who_can_sign_in(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "alice", "--email", "Alice@Example.COM", "--password-stdin")
    assert code == 0
    assert "created staff user 'alice'" in out
    user = users().get(username="alice")
    assert (user.is_staff, user.is_superuser, user.is_active) == (True, False, True)
    assert user.email == "Alice@example.com"
    assert authenticate(username="alice", password=GOOD) == user


@cli
def test_superuser(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "root", "--superuser", "--password-stdin")
    assert code == 0 and "created superuser 'root'" in out
    assert users().get(username="root").is_superuser


@cli
def test_only_the_first_line_of_stdin_is_the_password(monkeypatch, capsys):
    assert run(monkeypatch, capsys, "alice", "--password-stdin", stdin=f"{GOOD}\r\nignored\n")[0] == 0
    assert authenticate(username="alice", password=GOOD) is not None


def refusal(username: str, password: str = GOOD, email: str = "") -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        create_staff_user(username, password, email=email)
    return caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("password, message", [
    ("short1", "This password is too short"),
    ("password123", "This password is too common"),
    ("83920174659201", "This password is entirely numeric"),
    ("alice-the-staffer", "The password is too similar to the username"),
    ("", "Enter a password."),
])
def test_weak_passwords_are_refused(password, message):
    username = "alice-the-staffer" if "similar" in message else "alice"
    assert any(message in m for m in refusal(username, password)["password"])
    assert not users().exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username, message", [
    ("bad name", "Enter a valid username"),
    (" alice", "The user name must not start or end with spaces."),
    ("x" * 151, "Ensure this value has at most 150 characters"),
    ("", "Enter a user name."),
])
def test_bad_user_names_are_refused(username, message):
    assert any(message in m for m in refusal(username)["username"])
    assert not users().exists()


@pytest.mark.django_db
def test_existing_user_name_in_any_case_is_refused():
    make_staff("alice")
    assert refusal("ALICE")["username"] == ["A user named 'ALICE' already exists."]
    assert users().count() == 1


@pytest.mark.django_db
def test_bad_email_is_refused():
    assert refusal("alice", email="not-an-address")["email"] == [
        "'not-an-address' is not a valid e-mail address."]
    assert not users().exists()


@cli
def test_every_problem_is_reported_at_once(monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "bad name", "--email", "nope", "--password-stdin", stdin="1\n")
    assert code == 2
    assert "username:" in err and "email:" in err and "password:" in err


@cli
def test_without_a_terminal_it_asks_for_password_stdin(monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "alice", stdin="")
    assert code == 2
    assert "use --password-stdin" in err
    assert not users().exists()


@cli
def test_prompts_twice_on_a_terminal_and_refuses_differing_passwords(monkeypatch, capsys):
    answers = iter([GOOD, GOOD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    assert main(["createstaff", "alice"]) == 2
    assert "the two passwords differ" in capsys.readouterr().err
    assert not users().exists()

    answers = iter([GOOD, GOOD])
    assert main(["createstaff", "alice"]) == 0
    assert users().filter(username="alice", is_staff=True).exists()
