"""The reports' figures: a constant number of aggregate queries, whatever the number of tickets.

Days are the business calendar's (its time zone, else EXTDESK_TIME_ZONE).
Tickets opened per day count ``created_at``, closed per day ``closed_at``
(the latest closing). Response and resolution times, and the SLA attained,
are those of the tickets opened in the period; the medians and 90th
percentiles interpolate between neighbours as PostgreSQL's percentile_cont
does, computed by it on PostgreSQL and from the two rows either side of each
position (one window query per measure) on SQLite, which has no percentiles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from extdesk.helpdesk.models import OPEN_STATUSES, Category, Priority, Status, Ticket
from extdesk.ratings.models import Choice, Rating
from extdesk.sla import selectors as sla_selectors

from .expressions import PercentileCont, SecondsBetween, local_date

# Filter value for "tickets without one" (no category, nobody assigned).
NONE: Literal["none"] = "none"
PERCENTILES = (0.5, 0.9)


def report_zone() -> ZoneInfo:
    """The time zone whose midnights separate the reports' days: the business calendar's."""
    return ZoneInfo(sla_selectors.zone_name(sla_selectors.calendar_row()))


@dataclass(frozen=True)
class Period:
    """Whole days, ``first_day`` to ``last_day`` included, in ``zone``."""

    first_day: date
    last_day: date
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period (the next day's midnight)."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=self.zone).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def last_days(count: int, zone: ZoneInfo, *, now: datetime | None = None) -> Period:
    """Today (in ``zone``) and the ``count - 1`` days before it."""
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    return Period(today - timedelta(days=count - 1), today, zone)


@dataclass(frozen=True)
class Filters:
    """Which tickets a report counts; None: any."""

    priority: int | None = None
    category: int | Literal["none"] | None = None
    assignee: int | Literal["none"] | None = None

    def apply(self, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.priority is not None:
            tickets = tickets.filter(priority=self.priority)
        if self.category == NONE:
            tickets = tickets.filter(category__isnull=True)
        elif self.category is not None:
            tickets = tickets.filter(category_id=self.category)
        if self.assignee == NONE:
            tickets = tickets.filter(assignee__isnull=True)
        elif self.assignee is not None:
            tickets = tickets.filter(assignee_id=self.assignee)
        return tickets


@dataclass(frozen=True)
class Day:
    day: date
    opened: int
    closed: int


@dataclass(frozen=True)
class Tally:
    """One bar of a breakdown: a label and how many tickets."""

    label: str
    tickets: int


@dataclass(frozen=True)
class Times:
    """How long tickets took for one measure: how many were measured, median and p90 in seconds."""

    label: str
    tickets: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Attained:
    """One target's outcome for one priority: known (met or breached) and met."""

    known: int
    met: int

    @property
    def percent(self) -> float | None:
        return 100 * self.met / self.known if self.known else None


@dataclass(frozen=True)
class SlaRow:
    priority: int
    label: str
    opened: int
    first_response: Attained
    resolution: Attained


@dataclass(frozen=True)
class Rated:
    """Satisfaction ratings of one agent, category or day: how many good, how many bad."""

    label: str
    good: int
    bad: int

    @property
    def rated(self) -> int:
        return self.good + self.bad

    @property
    def percent_good(self) -> float | None:
        return 100 * self.good / self.rated if self.rated else None


@dataclass(frozen=True)
class RatedDay(Rated):
    day: date


@dataclass(frozen=True)
class Satisfaction:
    """The ratings of the resolutions made in the period: per agent credited, per category, per day."""

    agents: list[Rated]
    categories: list[Rated]
    days: list[RatedDay]
    total: Rated = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", Rated(_("All"), sum(d.good for d in self.days),
                                                sum(d.bad for d in self.days)))


@dataclass(frozen=True)
class Report:
    period: Period
    days: list[Day]
    backlog: list[Tally]
    categories: list[Tally]
    times: list[Times]
    sla: list[SlaRow]
    satisfaction: Satisfaction
    opened: int = field(init=False)
    closed: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "opened", sum(d.opened for d in self.days))
        object.__setattr__(self, "closed", sum(d.closed for d in self.days))


# The measures of time: (key, label, the datetime column that ends it).
MEASURES = (("first_response", gettext_lazy("First response"), "first_responded_at"),
            ("resolution", gettext_lazy("Resolution"), "resolved_at"))


def report(period: Period, filters: Filters, categories: Sequence[Category]) -> Report:
    """Every figure of the reports page (``categories`` names the category breakdown's bars)."""
    tickets = filters.apply(Ticket.objects.all())
    opened = tickets.filter(created_at__gte=period.start, created_at__lt=period.end)
    groups = opened_counts(opened)
    sla = sla_attained(groups)
    measured = {"first_response": sum(row.first_response_measured for row in sla),
                "resolution": sum(row.resolution_measured for row in sla)}
    return Report(
        period=period,
        days=opened_and_closed_per_day(tickets, period),
        backlog=backlog(tickets),
        categories=opened_per_category(groups, categories),
        times=response_times(opened, measured),
        sla=[row.as_row() for row in sla],
        satisfaction=satisfaction(filters, period, categories),
    )


def opened_and_closed_per_day(tickets: QuerySet[Ticket], period: Period) -> list[Day]:
    """Every day of the period (none left out), with the tickets opened and closed on it. Two queries."""
    vendor = connection.vendor
    per_day = {}
    for column in ("created_at", "closed_at"):
        rows = (tickets.filter(**{f"{column}__gte": period.start, f"{column}__lt": period.end})
                .annotate(day=local_date(column, period.zone, period.start, period.end, vendor))
                .order_by().values("day").annotate(n=Count("*")).values_list("day", "n"))
        per_day[column] = dict(rows)
    return [Day(day, per_day["created_at"].get(day, 0), per_day["closed_at"].get(day, 0))
            for day in period.days]


def backlog(tickets: QuerySet[Ticket]) -> list[Tally]:
    """The tickets not yet resolved, by status, now. One query."""
    counts = dict(tickets.filter(status__in=OPEN_STATUSES).order_by().values("status")
                  .annotate(n=Count("*")).values_list("status", "n"))
    return [Tally(str(Status(status).label), counts.get(status, 0)) for status in OPEN_STATUSES]


def opened_per_category(groups: list[dict[str, Any]], categories: Sequence[Category]) -> list[Tally]:
    """The period's new tickets by category, most first (those without one last), from opened_counts."""
    counts: dict[int | None, int] = defaultdict(int)
    for group in groups:
        counts[group["category"]] += group["opened"]
    names = {category.pk: category.name for category in categories}
    named = sorted(((names.get(pk) or _category(pk), n) for pk, n in counts.items() if pk is not None),
                   key=lambda pair: (-pair[1], pair[0].casefold()))
    rows = [Tally(name, n) for name, n in named]
    if counts.get(None):
        rows.append(Tally(_("No category"), counts[None]))
    return rows


def _category(pk: int) -> str:
    """A category the list given does not hold (deleted since), by its number."""
    return _("Category %(number)s") % {"number": pk}


@dataclass(frozen=True)
class _SlaCounts:
    priority: int
    opened: int
    first_response_measured: int
    first_response_known: int
    first_response_met: int
    resolution_measured: int
    resolution_known: int
    resolution_met: int

    def as_row(self) -> SlaRow:
        return SlaRow(self.priority, str(Priority(self.priority).label), self.opened,
                      Attained(self.first_response_known, self.first_response_met),
                      Attained(self.resolution_known, self.resolution_met))


_COUNTED = ("opened", "first_response_measured", "first_response_known", "first_response_met",
            "resolution_measured", "resolution_known", "resolution_met")


def opened_counts(opened: QuerySet[Ticket]) -> list[dict[str, Any]]:
    """The period's new tickets counted per priority and category (one scan of them, one query): how
    many, how many were answered or resolved, whose outcome is known (answered or resolved, or already
    breached) and met. A ticket still waiting for its answer within the target counts neither way yet.
    """
    groups = opened.order_by().values("priority", "category").annotate(
        opened=Count("*"),
        first_response_measured=Count("id", filter=Q(first_responded_at__isnull=False)),
        first_response_known=Count("id", filter=Q(first_responded_at__isnull=False)
                                   | Q(first_response_breached=True)),
        first_response_met=Count("id", filter=Q(first_responded_at__isnull=False,
                                                first_response_breached=False)),
        resolution_measured=Count("id", filter=Q(resolved_at__isnull=False)),
        resolution_known=Count("id", filter=Q(resolved_at__isnull=False) | Q(resolution_breached=True)),
        resolution_met=Count("id", filter=Q(resolved_at__isnull=False, resolution_breached=False)),
    )
    return [dict(group) for group in groups]


def sla_attained(groups: list[dict[str, Any]]) -> list[_SlaCounts]:
    """opened_counts per priority, most urgent first, every priority listed."""
    totals = {priority: dict.fromkeys(_COUNTED, 0) for priority in Priority.values}
    for group in groups:
        for name in _COUNTED:
            totals[group["priority"]][name] += group[name]
    return [_SlaCounts(priority, **totals[priority]) for priority in sorted(Priority.values, reverse=True)]


def response_times(opened: QuerySet[Ticket], measured: dict[str, int]) -> list[Times]:
    """Median and 90th percentile of each measure (``measured``: how many tickets each has).

    One query on PostgreSQL; one per measure that has tickets on SQLite.
    """
    if connection.vendor == "postgresql":
        found = _percentiles_in_postgresql(opened)
    else:
        found = {key: _percentiles_by_position(opened, column) if measured[key]
                 else (None,) * len(PERCENTILES) for key, _label, column in MEASURES}
    return [Times(str(label), measured[key], *found[key]) for key, label, _column in MEASURES]


def _percentiles_in_postgresql(opened: QuerySet[Ticket]) -> dict[str, tuple[float | None, ...]]:
    aggregates = {
        f"{key}_{index}": PercentileCont(SecondsBetween("created_at", column), fraction=fraction,
                                         filter=Q(**{f"{column}__isnull": False}))
        for key, _label, column in MEASURES for index, fraction in enumerate(PERCENTILES)
    }
    values = opened.order_by().aggregate(**aggregates)
    return {key: tuple(values[f"{key}_{index}"] for index in range(len(PERCENTILES)))
            for key, _label, _column in MEASURES}


def _percentiles_by_position(opened: QuerySet[Ticket], column: str) -> tuple[float | None, ...]:
    """percentile_cont without it: the durations numbered in order (a window function), and of them only
    the two either side of each position p * (n - 1), counted from 0; one query, whose own count n is
    the one the positions are taken from."""
    durations = (opened.filter(**{f"{column}__isnull": False}).order_by()
                 .annotate(seconds=SecondsBetween("created_at", column)).values("seconds"))
    inner, params = durations.query.sql_with_params()
    # CAST(... AS INTEGER) truncates: the floor of a position, which is never negative.
    near = " OR ".join(
        "(position BETWEEN CAST(%s * (n - 1) AS INTEGER) AND CAST(%s * (n - 1) AS INTEGER) + 1)"
        for _ in PERCENTILES)
    sql = (f"SELECT position, seconds, n FROM (SELECT seconds, ROW_NUMBER() OVER (ORDER BY seconds) - 1 "
           f"AS position, COUNT(*) OVER () AS n FROM ({inner}) AS durations) AS numbered WHERE {near}")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *(fraction for fraction in PERCENTILES for _ in range(2))))
        rows = cursor.fetchall()
    if not rows:
        return (None,) * len(PERCENTILES)
    at = {position: seconds for position, seconds, _n in rows}
    count = rows[0][2]
    result: list[float | None] = []
    for fraction in PERCENTILES:
        position = fraction * (count - 1)
        low = math.floor(position)
        high = min(low + 1, count - 1)
        result.append(at[low] + (position - low) * (at[high] - at[low]))
    return tuple(result)


# ---------------------------------------------------------------- satisfaction

_GOOD = Count("id", filter=Q(choice=Choice.GOOD))
_BAD = Count("id", filter=Q(choice=Choice.BAD))


def _agent_label(row: Mapping[str, Any]) -> str:
    """An agent as the desk names them (helpdesk.staff.display_name), from the grouped row's columns."""
    full = f"{row['first_name'] or ''} {row['last_name'] or ''}".strip()
    return (row["display_name"] or "").strip() or full or row["username"]


def _most_rated_first(rows: list[Rated]) -> list[Rated]:
    return sorted(rows, key=lambda row: (-row.rated, row.label.casefold()))


def satisfaction(filters: Filters, period: Period, categories: Sequence[Category]) -> Satisfaction:
    """The ratings of the resolutions of the period (by when the ticket was resolved), of the tickets
    ``filters`` keep; credited as at the resolution (its agent and category, extdesk.ratings). Three queries.
    """
    ratings = Rating.objects.filter(resolution__resolved_at__gte=period.start,
                                    resolution__resolved_at__lt=period.end).order_by()
    if filters != Filters():
        ratings = ratings.filter(ticket__in=filters.apply(Ticket.objects.all()).values("pk"))
    by_agent = ratings.values(agent=F("resolution__agent"), username=F("resolution__agent__username"),
                              first_name=F("resolution__agent__first_name"),
                              last_name=F("resolution__agent__last_name"),
                              display_name=F("resolution__agent__staff_profile__display_name"),
                              ).annotate(good=_GOOD, bad=_BAD)
    agents = [Rated(_agent_label(row), row["good"], row["bad"])
              for row in by_agent if row["agent"] is not None]
    nobody = [Rated(_("Nobody"), row["good"], row["bad"]) for row in by_agent if row["agent"] is None]
    names = {category.pk: category.name for category in categories}
    by_category = ratings.values(category=F("resolution__category")).annotate(good=_GOOD, bad=_BAD)
    named = [Rated(names.get(row["category"]) or _category(row["category"]), row["good"], row["bad"])
             for row in by_category if row["category"] is not None]
    unnamed = [Rated(_("No category"), row["good"], row["bad"])
               for row in by_category if row["category"] is None]
    day = local_date("resolution__resolved_at", period.zone, period.start, period.end, connection.vendor)
    per_day = {row["day"]: (row["good"], row["bad"])
               for row in ratings.annotate(day=day).values("day").annotate(good=_GOOD, bad=_BAD)}
    days = [RatedDay(d.isoformat(), *per_day.get(d, (0, 0)), day=d) for d in period.days]
    return Satisfaction(agents=_most_rated_first(agents) + nobody,
                        categories=_most_rated_first(named) + unnamed, days=days)
