"""Staff sign-in, its throttle, sign-out, and who may enter the desk."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from extdesk.desk import throttle
from extdesk.desk.models import LoginFailure
from tests.helpdesk.factories import make_contact, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/desk/login/"


def sign_in(client, username, password=PASSWORD, address="192.0.2.10", forwarded_for=None, **fields):
    meta = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post(LOGIN, {"username": username, "password": password, **fields},
                       REMOTE_ADDR=address, **meta)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_renders_the_form(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'autocomplete="current-password"' in html
    assert "/static/desk/desk.css" in html


def test_staff_signs_in_and_lands_on_the_queue(client):
    staff = make_staff("alice")
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:queue")
    assert signed_in_user_id(client) == str(staff.pk)
    assert client.get(reverse("desk:queue")).status_code == 200


def test_session_key_changes_at_sign_in(client, settings):
    make_staff("alice")
    session = client.session
    session["visited"] = True
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = before = session.session_key
    sign_in(client, "alice")
    assert client.session.session_key not in (None, before)
    assert client.session["visited"] is True  # the same session, under a new key


def test_wrong_password_is_refused_with_a_message_and_keeps_the_user_name(client):
    make_staff("alice")
    response = sign_in(client, "alice", "wrong password")
    assert response.status_code == 400
    html = response.content.decode()
    assert "user name or password is wrong" in html
    assert 'value="alice"' in html
    assert "wrong password" not in html  # the password is never sent back
    assert re.search(r'<input type="password"[^>]*autofocus', html)
    assert signed_in_user_id(client) is None
    assert LoginFailure.objects.filter(username="alice").count() == 1


def test_empty_fields_are_named(client):
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 400
    assert response.content.decode().count("This field is required.") == 2
    assert not LoginFailure.objects.exists()


def test_non_staff_user_cannot_sign_in(client):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("bob", password=PASSWORD)
    response = sign_in(client, "bob")
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_inactive_staff_cannot_sign_in(client):
    make_staff("alice", is_active=False)
    assert sign_in(client, "alice").status_code == 400
    assert signed_in_user_id(client) is None


def test_customer_login_never_enters_the_desk_even_with_staff_rights(client):
    contact = make_contact("acme")
    user = contact.user
    user.is_staff = True  # a mistake in the admin must not open the desk
    user.set_password(PASSWORD)
    user.save()
    assert sign_in(client, user.get_username()).status_code == 400
    assert signed_in_user_id(client) is None
    client.force_login(user)
    response = client.get(reverse("desk:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_customer_session_is_sent_to_the_sign_in_page(client):
    contact = make_contact("acme")
    client.force_login(contact.user)
    for url in (reverse("desk:queue"), reverse("desk:ticket", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={url}"


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client):
    make_staff("alice")
    response = client.get("/desk/?status=closed")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/desk/%3Fstatus%3Dclosed"
    response = sign_in(client, "alice", next="/desk/?status=closed")
    assert response["Location"] == "/desk/?status=closed"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_pointing_elsewhere_is_ignored(client, target):
    make_staff("alice")
    response = sign_in(client, "alice", next=target)
    assert response["Location"] == reverse("desk:queue")


def test_signed_in_staff_visiting_the_login_page_goes_to_the_queue(client):
    client.force_login(make_staff("alice"))
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:queue")


def test_sign_out_needs_post_and_ends_the_session(client):
    client.force_login(make_staff("alice"))
    assert client.get("/desk/logout/").status_code == 405
    assert signed_in_user_id(client) is not None
    response = client.post("/desk/logout/", follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert b"You are signed out." in response.content
    assert signed_in_user_id(client) is None


def test_admin_sign_in_goes_through_the_desk_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/"
    make_staff("root", is_superuser=True)
    response = sign_in(client, "root", next="/admin/")
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# ---------------------------------------------------------------- throttle


def fail_times(client, username, times, address="192.0.2.10"):
    for _ in range(times):
        assert sign_in(client, username, "wrong", address=address).status_code == 400


def test_fifth_failure_locks_the_user_name_even_for_the_right_password(client):
    make_staff("alice")
    fail_times(client, "alice", throttle.MAX_FAILURES)
    response = sign_in(client, "alice")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "Try again in 15 minutes" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert signed_in_user_id(client) is None
    # A locked-out attempt is not counted: the lockout does not grow.
    assert LoginFailure.objects.count() == throttle.MAX_FAILURES


def test_four_failures_still_let_the_right_password_in_and_reset_the_count(client):
    make_staff("alice")
    fail_times(client, "alice", throttle.MAX_FAILURES - 1)
    assert sign_in(client, "alice").status_code == 302
    assert not LoginFailure.objects.filter(username="alice").exists()


def test_address_lock_covers_every_user_name(client):
    make_staff("alice")
    for i in range(throttle.ADDRESS_MAX_FAILURES):
        sign_in(client, f"guess{i}", "wrong", address="192.0.2.66")
    assert sign_in(client, "alice", address="192.0.2.66").status_code == 429
    # The same account from another address is not locked.
    assert sign_in(client, "alice", address="192.0.2.67").status_code == 302


def test_lockout_ends_when_the_failures_leave_the_window(client):
    make_staff("alice")
    fail_times(client, "alice", throttle.MAX_FAILURES)
    assert sign_in(client, "alice").status_code == 429
    LoginFailure.objects.update(created_at=throttle.timezone.now() - throttle.WINDOW - timedelta(seconds=1))
    assert sign_in(client, "alice").status_code == 302


def test_remaining_minutes_follow_the_latest_failure(client):
    make_staff("alice")
    fail_times(client, "alice", throttle.MAX_FAILURES)
    LoginFailure.objects.update(created_at=throttle.timezone.now() - timedelta(minutes=10, seconds=30))
    response = sign_in(client, "alice")
    assert response.status_code == 429
    assert "Try again in 5 minutes" in response.content.decode()


def test_forwarded_address_is_believed_from_trusted_proxies_only(client, settings):
    settings.EXTDESK_TRUSTED_PROXIES = ["10.0.0.1"]
    make_staff("alice")
    for i in range(throttle.MAX_FAILURES):
        sign_in(client, f"guess{i}", "wrong", address="10.0.0.1", forwarded_for="198.51.100.7")
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {"198.51.100.7"}
    # Another visitor behind the same proxy is not locked out...
    assert sign_in(client, "alice", address="10.0.0.1",
                   forwarded_for="198.51.100.8").status_code == 302
    # ...and an untrusted peer cannot pick its address with the header.
    client.logout()
    fail_times(client, "mallory", 1, address="192.0.2.200")
    assert LoginFailure.objects.filter(username="mallory").get().address == "192.0.2.200"
