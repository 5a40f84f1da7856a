"""The service-level pages at /desk/sla/: superusers change targets, hours and holidays; agents may not."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from extdesk.helpdesk.models import Priority, Ticket
from extdesk.sla.models import BusinessCalendar, Holiday, SlaPolicy
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db

TARGETS = {"urgent_first_response": "30m", "urgent_resolution": "2h", "high_first_response": "2h",
           "high_resolution": "1d", "normal_first_response": "4h", "normal_resolution": "2d",
           "low_first_response": "1d", "low_resolution": "5d"}


@pytest.fixture
def admin(client):
    user = make_staff("boss", email="boss@example.com", password=None, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def agent_client(client):
    client.force_login(make_staff("agent", password=None))
    return client


def _targets() -> dict[int, tuple[int, int]]:
    return {p.priority: (p.first_response_minutes, p.resolution_minutes) for p in SlaPolicy.objects.all()}


def test_superusers_see_the_page_and_the_navigation_links_to_it(admin):
    page = admin.get(reverse("desk:sla"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/desk/sla/"' in html
    # The defaults, as durations: urgent 1 h / 4 h, normal 8 h / 3 business days of 8 h.
    assert 'value="1h"' in html and 'value="4h"' in html and 'value="24h"' in html


def test_agents_are_refused_every_page_and_change_nothing(agent_client):
    assert agent_client.get(reverse("desk:sla")).status_code == 403
    before = _targets()
    assert agent_client.post(reverse("desk:sla_policies"), TARGETS).status_code == 403
    assert agent_client.post(reverse("desk:sla_holiday_add"), {"date": "2026-12-24"}).status_code == 403
    assert _targets() == before and not Holiday.objects.exists()
    assert 'href="/desk/sla/"' not in agent_client.get(reverse("desk:queue")).content.decode()


def test_anonymous_visitors_go_to_the_sign_in(client):
    assert client.get(reverse("desk:sla"))["Location"].startswith(reverse("desk:login"))


def test_saving_targets_in_hours_minutes_and_business_days(admin):
    response = admin.post(reverse("desk:sla_policies"), {**TARGETS, "normal_first_response": "1h 30m"})
    assert response.status_code == 302
    targets = _targets()
    assert targets[Priority.URGENT] == (30, 120)
    assert targets[Priority.NORMAL] == (90, 2 * 8 * 60)
    assert targets[Priority.LOW] == (8 * 60, 5 * 8 * 60)


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("urgent_first_response", "0h", "longer than zero"),
    ("urgent_first_response", "90", "duration such as"),
    ("high_resolution", "soon", "duration such as"),
    ("normal_resolution", "1h", "cannot be due before their first response"),
])
def test_refused_targets_say_what_is_wrong_and_change_nothing(admin, field, value, problem):
    before = _targets()
    response = admin.post(reverse("desk:sla_policies"), {**TARGETS, field: value})
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert _targets() == before


def test_business_hours_change_and_open_tickets_follow(admin, clock):
    ticket = make_ticket(make_contact("acme"), priority=Priority.NORMAL)
    # Eight business hours from Monday 09:00 UTC: Monday 17:00.
    assert Ticket.objects.get(pk=ticket.pk).first_response_due_at == clock.now.replace(hour=17)
    clock.set(2026, 3, 2, 13)
    response = admin.post(reverse("desk:sla_calendar"), {
        "time_zone": "Europe/Berlin", "working_days": ["0", "1", "2", "3", "4", "5"],
        "opens_at": "07:30", "closes_at": "16:00"})
    assert response.status_code == 302
    row = BusinessCalendar.objects.get()
    assert (row.time_zone, row.working_days, row.opens_at, row.closes_at) == (
        "Europe/Berlin", "012345", time(7, 30), time(16))
    # Four hours counted in the old hours; the four left are 14:00-16:00 Berlin today and 07:30-09:30
    # on Tuesday (08:30 UTC).
    due = Ticket.objects.get(pk=ticket.pk).first_response_due_at
    assert due == clock.now.replace(day=3, hour=8, minute=30)


@pytest.mark.parametrize(("data", "field", "problem"), [
    ({"time_zone": "Mars/Olympus"}, "time_zone", "not a time zone name"),
    ({"opens_at": "17:00", "closes_at": "09:00"}, "closes_at", "closing time must be after"),
    ({"working_days": []}, "working_days", "at least one working day"),
])
def test_refused_business_hours_change_nothing(admin, data, field, problem):
    form = {"time_zone": "", "working_days": ["0", "1", "2", "3", "4"], "opens_at": "09:00",
            "closes_at": "17:00", **data}
    response = admin.post(reverse("desk:sla_calendar"), form)
    assert response.status_code == 400
    assert problem in response.content.decode()
    row = BusinessCalendar.objects.get()
    assert (row.time_zone, row.working_days, row.opens_at, row.revision) == ("", "01234", time(9), 1)


def test_holidays_are_added_refused_twice_and_removed(admin, clock):
    ticket = make_ticket(make_contact("acme"), priority=Priority.NORMAL)
    assert Ticket.objects.get(pk=ticket.pk).first_response_due_at == clock.now.replace(hour=17)
    assert admin.post(reverse("desk:sla_holiday_add"), {"date": "2026-03-02", "name": "Founders' day"}
                      ).status_code == 302
    holiday = Holiday.objects.get()
    assert (holiday.date, holiday.name) == (date(2026, 3, 2), "Founders' day")
    # Today is off now: the normal ticket's eight hours are Tuesday's.
    assert Ticket.objects.get(pk=ticket.pk).first_response_due_at == clock.now.replace(day=3, hour=17)
    again = admin.post(reverse("desk:sla_holiday_add"), {"date": "2026-03-02"})
    assert again.status_code == 400 and "is a holiday already" in again.content.decode()
    assert "Founders&#x27; day" in admin.get(reverse("desk:sla")).content.decode()
    assert admin.post(reverse("desk:sla_holiday_remove", args=[holiday.pk])).status_code == 302
    assert not Holiday.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).first_response_due_at == clock.now.replace(hour=17)
