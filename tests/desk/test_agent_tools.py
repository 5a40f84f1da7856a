"""The agent's own tools on the ticket page: collisions (409 and "anyway"), reply or note mode,
the signature, forms that open where the error is, and who else is on the ticket."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from extdesk.desk import presence
from extdesk.desk.models import Presence
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Message, Priority, StaffProfile, Status, Ticket
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return make_contact("acme", email="ann@acme.example", first_name="Ann")


@pytest.fixture
def ticket(contact):
    return make_ticket(contact, "Refund please", "I was billed twice.")


@pytest.fixture
def alice():
    user = make_staff("alice", email="alice@provider.example", password=None)
    StaffProfile.objects.create(user=user, display_name="Alice Smith", signature="Alice Smith\nBilling")
    return user


@pytest.fixture
def bob(agent):
    return agent  # "Alex Agent", signed in as ``desk``


@pytest.fixture
def alice_desk(alice):
    client = Client()
    client.force_login(alice)
    return client


def url(ticket, suffix=""):
    return reverse("desk:ticket", args=[ticket.pk]) + suffix


def drawn(client, ticket) -> int:
    """Open the ticket page as ``client`` does, and the version its forms carry."""
    html = client.get(url(ticket)).content.decode()
    return int(re.search(r'<input type="hidden" name="version" value="(\d+)"', html).group(1))


def properties(ticket, version, **changes):
    shown = {"status": ticket.status, "priority": ticket.priority,
             "assignee": ticket.assignee_id or "", "category": ticket.category_id or ""}
    return {**shown, **{f"{k}_was": v for k, v in shown.items()}, "version": version, **changes}


# ---------------------------------------------------------------- collisions


def test_the_reported_collision_a_stale_reply_is_held_back_with_the_draft(
        desk, alice_desk, ticket, django_capture_on_commit_callbacks):
    bobs_version = drawn(desk, ticket)
    assert drawn(alice_desk, ticket) == bobs_version
    alice_desk.post(url(ticket), {"mode": "reply", "kind": "reply", "body": "Refunded.",
                                  "then_status": "resolved", "version": bobs_version})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url(ticket), {"mode": "reply", "kind": "reply", "version": bobs_version,
                                           "body": "Will refund within 3 days."})
    assert response.status_code == 409
    html = response.content.decode()
    conflict = re.search(r'<div class="conflict" role="alert" id="conflict-reply">.*?</div>', html,
                         re.S).group(0)
    assert "Alice Smith changed this ticket since you opened it" in conflict
    assert "Refunded." in conflict and "Resolved" in conflict
    # The draft is kept, the form still says where it came from, and the way on is explicit.
    assert re.search(r'<textarea name="body"[^>]*autofocus[^>]*>\s*Will refund within 3 days.</textarea>',
                     html)
    assert f'<input type="hidden" name="version" value="{bobs_version}"' in html
    assert 'value="reply-anyway"' in html and "Send reply anyway" in html
    assert 'value="reply">Send reply to customer' not in html
    assert not Message.objects.filter(body__startswith="Will refund").exists() and mail.outbox == []
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED

    response = desk.post(url(ticket), {"mode": "reply", "kind": "reply-anyway", "version": bobs_version,
                                       "body": "Will refund within 3 days."})
    assert response.status_code == 302
    assert Message.objects.filter(body="Will refund within 3 days.", author_user__username="agent").exists()


def test_a_stale_note_is_held_back_and_can_be_added_anyway(desk, alice_desk, alice, ticket):
    version = drawn(desk, ticket)
    services.reply(ticket, author=alice, body="Called the bank.", internal=True)
    response = desk.post(url(ticket), {"mode": "note", "kind": "note", "version": version,
                                       "body": "Calling the bank."})
    assert response.status_code == 409
    html = response.content.decode()
    assert "added an internal note" in html and "Called the bank." in html
    assert 'value="note-anyway"' in html and 'id="mode-note" checked' in html
    assert not Message.objects.filter(body="Calling the bank.").exists()
    response = desk.post(url(ticket), {"mode": "note", "kind": "note-anyway", "version": version,
                                       "body": "Calling the bank."})
    assert response.status_code == 302
    assert Message.objects.get(body="Calling the bank.").is_internal


def test_the_stale_sidebar_no_longer_reopens_a_colleagues_closed_ticket(desk, alice, ticket):
    page = Ticket.objects.get(pk=ticket.pk)
    version = drawn(desk, ticket)
    services.update_properties(ticket, actor=alice, status=Status.CLOSED)
    response = desk.post(url(ticket, "update/"), properties(page, version, status="open"))
    assert response.status_code == 409
    html = response.content.decode()
    conflict = re.search(r'id="conflict-properties">.*?</div>', html, re.S).group(0)
    assert "Alice Smith" in conflict and "Closed" in conflict
    assert re.search(r'<button type="submit" name="anyway" value="1" autofocus>Apply anyway</button>', html)
    assert f'action="/desk/tickets/{ticket.pk}/update/#properties"' in html
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    # Applied anyway: the agent has seen the colleague's change and means it.
    response = desk.post(url(ticket, "update/"), properties(page, version, status="open", anyway="1"))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_stale_sidebar_still_changes_what_nobody_else_changed(desk, alice, ticket):
    page = Ticket.objects.get(pk=ticket.pk)
    version = drawn(desk, ticket)
    services.update_properties(ticket, actor=alice, status=Status.CLOSED)
    services.reply(ticket, author=alice, body="Closing.", internal=True)
    response = desk.post(url(ticket, "update/"), properties(page, version, priority=Priority.URGENT))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.CLOSED, Priority.URGENT)


def test_a_property_change_first_then_the_older_reply_form(desk, alice, ticket):
    version = drawn(desk, ticket)
    services.update_properties(ticket, actor=alice, priority=Priority.URGENT, assignee=alice)
    response = desk.post(url(ticket), {"mode": "reply", "kind": "reply", "version": version,
                                       "body": "Looking into it."})
    assert response.status_code == 409
    conflict = re.search(r'id="conflict-reply">.*?</div>', response.content.decode(), re.S).group(0)
    assert "\N{EN DASH} Priority changed" in conflict and "Urgent" in conflict
    assert "\N{EN DASH} Assignee changed" in conflict and "Alice Smith" in conflict


def test_a_post_from_the_current_version_goes_through_and_its_page_is_current(desk, ticket):
    version = drawn(desk, ticket)
    response = desk.post(url(ticket), {"mode": "reply", "kind": "reply", "version": version,
                                       "body": "Hi."})
    assert response.status_code == 302
    assert drawn(desk, ticket) == version + 1


# ---------------------------------------------------------------- reply or note


def test_the_page_offers_a_mode_switch_and_opens_in_the_mode_asked_for(desk, ticket):
    html = desk.get(url(ticket)).content.decode()
    assert 'id="mode-reply" checked' in html and 'id="mode-note" checked' not in html
    assert 'value="note" class="note-button mode-note-only">Add internal note</button>' in html
    assert 'value="reply" class="mode-reply-only">Send reply to customer</button>' in html
    assert 'id="mode-note" checked' in desk.get(url(ticket), {"mode": "note"}).content.decode()


def test_a_note_mode_form_cannot_send_a_reply(desk, ticket):
    response = desk.post(url(ticket), {"mode": "note", "kind": "reply",
                                       "body": "Internal: customer is rude."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was sent" in html and 'id="mode-note" checked' in html
    assert "Internal: customer is rude." in html
    assert not Message.objects.filter(body__startswith="Internal:").exists()


def test_the_signature_goes_under_replies_only_when_ticked(alice_desk, alice, ticket):
    html = alice_desk.get(url(ticket)).content.decode()
    assert 'name="signature"' in html and "Alice Smith\nBilling" in html
    alice_desk.post(url(ticket), {"mode": "reply", "kind": "reply", "body": "Refunded.", "signature": "on"})
    alice_desk.post(url(ticket), {"mode": "reply", "kind": "reply", "body": "Unsigned."})
    alice_desk.post(url(ticket), {"mode": "note", "kind": "note", "body": "Note.", "signature": "on"})
    bodies = list(Message.objects.filter(ticket=ticket, author_user=alice).order_by("id")
                  .values_list("body", flat=True))
    assert bodies == ["Refunded.\n\n-- \nAlice Smith\nBilling", "Unsigned.", "Note."]


def test_without_a_signature_the_form_points_to_the_profile(desk, ticket):
    html = desk.get(url(ticket)).content.decode()
    assert 'name="signature"' not in html and 'href="/desk/profile/"' in html


# ---------------------------------------------------------------- forms that answer where you look


def test_a_refused_reply_opens_at_the_form_with_the_cursor_in_the_field(desk, ticket):
    html = desk.post(url(ticket), {"mode": "reply", "kind": "reply", "body": "  "}).content.decode()
    assert f'action="/desk/tickets/{ticket.pk}/#reply"' in html
    assert re.search(r'<textarea name="body"[^>]*autofocus', html)
    assert html.count("autofocus") == 1


def test_a_refused_property_change_focuses_its_field(desk, ticket):
    page = Ticket.objects.get(pk=ticket.pk)
    response = desk.post(url(ticket, "update/"), properties(page, page.version, priority="9"))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<select name="priority"[^>]*autofocus', html)
    assert html.count("autofocus") == 1


# ---------------------------------------------------------------- presence


def poll(client, ticket, **data):
    return client.post(reverse("desk:ticket_presence", args=[ticket.pk]), data)


def test_colleagues_see_who_is_viewing_and_who_is_replying(desk, alice_desk, ticket):
    alice_desk.get(url(ticket))
    html = desk.get(url(ticket)).content.decode()
    assert '<span class="present present-viewing">Alice Smith is viewing</span>' in html
    assert "Alex Agent is" not in html  # nobody is shown to themself
    assert poll(alice_desk, ticket, activity="replying").json()["others"] == [
        {"name": "Alex Agent", "activity": "viewing", "text": "Alex Agent is viewing"}]
    answer = poll(desk, ticket, activity="viewing").json()
    assert answer == {"others": [{"name": "Alice Smith", "activity": "replying",
                                  "text": "Alice Smith is replying"}], "version": ticket.version}


def test_a_closed_tab_stops_showing_at_once_and_a_silent_one_within_the_horizon(
        desk, alice_desk, alice, agent, ticket):
    poll(alice_desk, ticket, activity="viewing")
    assert poll(alice_desk, ticket, leave="1").json()["others"] == []
    assert not Presence.objects.filter(user=alice).exists()
    assert poll(desk, ticket).json()["others"] == []
    # A tab that could not say goodbye: its last word is older than the horizon.
    poll(alice_desk, ticket, activity="replying")
    long_ago = timezone.now() - presence.HORIZON - timedelta(seconds=1)
    Presence.objects.filter(user=alice).update(seen_at=long_ago)
    assert poll(desk, ticket).json()["others"] == []
    assert "Alice Smith is" not in desk.get(url(ticket)).content.decode()
    assert presence.prune_stale() == 1
    assert list(Presence.objects.values_list("user", flat=True)) == [agent.pk]


def test_the_poll_tells_the_page_the_ticket_changed(desk, alice, ticket):
    version = drawn(desk, ticket)
    assert poll(desk, ticket).json()["version"] == version
    services.reply(ticket, author=alice, body="Refunded.")
    assert poll(desk, ticket).json()["version"] == version + 1


def test_presence_is_staff_only_post_only_and_csrf_protected(client, contact, ticket, agent):
    target = reverse("desk:ticket_presence", args=[ticket.pk])
    assert client.post(target)["Location"].startswith("/desk/login/")
    client.force_login(contact.user)
    assert client.post(target)["Location"].startswith("/desk/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(target, {"activity": "viewing"}).status_code == 403
    client.force_login(agent)
    assert client.get(target).status_code == 405
    assert client.post(reverse("desk:ticket_presence", args=[999999])).status_code == 404
    assert not Presence.objects.exists()
