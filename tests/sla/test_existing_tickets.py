"""Migration sla 0002 on tickets from before the clocks: clocks start at the upgrade, history is read."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Priority, Speaker, Status, Ticket
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

migration = importlib.import_module("extdesk.sla.migrations.0002_clocks_of_existing_tickets")


def as_before_the_clocks() -> None:
    Ticket.objects.update(sla_elapsed_seconds=0, sla_clock_since=None, first_response_due_at=None,
                          resolution_due_at=None, next_due_at=None, next_escalation_at=None,
                          first_responded_at=None, resolved_at=None, closed_at=None, last_speaker="",
                          last_message_excerpt="")


def test_existing_tickets_get_clocks_from_now_and_what_their_history_says(clock):
    agent = make_staff(password=None)
    customer = make_contact("acme")
    fresh = make_ticket(customer, subject="Unanswered", priority=Priority.URGENT)
    answered = make_ticket(customer, subject="Answered")
    clock.advance(minutes=5)
    services.reply(answered, author=agent, body="\nWe are on it.")
    services.reply(answered, author=agent, body="Internal remark", internal=True)
    resolved = make_ticket(customer, subject="Resolved")
    services.update_properties(resolved, actor=agent, status=Status.RESOLVED)
    resolved_when = clock.now
    waiting = make_ticket(customer, subject="Waiting")
    services.update_properties(waiting, actor=agent, status=Status.WAITING)
    as_before_the_clocks()
    upgrade = clock.advance(days=30)

    migration.start_clocks(apps, connection.schema_editor())

    fresh, answered, resolved, waiting = (Ticket.objects.get(pk=t.pk)
                                          for t in (fresh, answered, resolved, waiting))
    assert fresh.sla_clock_since == upgrade and fresh.first_response_due_at == upgrade + timedelta(hours=1)
    assert fresh.next_due_at == fresh.first_response_due_at
    assert fresh.next_escalation_at == upgrade + timedelta(minutes=48)
    assert (fresh.last_speaker, fresh.last_message_excerpt) == (Speaker.CUSTOMER, "Since this morning.")
    assert answered.first_responded_at == upgrade - timedelta(days=30)
    assert answered.next_due_at == answered.resolution_due_at
    assert (answered.last_speaker, answered.last_message_excerpt) == (Speaker.AGENT, "We are on it.")
    assert resolved.resolved_at == resolved_when and resolved.next_due_at is None
    assert waiting.sla_clock_since is None and waiting.next_due_at is None
