"""Escalation mail by each agent's "Mail me about" choices: their own tickets', unassigned tickets'."""

from __future__ import annotations

import pytest

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Escalation, Priority, StaffProfile, Ticket
from extdesk.outbox.models import OutgoingMail
from extdesk.sla.duties import escalate
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


def escalation_recipients() -> list[list[str]]:
    mails = OutgoingMail.objects.filter(about__startswith="the escalation of").order_by("id")
    return [m.recipients for m in mails]


@pytest.fixture
def staff():
    return [make_staff(f"agent{n}", email=f"agent{n}@example.com", password=None) for n in range(3)]


def test_unassigned_escalations_go_to_those_who_want_them(clock, staff):
    StaffProfile.objects.create(user=staff[1], mail_escalations_unassigned=False)
    # Not wanting new tickets or replies changes nothing here.
    StaffProfile.objects.create(user=staff[2], mail_new_unassigned=False, mail_replies_unassigned=False,
                                mail_mine=False)
    ticket = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    clock.advance(minutes=48)
    assert escalate(clock.now) == 1
    assert escalation_recipients() == [["agent0@example.com", "agent2@example.com"]]
    body = OutgoingMail.objects.get(about__startswith="the escalation of").body
    assert "Assigned to: nobody (so the staff who asked for these are told)" in body
    assert Ticket.objects.get(pk=ticket.pk).first_response_escalation == Escalation.WARNED


def test_an_assignee_who_opted_out_of_their_escalations_is_not_told_nor_is_anyone(clock, staff):
    StaffProfile.objects.create(user=staff[1], mail_escalations_mine=False)
    ticket = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    services.update_properties(ticket, actor=staff[0], assignee=staff[1])
    clock.advance(minutes=48)
    assert escalate(clock.now) == 1
    assert escalation_recipients() == []
    # The step is claimed all the same: it is not sent later, and the breach comes in its turn.
    assert Ticket.objects.get(pk=ticket.pk).first_response_escalation == Escalation.WARNED
    services.update_properties(ticket, actor=staff[0], assignee=staff[0])
    clock.advance(minutes=12)
    assert escalate(clock.now) == 1
    assert escalation_recipients() == [["agent0@example.com"]]


def test_an_assignee_who_wants_only_escalations_gets_those_and_not_the_replies(clock, staff):
    StaffProfile.objects.create(user=staff[1], mail_mine=False)
    contact = make_contact("acme")
    ticket = make_ticket(contact, priority=Priority.URGENT)
    services.update_properties(ticket, actor=staff[0], assignee=staff[1])
    services.reply(ticket, author=contact, body="Any news?")
    clock.advance(minutes=48)
    assert escalate(clock.now) == 1
    assert escalation_recipients() == [["agent1@example.com"]]
    assert not OutgoingMail.objects.filter(about__startswith="the customer reply on").exists()
