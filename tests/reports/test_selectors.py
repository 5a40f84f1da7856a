"""The reports' figures from known tickets, on whichever database the run uses (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from extdesk.helpdesk.models import Category, Priority, Status
from extdesk.reports import selectors
from extdesk.reports.expressions import utc_offset_changes
from extdesk.reports.selectors import NONE, Filters, Period
from extdesk.sla.models import BusinessCalendar
from tests.helpdesk.factories import make_staff

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


def at(text: str) -> datetime:
    """A UTC moment written as 'YYYY-MM-DD HH:MM:SS'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def report(period: Period, filters: Filters | None = None, categories=()):
    return selectors.report(period, filters or Filters(), list(categories))


def test_days_split_at_local_midnight_across_the_spring_change(tickets):
    # Berlin moves from UTC+1 to UTC+2 at 2026-03-29 01:00 UTC: that day has 23 hours.
    tickets(
        {"created_at": at("2026-03-27 22:59:59")},  # 23:59:59 on the 27th: before the period
        {"created_at": at("2026-03-27 23:00:00")},  # midnight starting the 28th
        {"created_at": at("2026-03-28 22:59:59")},
        {"created_at": at("2026-03-28 23:00:00")},  # midnight starting the 29th (still UTC+1)
        {"created_at": at("2026-03-29 00:59:59")},  # 01:59:59 UTC+1
        {"created_at": at("2026-03-29 01:00:00")},  # 03:00 UTC+2
        {"created_at": at("2026-03-29 21:59:59")},  # 23:59:59 UTC+2
        {"created_at": at("2026-03-29 22:00:00")},  # midnight starting the 30th
        {"created_at": at("2026-03-30 21:59:59")},
        {"created_at": at("2026-03-30 22:00:00")},  # the 31st: after the period
        {"created_at": at("2026-03-20 10:00:00"), "closed_at": at("2026-03-28 22:59:59.500000")},
        {"created_at": at("2026-03-20 10:00:00"), "closed_at": at("2026-03-29 22:00:00")},
        {"created_at": at("2026-03-20 10:00:00"), "closed_at": at("2026-03-30 22:00:00")},
    )
    found = report(Period(date(2026, 3, 28), date(2026, 3, 30), BERLIN))
    assert [(d.day, d.opened, d.closed) for d in found.days] == [
        (date(2026, 3, 28), 2, 1), (date(2026, 3, 29), 4, 0), (date(2026, 3, 30), 2, 1)]
    assert (found.opened, found.closed) == (8, 2)


def test_days_split_at_local_midnight_across_the_autumn_change(tickets):
    # Back to UTC+1 at 2026-10-25 01:00 UTC: the 25th has 25 hours.
    tickets(
        {"created_at": at("2026-10-24 22:00:00")},  # midnight starting the 25th (UTC+2)
        {"created_at": at("2026-10-25 00:30:00")},  # 02:30 UTC+2
        {"created_at": at("2026-10-25 01:30:00")},  # 02:30 again, UTC+1
        {"created_at": at("2026-10-25 22:59:59")},  # 23:59:59 UTC+1
        {"created_at": at("2026-10-25 23:00:00")},  # the 26th
    )
    found = report(Period(date(2026, 10, 25), date(2026, 10, 26), BERLIN))
    assert [(d.day, d.opened) for d in found.days] == [(date(2026, 10, 25), 4), (date(2026, 10, 26), 1)]


def test_every_day_is_listed_even_without_tickets(db):
    found = report(Period(date(2026, 5, 1), date(2026, 5, 7), UTC_ZONE))
    assert [d.day for d in found.days] == [date(2026, 5, n) for n in range(1, 8)]
    assert {(d.opened, d.closed) for d in found.days} == {(0, 0)}
    assert [(t.tickets, t.median, t.p90) for t in found.times] == [(0, None, None), (0, None, None)]


def test_the_offsets_of_a_period_change_at_the_exact_second():
    start, end = at("2026-10-20 22:00:00"), at("2026-10-31 23:00:00")
    assert utc_offset_changes(BERLIN, start, end) == [
        (start, timedelta(hours=2)), (at("2026-10-25 01:00:00"), timedelta(hours=1))]
    kolkata = ZoneInfo("Asia/Kolkata")
    assert utc_offset_changes(kolkata, start, end) == [(start, timedelta(hours=5, minutes=30))]


def test_the_days_are_the_business_calendars_then_the_settings(tickets, settings):
    tickets({"created_at": at("2026-06-01 23:30:00")})  # June 2nd in Berlin, June 1st in UTC
    settings.EXTDESK_TIME_ZONE = "Europe/Berlin"
    BusinessCalendar.objects.update_or_create(pk=1, defaults={"time_zone": ""})
    assert selectors.report_zone() == BERLIN
    BusinessCalendar.objects.filter(pk=1).update(time_zone="America/New_York")
    assert selectors.report_zone() == ZoneInfo("America/New_York")
    found = report(Period(date(2026, 6, 1), date(2026, 6, 2), selectors.report_zone()))
    assert [d.opened for d in found.days] == [1, 0]  # 19:30 on June 1st in New York


def test_median_and_90th_percentile_interpolate_as_percentile_cont(tickets):
    base = at("2026-04-01 08:00:00")
    late = timedelta(days=40)  # opened after the period: not measured
    tickets(
        *[{"created_at": base, "first_responded_at": base + timedelta(seconds=s)}
          for s in (600, 60, 180, 240, 120)],
        {"created_at": base, "resolved_at": base + timedelta(hours=1)},
        {"created_at": base, "resolved_at": base + timedelta(hours=2)},
        {"created_at": base + late, "first_responded_at": base + late + timedelta(days=9),
         "resolved_at": base + late + timedelta(days=9)},
    )
    found = report(Period(date(2026, 4, 1), date(2026, 4, 30), UTC_ZONE))
    first_response, resolution = found.times
    # Sorted 60, 120, 180, 240, 600: the median is the third; p90 lies 0.6 of the way from 240 to 600.
    assert (first_response.tickets, first_response.median, first_response.p90) == (5, 180, 456)
    # Two values: the median halfway, p90 nine tenths of the way.
    assert (resolution.tickets, resolution.median, resolution.p90) == (2, 5400, 6840)


def test_one_measured_ticket_is_its_own_median_and_p90(tickets):
    base = at("2026-04-02 08:00:00")
    tickets({"created_at": base, "first_responded_at": base + timedelta(minutes=7)})
    first_response, _resolution = report(Period(date(2026, 4, 1), date(2026, 4, 30), UTC_ZONE)).times
    assert (first_response.median, first_response.p90) == (420, 420)


def test_sla_attained_counts_only_known_outcomes(tickets):
    base = at("2026-04-03 09:00:00")
    answered = base + timedelta(hours=1)
    urgent = {"priority": Priority.URGENT, "created_at": base}
    tickets(
        {**urgent, "first_responded_at": answered, "resolved_at": answered},  # both met
        {**urgent, "first_responded_at": answered, "first_response_breached": True},  # answered late
        {**urgent, "first_response_breached": True, "resolution_breached": True},  # not answered, late
        {**urgent},  # waiting, still within both targets: unknown
        {**urgent, "first_responded_at": answered, "resolved_at": answered, "resolution_breached": True},
        {"priority": Priority.LOW, "created_at": base, "first_responded_at": answered},
    )
    rows = {row.priority: row for row in report(Period(date(2026, 4, 1), date(2026, 4, 30), UTC_ZONE)).sla}
    assert list(rows) == [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]
    urgent_row = rows[Priority.URGENT]
    assert urgent_row.opened == 5
    assert (urgent_row.first_response.known, urgent_row.first_response.met) == (4, 2)
    assert urgent_row.first_response.percent == 50
    assert (urgent_row.resolution.known, urgent_row.resolution.met) == (3, 1)
    assert urgent_row.resolution.percent == pytest.approx(100 / 3)
    assert (rows[Priority.LOW].first_response.percent, rows[Priority.LOW].resolution.percent) == (100, None)
    assert rows[Priority.HIGH].opened == 0 and rows[Priority.HIGH].first_response.percent is None


def test_backlog_is_now_by_status_whatever_the_period(tickets):
    old = at("2020-01-01 00:00:00")
    tickets(*[{"created_at": old, "status": status}
              for status in (Status.NEW, Status.NEW, Status.OPEN, Status.WAITING, Status.RESOLVED,
                             Status.CLOSED)])
    found = report(Period(date(2026, 4, 1), date(2026, 4, 7), UTC_ZONE))
    assert [(row.label, row.tickets) for row in found.backlog] == [
        ("New", 2), ("Open", 1), ("Waiting on customer", 1)]


def test_opened_per_category_most_first_and_those_without_last(tickets):
    billing, dns = Category.objects.create(name="Billing"), Category.objects.create(name="DNS")
    day = at("2026-04-05 12:00:00")
    tickets({"created_at": day, "category": billing}, {"created_at": day, "category": dns},
            {"created_at": day, "category": dns}, {"created_at": day})
    found = report(Period(date(2026, 4, 1), date(2026, 4, 7), UTC_ZONE), categories=[billing, dns])
    assert [(row.label, row.tickets) for row in found.categories] == [("DNS", 2), ("Billing", 1),
                                                                      ("No category", 1)]


def test_filters_narrow_every_figure(tickets):
    billing = Category.objects.create(name="Billing")
    agent = make_staff("agent", password=None)
    day = at("2026-04-05 12:00:00")
    tickets({"created_at": day, "priority": Priority.HIGH, "category": billing, "assignee": agent},
            {"created_at": day, "priority": Priority.HIGH},
            {"created_at": day, "priority": Priority.LOW, "category": billing, "status": Status.OPEN})
    period = Period(date(2026, 4, 1), date(2026, 4, 7), UTC_ZONE)

    def opened(**filters) -> int:
        return report(period, Filters(**filters)).opened

    assert opened() == 3
    assert opened(priority=Priority.HIGH) == 2
    assert opened(category=billing.pk) == 2
    assert opened(category=NONE) == 1
    assert opened(assignee=agent.pk) == 1
    assert opened(assignee=NONE, priority=Priority.HIGH) == 1
    backlog = report(period, Filters(priority=Priority.LOW)).backlog
    assert [row.tickets for row in backlog] == [0, 1, 0]


@pytest.mark.parametrize("count", [3, 60])
def test_a_constant_number_of_queries(tickets, django_assert_num_queries, count):
    base = at("2026-04-03 09:00:00")
    tickets(*[{"created_at": base + timedelta(hours=n), "first_responded_at": base + timedelta(hours=n + 1),
               "resolved_at": base + timedelta(hours=n + 5), "closed_at": base + timedelta(hours=n + 6),
               "priority": 1 + n % 4} for n in range(count)])
    period = Period(date(2026, 4, 1), date(2026, 4, 30), BERLIN)
    from django.db import connection

    # Days opened, days closed, backlog, counts per priority and category; percentiles: one query on
    # PostgreSQL, one per measure on SQLite; satisfaction per agent, per category and per day.
    expected = 8 if connection.vendor == "postgresql" else 9
    with django_assert_num_queries(expected):
        found = report(period)
    assert found.opened == count
