"""Copies (Cc) on tickets: the services that add and remove them, their rules, merging and guests."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from extdesk.contacts import services as contact_services
from extdesk.contacts.models import Contact
from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import Conflict, InvalidInput, NotAllowed
from extdesk.helpdesk.models import CopyWay, EventKind, Status, TicketCopy
from extdesk.helpdesk.services import MAX_COPIES
from extdesk.mail.services import receive
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff("agent", email="agent@example.com", password=None)


@pytest.fixture
def ann():
    return make_contact("acme", email="ann@example.com")


def _refusal(ticket, address, actor) -> str:
    with pytest.raises(InvalidInput) as refused:
        services.add_copy(ticket, address, actor=actor)
    return " ".join(refused.value.message_dict["address"])


def test_adding_and_removing_records_one_history_line_each_and_raises_the_version(agent, ann):
    ticket = make_ticket(ann)
    version = ticket.version
    assert services.add_copy(ticket, "  Bea@Example.net ", actor=agent) is True
    assert ticket.version == version + 1
    copy = TicketCopy.objects.get()
    assert (copy.address, copy.how, copy.added_by_user, copy.added_by_contact) == (
        "Bea@Example.net", CopyWay.DESK, agent, None)
    # The same address whatever its case is there already: nothing changes.
    assert services.add_copy(ticket, "bea@example.NET", actor=ann) is False
    assert ticket.version == version + 1
    assert services.add_copy(ticket, "carl@example.net", actor=ann) is True
    assert TicketCopy.objects.get(address="carl@example.net").how == CopyWay.PORTAL
    assert services.remove_copy(ticket, "BEA@example.net", actor=ann) is True
    assert services.remove_copy(ticket, "bea@example.net", actor=ann) is False
    assert selectors.copied_addresses(ticket.pk) == ["carl@example.net"]
    events = [(e.kind, e.new_value, e.actor_user_id, e.actor_contact_id)
              for e in ticket.events.filter(kind__in=[EventKind.COPY_ADDED, EventKind.COPY_REMOVED])]
    assert events == [(EventKind.COPY_ADDED, "Bea@Example.net", agent.pk, None),
                      (EventKind.COPY_ADDED, "carl@example.net", None, ann.pk),
                      (EventKind.COPY_REMOVED, "Bea@Example.net", None, ann.pk)]


def test_the_database_keeps_one_copy_per_address_whatever_its_case(ann):
    ticket = make_ticket(ann)
    TicketCopy.objects.create(ticket=ticket, address="bea@example.net", added_at=timezone.now(), how="desk")
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketCopy.objects.create(ticket=ticket, address="BEA@example.net", added_at=timezone.now(),
                                  how="desk")


def test_what_is_refused_and_why(agent, ann, settings):
    settings.DEFAULT_FROM_EMAIL = "Support <support@example.com>"
    make_staff("gone", email="former@example.com", password=None, is_active=False)
    ticket = make_ticket(ann)
    assert "valid e-mail address" in _refusal(ticket, "not an address", agent)
    assert "Enter an e-mail address" in _refusal(ticket, "  ", agent)
    assert "characters" in _refusal(ticket, "a" * 250 + "@example.com", agent)
    assert "customer" in _refusal(ticket, "ANN@example.com", agent)
    for own in ("support@example.com", "Agent@example.com", "former@example.com"):
        assert "staff member" in _refusal(ticket, own, agent)
    for n in range(MAX_COPIES):
        services.add_copy(ticket, f"person{n}@example.net", actor=agent)
    assert "at most 10" in _refusal(ticket, "one.more@example.net", agent)
    # A copy already there is no eleventh.
    assert services.add_copy(ticket, "PERSON0@example.net", actor=agent) is False
    assert TicketCopy.objects.count() == MAX_COPIES


def test_the_customer_side_manages_copies_and_a_copied_person_does_not(agent, ann):
    colleague = make_contact("acme", email="cole@example.com")
    outsider = make_contact("other", email="bea@example.net")
    ticket = make_ticket(ann)
    assert services.add_copy(ticket, "dan@example.net", actor=colleague)
    services.add_copy(ticket, "bea@example.net", actor=agent)
    with pytest.raises(NotAllowed):
        services.add_copy(ticket, "eve@example.net", actor=outsider)
    with pytest.raises(NotAllowed):
        services.remove_copy(ticket, "dan@example.net", actor=outsider)
    # But the copied person may answer, and reopen, as the mail channel lets them.
    services.reply(ticket, author=outsider, body="Me too.")
    services.update_properties(ticket, actor=agent, status=Status.CLOSED)
    assert services.reopen_by_customer(ticket, contact=outsider)
    # Closing stays the customer side's.
    with pytest.raises(NotAllowed):
        services.close_by_customer(ticket, contact=outsider)
    services.remove_copy(ticket, "bea@example.net", actor=ann)
    with pytest.raises(NotAllowed):
        services.reply(ticket, author=outsider, body="Still here?")


def test_a_stale_form_conflicts_only_with_someone_elses_change_of_the_copies(agent, ann):
    other = make_staff("other", email="other@example.com", password=None)
    ticket = make_ticket(ann)
    drawn = ticket.version
    services.update_properties(ticket, actor=other, priority=3)
    # Another property changed meanwhile: the copies are not in question.
    assert services.add_copy(ticket, "bea@example.net", actor=agent, expected_version=drawn)
    # Its own change since does not stop the agent either.
    assert services.add_copy(ticket, "carl@example.net", actor=agent, expected_version=drawn)
    services.remove_copy(ticket, "bea@example.net", actor=other)
    before = (ticket.version, selectors.copied_addresses(ticket.pk))
    for change in (services.add_copy, services.remove_copy):
        with pytest.raises(Conflict) as conflict:
            change(ticket, "carl@example.net", actor=agent, expected_version=drawn)
        assert conflict.value.since_version == drawn
    assert (ticket.version, selectors.copied_addresses(ticket.pk)) == before
    with pytest.raises(Conflict):
        services.add_copy(ticket, "dan@example.net", actor=ann, expected_version=drawn)
    assert services.add_copy(ticket, "dan@example.net", actor=agent, expected_version=None)


def test_merging_moves_the_copies_once_each_and_tells_them(agent, ann):
    old, new = make_ticket(ann, "First"), make_ticket(ann, "Second")
    for address in ("bea@example.net", "carl@example.net"):
        services.add_copy(old, address, actor=agent)
    services.add_copy(new, "CARL@example.net", actor=agent)
    services.merge_tickets(old, new, actor=agent)
    assert selectors.copied_addresses(old.pk) == []
    # In the order they were added, wherever.
    assert selectors.copied_addresses(new.pk) == ["bea@example.net", "CARL@example.net"]
    assert new.events.filter(kind=EventKind.COPY_ADDED, new_value="bea@example.net",
                             actor_user=agent).exists()
    merge_mail = OutgoingMail.objects.get(about__startswith="the merge")
    assert merge_mail.recipients == ["ann@example.com"]
    assert merge_mail.cc == ["bea@example.net", "CARL@example.net"]
    with pytest.raises(InvalidInput) as refused:
        services.add_copy(old, "dan@example.net", actor=agent)
    assert f"#{new.pk}" in refused.value.message_dict["address"][0]


def test_a_merge_over_the_cap_keeps_everyone(agent, ann):
    old, new = make_ticket(ann, "First"), make_ticket(ann, "Second")
    for n in range(MAX_COPIES):
        services.add_copy(old, f"old{n}@example.net", actor=agent)
        services.add_copy(new, f"new{n}@example.net", actor=agent)
    services.merge_tickets(old, new, actor=agent)
    assert len(selectors.copied_addresses(new.pk)) == 2 * MAX_COPIES


def test_a_guest_who_copied_people_is_taken_over_by_its_synchronised_contact(settings):
    settings.DEFAULT_FROM_EMAIL = "support@example.com"
    receipt = receive(mail(sender="Bob <bob@example.net>", headers=[("Cc", "bea@example.net")]),
                      source="pipe")
    guest = Contact.objects.get(email="bob@example.net")
    copy = TicketCopy.objects.get(ticket_id=receipt.ticket_id)
    assert copy.added_by_contact == guest
    contact_services.alter_contacts([{"id": 77, "email": "bob@example.net", "first_name": "Bob"}])
    contact = Contact.objects.get(platform_id=77)
    copy.refresh_from_db()
    assert copy.added_by_contact == contact
    assert copy.ticket.contact == contact
    assert copy.ticket.events.filter(kind=EventKind.COPY_ADDED, actor_contact=contact).exists()


def test_the_automatic_closing_mail_goes_to_the_copies_too(agent, ann):
    ticket = make_ticket(ann)
    services.add_copy(ticket, "bea@example.net", actor=ann)
    services.update_properties(ticket, actor=agent, status=Status.RESOLVED)
    assert services.close_unanswered(ticket.pk, resolved_before=timezone.now(), days=7)
    closing = OutgoingMail.objects.get(about__startswith="the automatic closing")
    assert closing.recipients == ["ann@example.com"] and closing.cc == ["bea@example.net"]
    # The resolution's mail: the customer's with the rating's links, the copies' without them.
    to_contact, to_copies = OutgoingMail.objects.filter(about__startswith="the status change").order_by("id")
    assert (to_contact.recipients, to_contact.cc) == (["ann@example.com"], [])
    assert (to_copies.recipients, to_copies.cc) == (["bea@example.net"], [])
    assert "/rate/" in to_contact.body and "/rate/" not in to_copies.body
