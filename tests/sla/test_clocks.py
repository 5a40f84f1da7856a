"""The tickets' SLA clocks, kept by the helpdesk's writes: running, pausing, stopping, reopening, priority."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Escalation, Priority, Speaker, Status, Ticket
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def customer():
    return make_contact("acme")


@pytest.fixture
def agent():
    return make_staff(password=None)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_a_new_ticket_starts_its_clock_with_both_due_times(clock, customer):
    # Normal: first response in 8 business hours, resolution in 3 business days of 8 hours.
    ticket = fresh(make_ticket(customer, body="\n\n  Mail is down   since 9\nmore"))
    assert ticket.sla_clock_since == clock.now and ticket.sla_elapsed_seconds == 0
    assert ticket.first_response_due_at == clock.now.replace(hour=17)
    assert ticket.resolution_due_at == clock.now.replace(day=4, hour=17)
    assert ticket.next_due_at == ticket.first_response_due_at
    # 80 % of eight hours: 6 h 24 min.
    assert ticket.next_escalation_at == clock.now.replace(hour=15, minute=24)
    assert (ticket.last_speaker, ticket.last_message_excerpt) == (Speaker.CUSTOMER, "Mail is down since 9")


def test_the_first_public_staff_reply_is_the_first_response_and_notes_change_nothing(clock, customer, agent):
    ticket = make_ticket(customer)
    clock.advance(hours=2)
    services.reply(ticket, author=agent, body="Looking into it.", internal=True)
    noted = fresh(ticket)
    assert noted.first_responded_at is None
    assert (noted.last_speaker, noted.last_message_excerpt) == (Speaker.CUSTOMER, "Since this morning.")
    clock.advance(hours=1)
    services.reply(ticket, author=agent, body="Fixed the MX record.\nRegards")
    answered = fresh(ticket)
    assert answered.first_responded_at == clock.now
    assert not answered.first_response_breached
    # The first response's due time stays, for the reports; the resolution is due next.
    assert answered.first_response_due_at == clock.now.replace(hour=17)
    assert answered.next_due_at == answered.resolution_due_at == clock.now.replace(day=4, hour=17)
    assert (answered.last_speaker, answered.last_message_excerpt) == (Speaker.AGENT, "Fixed the MX record.")


def test_a_late_first_response_is_marked_breached(clock, customer, agent):
    ticket = make_ticket(customer, priority=Priority.URGENT)
    clock.advance(hours=1, minutes=5)
    services.reply(ticket, author=agent, body="Sorry for the wait.")
    assert fresh(ticket).first_response_breached


def test_waiting_on_the_customer_pauses_and_their_reply_restarts_the_clock(clock, customer, agent):
    ticket = make_ticket(customer)
    clock.advance(hours=2)
    services.reply(ticket, author=agent, body="Which domain?", then_status=Status.WAITING)
    paused = fresh(ticket)
    assert paused.sla_clock_since is None and paused.sla_elapsed_seconds == 2 * 3600
    assert paused.resolution_due_at is None and paused.next_due_at is None
    assert paused.next_escalation_at is None
    # Kept: it was met, and the reports compare the reply with it.
    assert paused.first_response_due_at == clock.now.replace(hour=17)
    # The night and the whole of Tuesday pass while it waits: none of it counts.
    clock.set(2026, 3, 4, 10)
    services.reply(ticket, author=customer, body="example.com")
    running = fresh(ticket)
    assert running.status == Status.OPEN
    assert running.sla_clock_since == clock.now and running.sla_elapsed_seconds == 2 * 3600
    # 24 business hours less the 2 counted: Wednesday 10:00 + 22 h = Friday 16:00.
    assert running.resolution_due_at == running.next_due_at == clock.now.replace(day=6, hour=16)
    assert running.last_speaker == Speaker.CUSTOMER


def test_a_ticket_set_waiting_before_any_answer_has_no_due_times_until_it_runs_again(clock, customer, agent):
    ticket = make_ticket(customer)
    clock.advance(hours=1)
    services.update_properties(ticket, actor=agent, status=Status.WAITING)
    paused = fresh(ticket)
    assert paused.first_response_due_at is None and paused.resolution_due_at is None
    clock.advance(hours=3)
    services.update_properties(ticket, actor=agent, status=Status.OPEN)
    running = fresh(ticket)
    assert running.sla_elapsed_seconds == 3600
    # Seven hours left from Monday 13:00: four on Monday, three on Tuesday.
    assert running.first_response_due_at == clock.now.replace(day=3, hour=12)


def test_resolving_stops_the_clock_and_a_customer_reply_reopens_it(clock, customer, agent):
    ticket = make_ticket(customer)
    clock.advance(hours=1)
    services.reply(ticket, author=agent, body="Done.", then_status=Status.RESOLVED)
    resolved = fresh(ticket)
    assert resolved.resolved_at == clock.now and resolved.closed_at is None
    assert resolved.sla_clock_since is None and resolved.next_due_at is None
    assert resolved.next_escalation_at is None and not resolved.resolution_breached
    assert resolved.resolution_due_at == clock.now.replace(day=4, hour=17)
    clock.set(2026, 3, 9, 9)
    services.reply(ticket, author=customer, body="Broken again.")
    reopened = fresh(ticket)
    assert reopened.status == Status.OPEN and reopened.resolved_at is None and reopened.closed_at is None
    assert reopened.sla_elapsed_seconds == 3600 and reopened.sla_clock_since == clock.now
    assert reopened.resolution_due_at == clock.now.replace(day=11, hour=16)


def test_closing_and_reopening_a_closed_ticket(clock, customer, agent):
    ticket = make_ticket(customer)
    clock.advance(hours=1)
    services.update_properties(ticket, actor=agent, status=Status.CLOSED)
    closed = fresh(ticket)
    # Closed straight from open: the closing resolved it.
    assert closed.closed_at == closed.resolved_at == clock.now
    clock.advance(hours=1)
    services.reopen_by_customer(ticket, contact=customer)
    reopened = fresh(ticket)
    assert reopened.resolved_at is None and reopened.closed_at is None
    assert reopened.sla_clock_since == clock.now


def test_resolving_late_marks_the_resolution_breached(clock, customer, agent):
    ticket = make_ticket(customer, priority=Priority.URGENT)
    clock.advance(hours=5)
    services.update_properties(ticket, actor=agent, status=Status.RESOLVED)
    ticket = fresh(ticket)
    assert ticket.resolution_breached and ticket.first_response_breached


def test_a_priority_change_moves_the_due_times_from_the_time_counted(clock, customer, agent):
    ticket = make_ticket(customer)
    clock.advance(minutes=30)
    services.update_properties(ticket, actor=agent, priority=Priority.URGENT)
    urgent = fresh(ticket)
    # An hour for the first response, half of it gone.
    assert urgent.first_response_due_at == urgent.next_due_at == clock.now + HOUR / 2
    # 48 minutes is the warning point, 18 minutes from now.
    assert urgent.next_escalation_at == clock.now + timedelta(minutes=18)
    assert urgent.resolution_due_at == clock.now + 3.5 * HOUR


def test_a_priority_change_rederives_the_escalation_steps(clock, customer, agent):
    ticket = make_ticket(customer, priority=Priority.URGENT)
    clock.advance(minutes=70)
    services.update_properties(ticket, actor=agent, priority=Priority.HIGH)
    high = fresh(ticket)
    assert not high.first_response_breached and high.first_response_escalation == Escalation.NONE
    services.update_properties(ticket, actor=agent, priority=Priority.URGENT)
    urgent = fresh(ticket)
    # Passed the hour again: marked at once; the breach mail is the worker's.
    assert urgent.first_response_breached
    assert urgent.next_escalation_at == urgent.sla_clock_since


def test_a_bulk_change_keeps_each_tickets_clock(clock, customer, agent):
    tickets = [make_ticket(customer, subject=f"Ticket {n}") for n in range(3)]
    clock.advance(hours=1)
    services.bulk_update([t.pk for t in tickets], actor=agent, status=Status.WAITING)
    assert all(t.sla_clock_since is None and t.sla_elapsed_seconds == 3600 and t.next_due_at is None
               for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]))


def test_a_merge_closes_the_source_and_the_target_speaks_as_its_latest_message(clock, customer, agent):
    target = make_ticket(customer, subject="First")
    clock.advance(minutes=10)
    services.reply(target, author=agent, body="On it.")
    clock.advance(minutes=10)
    source = make_ticket(customer, subject="Second", body="Also the web site")
    clock.advance(minutes=10)
    services.merge_tickets(source, target, actor=agent)
    merged, kept = fresh(source), fresh(target)
    assert merged.status == Status.CLOSED and merged.closed_at == clock.now and merged.next_due_at is None
    assert (kept.last_speaker, kept.last_message_excerpt) == (Speaker.CUSTOMER, "Also the web site")
    assert kept.first_responded_at is not None and kept.next_due_at == kept.resolution_due_at


def test_the_calendar_is_read_again_when_it_changes(clock, customer):
    from extdesk.sla import services as sla

    make_ticket(customer)
    sla.add_holiday(clock.now.date() + timedelta(days=1), "Tuesday off")
    # The edit raised the revision: this write reads the holiday, as one in another process would.
    ticket = fresh(make_ticket(customer, priority=Priority.LOW))
    assert ticket.first_response_due_at == clock.now.replace(day=2, hour=17)
    # Five days of eight hours: Monday, Wednesday to Friday, and the next Monday.
    assert ticket.resolution_due_at == clock.now.replace(day=9, hour=17)


def test_a_calendar_without_a_zone_counts_in_the_servers_zone_across_a_summer_time_change(clock, customer,
                                                                                            settings):
    settings.EXTDESK_TIME_ZONE = "America/New_York"
    # Friday 6 March 2026, 15:00 in New York (EST, UTC-5); summer time begins on Sunday the 8th.
    clock.set(2026, 3, 6, 20)
    ticket = fresh(make_ticket(customer))
    # Two hours on Friday, six from Monday's 09:00 EDT (13:00 UTC): 15:00 EDT, 19:00 UTC.
    assert ticket.first_response_due_at == clock.now.replace(day=9, hour=19)
