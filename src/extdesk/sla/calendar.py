"""Business-time arithmetic: how much of a span falls in working hours, and when N working seconds end.

Plain values and functions, without Django (the migrations and the
benchmarks use them as they are). A working day runs from its opening to
its closing time on the calendar's wall clock, in its own zone; its length
is the real time between those two instants, so a day whose opening hours
hold a daylight-saving change is an hour shorter or longer, and 09:00-17:00
is eight hours on every day, the change days included (the change happens
at night). Instants go in and come out as aware datetimes in UTC.

Long spans skip whole weeks: a week without a holiday and without an
offset change inside it is ``len(working_days)`` nominal days; only the
other weeks are counted day by day.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Calendar:
    """When work happens: weekdays (Monday 0 ... Sunday 6), opening and closing time, holidays."""

    zone: ZoneInfo
    working_days: frozenset[int]
    opens: time
    closes: time
    holidays: tuple[date, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.working_days or not self.working_days <= set(range(7)):
            raise ValueError("a calendar needs at least one working day among 0 (Monday) to 6 (Sunday)")
        if self.closes <= self.opens:
            raise ValueError("a calendar's closing time must be after its opening time")
        # Sorted and unique, for bisect.
        object.__setattr__(self, "holidays", tuple(sorted(set(self.holidays))))

    @classmethod
    def of(cls, zone: str, working_days: Iterable[int], opens: time, closes: time,
           holidays: Iterable[date] = ()) -> Calendar:
        return cls(ZoneInfo(zone), frozenset(working_days), opens, closes, tuple(holidays))

    @property
    def nominal_day(self) -> timedelta:
        """A working day's length on the wall clock (what a day without an offset change lasts)."""
        return (datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens))

    def is_holiday(self, day: date) -> bool:
        index = bisect_left(self.holidays, day)
        return index < len(self.holidays) and self.holidays[index] == day

    def has_holiday_between(self, first: date, last: date) -> bool:
        """Whether a holiday falls on ``first`` ... ``last`` (both included)."""
        index = bisect_left(self.holidays, first)
        return index < len(self.holidays) and self.holidays[index] <= last

    def hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of local ``day`` as UTC instants; None on a day off."""
        if day.weekday() not in self.working_days or self.is_holiday(day):
            return None
        return (self._instant(day, self.opens), self._instant(day, self.closes))

    def _instant(self, day: date, moment: time) -> datetime:
        # A wall time skipped by a change to summer time counts with the offset before it (fold 0),
        # one repeated by the change back counts at its first occurrence.
        return datetime.combine(day, moment, tzinfo=self.zone).astimezone(UTC)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def week_length(self, monday: date) -> timedelta | None:
        """The working time of the 7 days from ``monday``, when they are all nominal; None otherwise.

        Nominal: no holiday, and the zone's offset the same at the first
        opening and the last closing of the week (zones change their offset
        at most once in a week, so then no day of it holds a change).
        """
        sunday = monday + timedelta(days=6)
        if self.has_holiday_between(monday, sunday):
            return None
        first = datetime.combine(monday, self.opens, tzinfo=self.zone)
        last = datetime.combine(sunday, self.closes, tzinfo=self.zone)
        if first.utcoffset() != last.utcoffset():
            return None
        return self.nominal_day * len(self.working_days)


def _aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return instant.astimezone(UTC)


def business_seconds_between(cal: Calendar, start: datetime, end: datetime) -> int:
    """The working seconds from ``start`` to ``end`` (whole seconds, rounded down); 0 when end <= start."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        return 0
    total = timedelta(0)
    first = day = cal.local_date(start)
    last = cal.local_date(end)
    while day <= last:
        if (day.weekday() == 0 and first < day and day + WEEK <= last
                and (length := cal.week_length(day)) is not None):
            # The whole week lies strictly inside the span: it starts after start's day, ends before end's.
            total += length
            day += WEEK
            continue
        hours = cal.hours_of(day)
        if hours is not None:
            opening, closing = max(hours[0], start), min(hours[1], end)
            if closing > opening:
                total += closing - opening
        day += DAY
    return int(total.total_seconds())


def add_business_seconds(cal: Calendar, start: datetime, seconds: int) -> datetime:
    """The instant at which ``seconds`` working seconds have passed since ``start``.

    0 is ``start`` itself; a positive count ends inside working hours (at a
    closing time when it uses a day up exactly).
    """
    start = _aware(start, "start")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if seconds == 0:
        return start
    remaining = timedelta(seconds=seconds)
    first = day = cal.local_date(start)
    # The first (partial) week day by day, up to a Monday; then whole weeks while they fit.
    while True:
        if day.weekday() == 0 and day > first:
            while (length := cal.week_length(day)) is not None and length < remaining:
                remaining -= length
                day += WEEK
        hours = cal.hours_of(day)
        if hours is not None:
            opening, closing = max(hours[0], start), hours[1]
            if closing > opening:
                if closing - opening >= remaining:
                    return opening + remaining
                remaining -= closing - opening
        day += DAY
