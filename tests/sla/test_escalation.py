"""Escalation (extdesk.sla.duties.escalate): 80 % and the breach of a target, each notified once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Escalation, Priority, Status, Ticket
from extdesk.outbox.models import OutgoingMail
from extdesk.sla.duties import escalate
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


def escalation_mail() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(about__startswith="the escalation of").order_by("id"))


@pytest.fixture
def staff():
    return [make_staff(f"agent{n}", email=f"agent{n}@example.com", password=None) for n in range(2)]


def test_the_warning_and_the_breach_are_sent_once_each(clock, staff):
    ticket = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    assert escalate(clock.now) == 0
    # 48 minutes: 80 % of the hour.
    clock.advance(minutes=48)
    assert escalate(clock.now) == 1
    assert escalate(clock.now) == 0
    warned = Ticket.objects.get(pk=ticket.pk)
    assert warned.first_response_escalation == Escalation.WARNED and not warned.first_response_breached
    assert warned.next_escalation_at == warned.first_response_due_at
    clock.advance(minutes=12)
    assert escalate(clock.now) == 1
    assert escalate(clock.now + timedelta(days=3)) == 0
    breached = Ticket.objects.get(pk=ticket.pk)
    assert breached.first_response_escalation == Escalation.BREACHED and breached.first_response_breached
    assert breached.next_escalation_at is None
    mails = escalation_mail()
    assert [m.subject for m in mails] == [f"[#{ticket.pk}] First response due soon: Mail is down",
                                          f"[#{ticket.pk}] First response overdue: Mail is down"]
    # Nobody assigned: every desk user.
    assert all(m.recipients == ["agent0@example.com", "agent1@example.com"] for m in mails)


def test_the_assignee_alone_is_told_and_the_resolution_is_escalated_after_the_answer(clock, staff):
    ticket = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    services.update_properties(ticket, actor=staff[0], assignee=staff[1])
    clock.advance(minutes=10)
    services.reply(ticket, author=staff[1], body="On it.")
    # Resolution in 4 h: its warning at 3 h 12 min.
    clock.advance(hours=3, minutes=2)
    assert escalate(clock.now) == 1
    [mail] = escalation_mail()
    assert mail.recipients == ["agent1@example.com"]
    assert "Resolution due soon" in mail.subject and "close to its resolution target" in mail.body
    assert "Due: 2026-03-02 13:00 (UTC)" in mail.body and "Assigned to: agent1" in mail.body
    assert Ticket.objects.get(pk=ticket.pk).resolution_escalation == Escalation.WARNED


def test_a_worker_that_was_down_sends_the_breach_alone(clock, staff):
    ticket = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    clock.advance(hours=2)
    assert escalate(clock.now) == 1
    [mail] = escalation_mail()
    assert "First response overdue" in mail.subject
    assert Ticket.objects.get(pk=ticket.pk).first_response_escalation == Escalation.BREACHED


def test_a_paused_or_resolved_ticket_is_not_escalated(clock, staff):
    waiting = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    resolved = make_ticket(make_contact("other"), priority=Priority.URGENT)
    services.update_properties(waiting, actor=staff[0], status=Status.WAITING)
    services.update_properties(resolved, actor=staff[0], status=Status.RESOLVED)
    clock.advance(days=3)
    assert escalate(clock.now) == 0
    assert escalation_mail() == []


def test_a_ticket_answered_before_the_worker_came_is_not_escalated_for_its_first_response(clock, staff):
    ticket = make_ticket(make_contact("acme"), priority=Priority.URGENT)
    clock.advance(minutes=50)
    services.reply(ticket, author=staff[0], body="Here.")
    assert escalate(clock.now) == 0
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.first_response_escalation == Escalation.NONE and not ticket.first_response_breached
