"""The resolved mail's signed links and the page they open: GET shows, only POST records."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from extdesk.helpdesk import services as helpdesk_services
from extdesk.helpdesk.models import Status
from extdesk.ratings import links, selectors
from extdesk.ratings.models import Rating, Resolution
from tests.helpdesk.factories import make_ticket

pytestmark = pytest.mark.django_db

LINKS = re.compile(r"Were you helped\? Good: (\S+) / Bad: (\S+)")


@pytest.fixture
def mailed(contact, agent, django_capture_on_commit_callbacks):
    """A ticket resolved by staff, and the two links of the mail that told its customer."""
    ticket = make_ticket(contact, subject="DNS is slow")
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk_services.update_properties(ticket, actor=agent, status=Status.RESOLVED)
    [sent] = mail.outbox
    found = LINKS.search(sent.body)
    assert found, sent.body
    good, bad = (url.removeprefix("http://testserver") for url in found.groups())
    return ticket, good, bad


def test_the_resolved_mail_carries_a_link_per_choice_for_the_resolution(mailed):
    ticket, good, bad = mailed
    resolution = selectors.current_resolution(ticket.pk)
    for path, choice in ((good, "good"), (bad, "bad")):
        assert path.startswith(f"/rate/{ticket.pk}/")
        target = links.read(ticket.pk, path.split("/")[3])
        assert (target.ticket_id, target.resolution_id, target.choice) == (ticket.pk, resolution.pk, choice)


def test_other_status_mails_carry_no_links(contact, agent, django_capture_on_commit_callbacks):
    ticket = make_ticket(contact)
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk_services.update_properties(ticket, actor=agent, status=Status.WAITING)
    assert "Were you helped" not in mail.outbox[0].body


def test_opening_a_link_changes_nothing(client, mailed):
    _ticket, good, _bad = mailed
    for _ in range(3):
        response = client.get(good)
        assert response.status_code == 200
        assert b"Send: Good" in response.content
    assert not Rating.objects.exists()


def test_confirming_records_the_link_choice_and_comment_without_a_session(client, mailed, contact):
    ticket, good, _bad = mailed
    response = client.post(good, {"comment": "Quick and clear."})
    assert response.status_code == 302 and response["Location"] == good
    rating = Rating.objects.get()
    assert (rating.ticket, rating.choice, rating.comment, rating.contact) == (
        ticket, "good", "Quick and clear.", contact)
    page = client.get(good)
    assert b"Thank you" in page.content and b"Your answer so far: <strong>Good" in page.content
    # No way into the portal: the visitor is still nobody.
    assert client.get(reverse("portal:tickets")).status_code == 403


def test_replaying_or_the_other_link_changes_the_same_rating(client, mailed):
    _ticket, good, bad = mailed
    client.post(good, {"comment": "first"})
    client.post(good, {"comment": "again"})
    client.post(bad, {"comment": "changed my mind"})
    assert list(Rating.objects.values_list("choice", "comment")) == [("bad", "changed my mind")]


def test_a_tampered_token_is_refused(client, mailed):
    _ticket, good, _bad = mailed
    prefix, token = good.rstrip("/").rsplit("/", 1)
    payload, rest = token.split(":", 1)
    forged = signing.b64_encode(signing.b64_decode(payload.encode()).replace(b'"good"', b'"bad"')).decode()
    for path in (f"{prefix}/{forged}:{rest}/", f"{prefix}/{token[:-2]}xx/"):
        assert client.get(path).status_code == 400
        assert client.post(path, {"comment": ""}).status_code == 400
    assert not Rating.objects.exists()


def test_a_token_signed_for_another_purpose_is_refused(client, resolved):
    resolution = selectors.current_resolution(resolved.pk)
    token = signing.dumps({"t": resolved.pk, "r": resolution.pk, "c": "good"}, salt="extdesk.sso")
    path = reverse("ratings:link", args=[resolved.pk, token])
    assert client.post(path, {"comment": ""}).status_code == 400
    assert not Rating.objects.exists()


def test_a_link_works_for_its_own_ticket_only(client, mailed, contact):
    _ticket, good, _bad = mailed
    other = make_ticket(contact, subject="Other")
    token = good.rstrip("/").rsplit("/", 1)[1]
    response = client.post(reverse("ratings:link", args=[other.pk, token]), {"comment": ""})
    assert response.status_code == 400 and b"another ticket" in response.content
    assert not Rating.objects.exists()


def test_an_expired_link_is_refused(client, mailed, monkeypatch):
    _ticket, good, _bad = mailed
    later = timezone.now() + links.RATING_WINDOW + timedelta(seconds=5)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())
    response = client.post(good, {"comment": ""})
    assert response.status_code == 410 and b"expired" in response.content
    assert not Rating.objects.exists()


def test_the_link_of_a_reopened_resolution_shows_the_rating_read_only(client, mailed, contact, agent):
    ticket, good, _bad = mailed
    client.post(good, {"comment": "ok"})
    helpdesk_services.reply(ticket, author=contact, body="Broken again.")
    page = client.get(good)
    # No form but the header's language switcher.
    assert page.status_code == 200 and b"reopened" in page.content
    assert page.content.count(b"<form") == page.content.count(b'class="language-switcher"') == 1
    assert client.post(good, {"comment": "changed"}).status_code == 410
    assert Rating.objects.get().comment == "ok"
    # Resolved again: the new mail's links name the new resolution, the old link stays on the old one.
    helpdesk_services.update_properties(ticket, actor=agent, status=Status.RESOLVED)
    assert Resolution.objects.filter(ticket=ticket).count() == 2


def test_a_too_long_comment_is_refused_on_the_page_and_kept(client, mailed):
    _ticket, good, _bad = mailed
    response = client.post(good, {"comment": "z" * 1001})
    assert response.status_code == 400
    assert b"1,000 characters" in response.content and b"z" * 1001 in response.content
    assert not Rating.objects.exists()


def test_submissions_are_throttled_per_address(client, mailed, monkeypatch):
    from extdesk.ratings import services
    monkeypatch.setattr(services, "THROTTLE_LIMIT", 2)
    _ticket, good, _bad = mailed
    assert client.post(good, {"comment": "1"}).status_code == 302
    assert client.post(good, {"comment": "2"}).status_code == 302
    refused = client.post(good, {"comment": "3"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Rating.objects.get().comment == "2"
    # Another address is not held back.
    assert client.post(good, {"comment": "4"}, REMOTE_ADDR="192.0.2.99").status_code == 302


def test_a_browser_without_a_session_passes_the_csrf_check_the_page_sets(mailed):
    from django.test import Client
    browser = Client(enforce_csrf_checks=True)
    _ticket, good, _bad = mailed
    assert browser.post(good, {"comment": "no token"}).status_code == 403
    page = browser.get(good).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert browser.post(good, {"comment": "with token", "csrfmiddlewaretoken": token}).status_code == 302
    assert Rating.objects.get().comment == "with token"
    assert "sessionid" not in browser.cookies or not browser.cookies["sessionid"].value
