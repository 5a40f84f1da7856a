"""The SQL the reports need that Django has no native spelling for on both databases.

Django's own spellings run a Python function per row on SQLite (TruncDate with
a time zone, subtracting datetimes), which at 100,000 rows costs more than the
whole page may take; these stay inside the database's own functions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Aggregate, Case, DateField, F, FloatField, Func, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import TruncDate

_SECOND = timedelta(seconds=1)


class SecondsBetween(Func):
    """``end - start`` in whole seconds, as a float (NULL when either is)."""

    output_field = FloatField()
    arity = 2
    # The arguments are given as (end, start).
    template = "ROUND(EXTRACT(EPOCH FROM (%(expressions)s)))::double precision"
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


class _SqliteLocalDate(Func):
    """date(column, '+N seconds') with N the zone's offset at the moment (a CASE over its changes)."""

    function = "date"
    output_field = DateField()


def local_date(field: str, zone: ZoneInfo, start: datetime, end: datetime, vendor: str) -> Expression:
    """The calendar day in ``zone`` of the datetime column ``field``, for rows between ``start`` and ``end``.

    PostgreSQL converts with AT TIME ZONE itself. SQLite stores UTC text and knows
    no time zones: the offsets of the period (more than one across a change to or
    from summer time) go into the query.
    """
    if vendor != "sqlite":
        return TruncDate(field, tzinfo=zone)
    changes = utc_offset_changes(zone, start.astimezone(UTC), end.astimezone(UTC))
    modifiers = [Value(f"{int(offset.total_seconds()):+d} seconds") for _, offset in changes]
    if len(changes) == 1:
        shift: Expression = modifiers[0]
    else:
        shift = Case(*[When(**{f"{field}__lt": since}, then=modifier)
                       for (since, _), modifier in zip(changes[1:], modifiers, strict=False)],
                     default=modifiers[-1])
    return _SqliteLocalDate(F(field), shift)
