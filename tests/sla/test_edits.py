"""Editing the service levels (extdesk.sla.services): durations, validation, and open tickets following."""

from __future__ import annotations

from datetime import time

import pytest

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import Priority, Status, Ticket
from extdesk.sla import services
from extdesk.sla.models import BusinessCalendar, SlaPolicy
from tests.helpdesk.factories import make_contact, make_staff, make_ticket


@pytest.mark.parametrize(("text", "minutes"), [
    ("90m", 90), ("4h", 240), ("1h 30m", 90), ("1H30M", 90), ("2d", 2 * 600), ("1d 2h", 720), ("45 min", 45),
])
def test_durations_in_minutes_hours_and_business_days(text, minutes):
    # A calendar of ten-hour days: "1d" is ten hours.
    assert services.parse_duration(text, day_minutes=600, field="target") == minutes


@pytest.mark.parametrize(("text", "problem"), [
    ("", "duration such as"), ("90", "duration such as"), ("4 hours", "duration such as"),
    ("0m", "longer than zero"), ("400d", "at most 2,000 business hours"),
])
def test_bad_durations_name_the_field_and_the_problem(text, problem):
    with pytest.raises(InvalidInput) as refused:
        services.parse_duration(text, day_minutes=480, field="urgent_resolution")
    assert problem in refused.value.message_dict["urgent_resolution"][0]


@pytest.mark.parametrize(("minutes", "shown"), [(45, "45m"), (60, "1h"), (90, "1h 30m"), (1440, "24h")])
def test_targets_are_shown_in_hours_and_minutes(minutes, shown):
    assert services.format_minutes(minutes) == shown


@pytest.mark.django_db
def test_refused_edits_change_nothing():
    before = list(SlaPolicy.objects.values_list("priority", "first_response_minutes", "resolution_minutes"))
    with pytest.raises(InvalidInput) as refused:
        services.update_policies({Priority.URGENT: (60, 240), Priority.LOW: (0, 10)})
    assert "low_first_response" in refused.value.message_dict
    after = list(SlaPolicy.objects.values_list("priority", "first_response_minutes", "resolution_minutes"))
    assert after == before
    with pytest.raises(InvalidInput) as refused:
        services.update_calendar(time_zone="Europe/Nowhere", working_days=[7], opens_at=time(9),
                                 closes_at=time(9))
    assert set(refused.value.message_dict) == {"time_zone", "working_days", "closes_at"}
    assert BusinessCalendar.objects.get().revision == 1


@pytest.mark.django_db
def test_a_target_edit_recounts_every_open_ticket_in_batches(clock, monkeypatch):
    monkeypatch.setattr(services, "RECOMPUTE_BATCH", 2)
    customer = make_contact("acme")
    tickets = [make_ticket(customer, subject=f"Ticket {n}") for n in range(5)]
    from extdesk.helpdesk import services as helpdesk

    helpdesk.update_properties(tickets[0], actor=make_staff(password=None), status=Status.RESOLVED)
    resolved_due = Ticket.objects.get(pk=tickets[0].pk).first_response_due_at
    clock.advance(hours=1)
    services.update_policies({Priority.NORMAL: (120, 480)})
    for ticket in Ticket.objects.exclude(pk=tickets[0].pk):
        # An hour counted of the two now given for a normal ticket's first response.
        assert ticket.first_response_due_at == clock.now.replace(hour=11)
        assert ticket.resolution_due_at == clock.now.replace(hour=17)
    # A resolved ticket keeps the due times it was resolved against.
    assert Ticket.objects.get(pk=tickets[0].pk).first_response_due_at == resolved_due
