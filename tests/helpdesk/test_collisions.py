"""Collision checks in the services: a write drawn from an older ticket version, and what changed since."""

from __future__ import annotations

import pytest

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import Conflict
from extdesk.helpdesk.models import EventKind, Message, Priority, Status, Ticket, TicketEvent
from extdesk.mail.services import receive
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return make_staff("alice", email="alice@example.com", password=None, first_name="Alice", last_name="A")


@pytest.fixture
def bob():
    return make_staff("bob", email="bob@example.com", password=None, first_name="Bob", last_name="B")


@pytest.fixture
def contact():
    return make_contact("acme", email="ann@example.com")


@pytest.fixture
def ticket(contact):
    return make_ticket(contact, "Refund please", "I was billed twice.")


def _drawn(ticket: Ticket) -> int:
    """The version a page drawn now carries."""
    return Ticket.objects.get(pk=ticket.pk).version


def test_every_write_stamps_its_rows_with_the_version_it_made(ticket, alice, contact):
    assert ticket.version == 1
    assert set(Message.objects.filter(ticket=ticket).values_list("version", flat=True)) == {1}
    assert set(TicketEvent.objects.filter(ticket=ticket).values_list("version", flat=True)) == {1}
    services.reply(ticket, author=alice, body="Checking.", then_status=Status.WAITING)
    assert ticket.version == 2
    reply = Message.objects.filter(ticket=ticket).latest("id")
    assert reply.version == 2
    # The reply, its reopening of the new ticket and the status after it: one write, one version.
    kinds = TicketEvent.objects.filter(ticket=ticket, version=2).values_list("kind", flat=True)
    assert sorted(kinds) == sorted([EventKind.REPLIED, EventKind.STATUS, EventKind.STATUS])
    services.update_properties(ticket, actor=alice, priority=Priority.HIGH)
    services.reply(ticket, author=contact, body="Thanks.")
    assert ticket.version == 4
    assert not Message.objects.filter(version__isnull=True).exists()
    assert not TicketEvent.objects.filter(version__isnull=True).exists()


def test_a_reply_from_an_older_version_writes_nothing(ticket, alice, bob, django_capture_on_commit_callbacks):
    seen_by_bob = _drawn(ticket)
    services.reply(ticket, author=alice, body="Refunded.", then_status=Status.RESOLVED)
    messages, mails = Message.objects.count(), OutgoingMail.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as caught:
        services.reply(Ticket.objects.get(pk=ticket.pk), author=bob, body="Will refund within 3 days.",
                       expected_version=seen_by_bob)
    assert caught.value.since_version == seen_by_bob
    assert caught.value.ticket.version == seen_by_bob + 1
    assert (Message.objects.count(), OutgoingMail.objects.count()) == (messages, mails)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.version) == (Status.RESOLVED, seen_by_bob + 1)


def test_a_note_from_an_older_version_is_refused_too(ticket, alice, bob):
    seen = _drawn(ticket)
    services.reply(ticket, author=alice, body="Called the bank.", internal=True)
    with pytest.raises(Conflict):
        services.reply(ticket, author=bob, body="I will call the bank.", internal=True, expected_version=seen)
    assert not Message.objects.filter(body="I will call the bank.").exists()


def test_a_reply_from_the_current_version_and_one_sent_anyway_go_through(ticket, alice, bob):
    seen = _drawn(ticket)
    services.reply(ticket, author=alice, body="First.", expected_version=seen)
    services.reply(ticket, author=bob, body="Second, anyway.", expected_version=None)
    assert list(Message.objects.filter(ticket=ticket).values_list("body", flat=True))[-2:] == [
        "First.", "Second, anyway."]


def test_mail_is_never_version_checked_and_shows_up_as_a_change(ticket, alice, contact):
    seen = _drawn(ticket)
    receive(mail(sender="ann@example.com", subject=f"Re: [#{ticket.pk}] Refund please",
                 body="Any news?\n"), source="pipe")
    assert Message.objects.filter(ticket=ticket, body__startswith="Any news?").exists()
    with pytest.raises(Conflict) as caught:
        services.reply(ticket, author=alice, body="Refunded.", expected_version=seen)
    changes = selectors.changes_since(caught.value.ticket, seen)
    assert [m.body.strip() for m in changes.messages] == ["Any news?"]
    assert changes.people == [contact.display_name]


def test_properties_nobody_else_changed_go_through_from_an_older_version(ticket, alice, bob):
    seen = _drawn(ticket)
    services.update_properties(ticket, actor=alice, status=Status.RESOLVED)
    services.reply(ticket, author=alice, body="Refunded.", internal=True)
    changed = services.update_properties(Ticket.objects.get(pk=ticket.pk), actor=bob,
                                         priority=Priority.URGENT, expected_version=seen)
    assert changed == ["priority"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.RESOLVED, Priority.URGENT)


def test_a_property_someone_else_changed_since_is_not_overwritten(ticket, alice, bob):
    seen = _drawn(ticket)
    services.update_properties(ticket, actor=alice, status=Status.RESOLVED)
    with pytest.raises(Conflict):
        # Bob's form, drawn before, reopens the ticket and raises its priority at once: neither is applied.
        services.update_properties(Ticket.objects.get(pk=ticket.pk), actor=bob, status=Status.OPEN,
                                   priority=Priority.HIGH, expected_version=seen)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.RESOLVED, Priority.NORMAL)
    # Applied anyway, once Bob has seen Alice's change.
    assert services.update_properties(ticket, actor=bob, status=Status.OPEN,
                                      expected_version=None) == ["status"]
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_customer_closing_the_ticket_collides_with_a_staff_status_change(ticket, alice, contact):
    seen = _drawn(ticket)
    services.close_by_customer(ticket, contact=contact)
    with pytest.raises(Conflict):
        services.update_properties(ticket, actor=alice, status=Status.WAITING, expected_version=seen)


@pytest.mark.parametrize("field, first, second", [
    ("assignee", "alice", "bob"),
    ("category", "Billing", "Refunds"),
])
def test_each_property_is_checked_against_its_own_history(ticket, alice, bob, field, first, second):
    values = {"alice": alice, "bob": bob}
    if field == "category":
        values = {first: make_category(first), second: make_category(second)}
    seen = _drawn(ticket)
    services.update_properties(ticket, actor=alice, **{field: values[first]})
    with pytest.raises(Conflict):
        services.update_properties(ticket, actor=bob, expected_version=seen, **{field: values[second]})
    # Another property from the same old page is not in the way.
    assert services.update_properties(ticket, actor=bob, expected_version=seen, priority=Priority.LOW) == [
        "priority"]


def test_asking_for_the_value_someone_else_already_set_is_no_collision(ticket, alice, bob):
    seen = _drawn(ticket)
    services.update_properties(ticket, actor=alice, status=Status.RESOLVED)
    assert services.update_properties(ticket, actor=bob, status=Status.RESOLVED, expected_version=seen) == []


def test_an_agents_own_changes_in_another_tab_are_no_collision(ticket, alice):
    seen = _drawn(ticket)
    services.update_properties(ticket, actor=alice, status=Status.RESOLVED)
    assert services.update_properties(ticket, actor=alice, status=Status.WAITING, expected_version=seen) == [
        "status"]


def test_both_orders_of_a_reply_and_a_property_change(ticket, alice, bob):
    services.update_properties(ticket, actor=alice, status=Status.OPEN)  # a reply no longer opens it
    # Alice's reply first: Bob's older property form still applies (nobody touched the status) ...
    seen = _drawn(ticket)
    services.reply(ticket, author=alice, body="Refunded.")
    assert services.update_properties(ticket, actor=bob, status=Status.WAITING, expected_version=seen) == [
        "status"]
    # ... Bob's property change first: Alice's older reply form does not go out.
    seen = _drawn(ticket)
    services.update_properties(ticket, actor=bob, priority=Priority.HIGH)
    with pytest.raises(Conflict) as caught:
        services.reply(ticket, author=alice, body="One more thing.", expected_version=seen)
    changes = selectors.changes_since(caught.value.ticket, seen)
    assert [(e.kind, e.old_value, e.new_value) for e in changes.events] == [
        (EventKind.PRIORITY, "Normal", "High")]
    assert changes.messages == [] and changes.people == ["Bob B"]


def test_changes_since_lists_messages_and_changes_in_order_with_their_authors(ticket, alice, bob):
    seen = _drawn(ticket)
    services.reply(ticket, author=alice, body="Refunded.", then_status=Status.RESOLVED)
    services.reply(ticket, author=bob, body="Checked the refund.", internal=True)
    current = Ticket.objects.get(pk=ticket.pk)
    changes = selectors.changes_since(current, seen)
    assert (changes.since_version, changes.version) == (seen, seen + 2)
    assert [(m.author_name, m.body, m.is_internal) for m in changes.messages] == [
        ("Alice A", "Refunded.", False), ("Bob B", "Checked the refund.", True)]
    # The reply and the note are listed as messages, not again as history lines.
    assert [(e.actor_name, e.kind, e.new_value) for e in changes.events] == [
        ("Alice A", EventKind.STATUS, "Open"), ("Alice A", EventKind.STATUS, "Resolved")]
    assert changes.people == ["Alice A", "Bob B"]
    assert selectors.changes_since(current, current.version).messages == []


def test_messages_merged_in_count_as_new_on_the_target(contact, alice):
    target = make_ticket(contact, "Refund please", "Billed twice.")
    source = make_ticket(contact, "Refund again", "Still billed twice.")
    for i in range(3):
        services.reply(source, author=alice, body=f"Looking {i}.", internal=True)
    seen = _drawn(target)
    services.merge_tickets(source, target, actor=alice)
    with pytest.raises(Conflict) as caught:
        services.reply(target, author=alice, body="Done.", expected_version=seen)
    changes = selectors.changes_since(caught.value.ticket, seen)
    assert sorted(m.body for m in changes.messages) == [
        "Looking 0.", "Looking 1.", "Looking 2.", "Still billed twice."]
