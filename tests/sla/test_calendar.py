"""Business-time arithmetic (extdesk.sla.calendar): weekends, holidays, summer-time changes, long spans."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extdesk.sla.calendar import Calendar, add_business_seconds, business_seconds_between

HOUR = 3600
OFFICE = Calendar.of("UTC", range(5), time(9), time(17))
BERLIN = Calendar.of("Europe/Berlin", range(5), time(9), time(17))
NEW_YORK = Calendar.of("America/New_York", range(5), time(9), time(17))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def test_within_one_day_counts_the_span_and_nothing_outside_the_hours():
    monday = (2026, 3, 2)
    assert business_seconds_between(OFFICE, utc(*monday, 10), utc(*monday, 12, 30)) == 2.5 * HOUR
    assert business_seconds_between(OFFICE, utc(*monday, 6), utc(*monday, 20)) == 8 * HOUR
    assert business_seconds_between(OFFICE, utc(*monday, 17), utc(*monday, 23)) == 0
    assert business_seconds_between(OFFICE, utc(*monday, 12), utc(*monday, 11)) == 0


def test_a_weekend_does_not_count():
    friday_16, monday_10 = utc(2026, 3, 6, 16), utc(2026, 3, 9, 10)
    assert business_seconds_between(OFFICE, friday_16, monday_10) == 2 * HOUR
    assert add_business_seconds(OFFICE, friday_16, 2 * HOUR) == monday_10
    # Started on a Saturday: the count begins at Monday's opening.
    assert add_business_seconds(OFFICE, utc(2026, 3, 7, 12), HOUR) == utc(2026, 3, 9, 10)


def test_a_day_used_up_exactly_ends_at_its_closing_not_the_next_opening():
    assert add_business_seconds(OFFICE, utc(2026, 3, 2, 9), 8 * HOUR) == utc(2026, 3, 2, 17)
    assert add_business_seconds(OFFICE, utc(2026, 3, 2, 9), 8 * HOUR + 1) == utc(2026, 3, 3, 9, 0, 1)


def test_holidays_are_skipped_whatever_their_weekday():
    calendar = Calendar.of("UTC", range(5), time(9), time(17), [date(2026, 12, 24), date(2026, 12, 25)])
    # Wednesday 23rd, 16:00 + 2 h: one hour on the 23rd, the 24th and 25th off, weekend, Monday 28th.
    assert add_business_seconds(calendar, utc(2026, 12, 23, 16), 2 * HOUR) == utc(2026, 12, 28, 10)
    assert business_seconds_between(calendar, utc(2026, 12, 23, 16), utc(2026, 12, 28, 10)) == 2 * HOUR
    # A holiday on a Saturday changes nothing.
    saturday = Calendar.of("UTC", range(5), time(9), time(17), [date(2026, 12, 26)])
    assert add_business_seconds(saturday, utc(2026, 12, 23, 16), 2 * HOUR) == utc(2026, 12, 24, 10)


def test_the_hours_are_local_to_the_calendars_zone():
    # 09:00 in Berlin in winter is 08:00 UTC.
    assert add_business_seconds(BERLIN, utc(2026, 1, 5, 0), HOUR) == utc(2026, 1, 5, 9)
    assert add_business_seconds(NEW_YORK, utc(2026, 1, 5, 0), HOUR) == utc(2026, 1, 5, 15)


@pytest.mark.parametrize(("zone", "friday", "monday"), [
    # Europe changes to summer time on Sunday 29 March 2026, back on Sunday 25 October.
    ("Europe/Berlin", (2026, 3, 27), (2026, 3, 30)),
    ("Europe/Berlin", (2026, 10, 23), (2026, 10, 26)),
    # The United States change on Sunday 8 March 2026 and Sunday 1 November.
    ("America/New_York", (2026, 3, 6), (2026, 3, 9)),
    ("America/New_York", (2026, 10, 30), (2026, 11, 2)),
])
def test_over_a_change_of_summer_time_the_hours_stay_9_to_17_on_the_wall_clock(zone, friday, monday):
    calendar = Calendar.of(zone, range(5), time(9), time(17))
    start = local(zone, *friday, 16)
    due = add_business_seconds(calendar, start, 2 * HOUR)
    # One hour on Friday, then Monday 09:00-10:00 local: the UTC offset changed over the weekend.
    assert due == local(zone, *monday, 10)
    assert due.astimezone(ZoneInfo(zone)).hour == 10
    assert business_seconds_between(calendar, start, due) == 2 * HOUR
    # A whole week over the change, Friday's closing to the next, is five eight-hour days.
    next_friday = (date(*friday) + timedelta(days=7)).timetuple()[:3]
    week = business_seconds_between(calendar, local(zone, *friday, 17), local(zone, *next_friday, 17))
    assert week == 40 * HOUR


def test_a_working_day_that_holds_the_change_is_an_hour_shorter_or_longer():
    # A night shift working on Sundays from 01:00 to 05:00 Berlin time.
    nights = Calendar.of("Europe/Berlin", [6], time(1), time(5))
    spring, autumn, plain = date(2026, 3, 29), date(2026, 10, 25), date(2026, 3, 22)

    def day_length(day: date) -> int:
        return business_seconds_between(nights, local("Europe/Berlin", day.year, day.month, day.day, 0),
                                        local("Europe/Berlin", day.year, day.month, day.day, 12))

    assert day_length(plain) == 4 * HOUR
    assert day_length(spring) == 3 * HOUR
    assert day_length(autumn) == 5 * HOUR
    # 01:00 + 2 h of business time on the spring night is 04:00 on the wall clock (02:00-03:00 is skipped).
    due = add_business_seconds(nights, local("Europe/Berlin", 2026, 3, 29, 1), 2 * HOUR)
    assert due.astimezone(ZoneInfo("Europe/Berlin")).time() == time(4)


def test_long_spans_are_counted_by_whole_weeks_quickly_and_exactly():
    holidays = [date(2030, 5, 1), date(2031, 12, 25)]
    calendar = Calendar.of("Europe/Berlin", range(5), time(9), time(17), holidays)
    start, end = local("Europe/Berlin", 2026, 1, 5, 9), local("Europe/Berlin", 2036, 1, 7, 9)
    began = clock.process_time()  # CPU time: what else runs on the machine does not count
    total = business_seconds_between(calendar, start, end)
    # Monday 7 January 2036, 09:00: the count ends at the closing of Friday the 4th.
    assert add_business_seconds(calendar, start, total) == local("Europe/Berlin", 2036, 1, 4, 17)
    assert clock.process_time() - began < 0.1
    # Counted day by day, to check the shortcut.
    slow = 0
    day = date(2026, 1, 5)
    while day < date(2036, 1, 7):
        if day.weekday() < 5 and day not in holidays:
            slow += 8 * HOUR
        day += timedelta(days=1)
    assert total == slow


def test_naive_times_negative_counts_and_impossible_calendars_are_refused():
    with pytest.raises(ValueError, match="aware"):
        business_seconds_between(OFFICE, datetime(2026, 3, 2, 9), utc(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(OFFICE, utc(2026, 3, 2, 9), -1)
    with pytest.raises(ValueError, match="closing time"):
        Calendar.of("UTC", range(5), time(17), time(9))
    with pytest.raises(ValueError, match="working day"):
        Calendar.of("UTC", [], time(9), time(17))


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    opens = draw(st.integers(0, 22 * 60))
    closes = draw(st.integers(opens + 1, 24 * 60 - 1))
    holidays = draw(st.lists(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=8))
    return Calendar.of(draw(st.sampled_from(ZONES)), days, time(opens // 60, opens % 60),
                       time(closes // 60, closes % 60), holidays)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(calendar=calendars(), start=instants, seconds=st.integers(0, 400 * 8 * HOUR))
def test_adding_business_seconds_is_the_inverse_of_counting_them(calendar, start, seconds):
    end = add_business_seconds(calendar, start, seconds)
    assert end >= start
    assert business_seconds_between(calendar, start, end) == seconds
    if seconds:
        # It ends at the first instant with that many seconds counted: a second earlier has fewer.
        assert business_seconds_between(calendar, start, end - timedelta(seconds=1)) == seconds - 1


@settings(max_examples=200, deadline=None)
@given(calendar=calendars(), start=instants, middle=instants, end=instants)
def test_counting_adds_up_over_consecutive_spans(calendar, start, middle, end):
    start, middle, end = sorted([start, middle, end])
    total = business_seconds_between(calendar, start, end)
    assert total in range(business_seconds_between(calendar, start, middle)
                          + business_seconds_between(calendar, middle, end), total + 2)
