"""The SQL the reports need that Django has no native spelling for on both databases.

Django's own spellings run a Python function per row on SQLite (TruncDate with
a time zone, subtracting datetimes), which at 100,000 rows costs more than the
whole page may take; these stay inside the database's own functions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Aggregate, Case, DateField, DurationField, F, FloatField, Func, Value, When
from django.db.models.expressions import Expression

_SECOND = timedelta(seconds=1)


class SecondsBetween(Func):
    """``end - start`` in whole seconds, as a float (NULL when either is)."""

    output_field = FloatField()
    arity = 2
    # The arguments are given as (end, start).
    # date_part() is double precision; EXTRACT() is numeric, several times slower to compute and sort.
    template = "ROUND(date_part('epoch', %(expressions)s))"
    arg_joiner = " - "

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(end), F(start))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() counts days as a double: to the second, rounding removes its last-digit noise.
        return self.as_sql(compiler, connection, template="ROUND((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the value at ``fraction`` of the ordered values, interpolated."""

    function = "percentile_cont"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Expression, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError(f"a percentile's fraction lies between 0 and 1, not {fraction}")
        # A literal from the code, never from a request: it goes into the SQL as written.
        self.template = f"%(function)s({fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        super().__init__(expression, **extra)


def utc_offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """The offsets of ``zone`` from UTC between ``start`` and ``end``: (from when, offset), in order.

    The first entry starts at ``start``; the zone's changes (summer time) are found
    day by day and then to the second.
    """
    changes = [(start, _offset(zone, start))]
    day_start = start
    while day_start < end:
        day_end = min(day_start + timedelta(days=1), end)
        if _offset(zone, day_end) != changes[-1][1]:
            # The first second of the new offset, by halving the day.
            low, high = day_start, day_end
            while high - low > _SECOND:
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _offset(zone, middle) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            changes.append((high, _offset(zone, high)))
        day_start = day_end
    return changes


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(zone).utcoffset() or timedelta(0)


class _LocalDate(Func):
    """The date of a UTC moment shifted by an offset: ``date(moment, '+N seconds')`` on SQLite (which
    stores UTC text), ``((moment AT TIME ZONE 'UTC') + interval)::date`` on PostgreSQL."""

    output_field = DateField()
    arity = 2

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="date", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((%(expressions)s))::date",
                           arg_joiner=" AT TIME ZONE 'UTC') + (", **extra)


def local_date(field: str, zone: ZoneInfo, start: datetime, end: datetime, vendor: str) -> Expression:
    """The calendar day in ``zone`` of the datetime column ``field``, for rows between ``start`` and ``end``.

    The zone's offsets during the period (more than one across a change to or from summer time) go
    into the query as a CASE on the moment: SQLite knows no time zones, and on PostgreSQL adding the
    offset costs less than converting each row with AT TIME ZONE and the zone's name.
    """
    changes = utc_offset_changes(zone, start.astimezone(UTC), end.astimezone(UTC))
    if vendor == "sqlite":
        offsets = [Value(f"{int(offset.total_seconds()):+d} seconds") for _, offset in changes]
    else:
        offsets = [Value(offset, output_field=DurationField()) for _, offset in changes]
    if len(changes) == 1:
        shift: Expression = offsets[0]
    else:
        shift = Case(*[When(**{f"{field}__lt": since}, then=offset)
                       for (since, _), offset in zip(changes[1:], offsets, strict=False)],
                     default=offsets[-1])
    return _LocalDate(F(field), shift)
