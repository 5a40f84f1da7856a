"""Reading the service levels: the business calendar and the targets, as plain values.

``current()`` is what every write that moves a ticket's clock uses. Each
process keeps the values it read; a write costs one small query (the
calendar's revision), and the values are read again only when an edit
(extdesk.sla.services, in any process) has raised that revision.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from extdesk.helpdesk.models import Priority

from .calendar import Calendar
from .models import BusinessCalendar, Holiday, SlaPolicy

CALENDAR_PK = 1


@dataclass(frozen=True)
class Targets:
    """One priority's targets, in business seconds."""

    first_response: int
    resolution: int


@dataclass(frozen=True)
class ServiceLevels:
    revision: int
    calendar: Calendar
    targets: dict[int, Targets]

    def for_priority(self, priority: int) -> Targets:
        return self.targets[priority]


# (revision, EXTDESK_TIME_ZONE) -> what was read then: a calendar without a zone of its own follows
# the setting, which a restart (or a test) may change.
_cached: tuple[tuple[int, str], ServiceLevels] | None = None


def calendar_row() -> BusinessCalendar:
    """The one calendar (made by migration sla 0001; made again should someone have deleted it)."""
    return BusinessCalendar.objects.get_or_create(pk=CALENDAR_PK)[0]


def zone_name(row: BusinessCalendar) -> str:
    """The calendar's zone: its own, else EXTDESK_TIME_ZONE."""
    return row.time_zone or settings.EXTDESK_TIME_ZONE


def holidays() -> list[Holiday]:
    return list(Holiday.objects.filter(calendar_id=CALENDAR_PK).order_by("date"))


def policies() -> list[SlaPolicy]:
    """The policy of each priority, most urgent first."""
    return list(SlaPolicy.objects.order_by("-priority"))


def _load(row: BusinessCalendar) -> ServiceLevels:
    calendar = Calendar.of(zone_name(row), (int(digit) for digit in row.working_days), row.opens_at,
                           row.closes_at, (holiday.date for holiday in holidays()))
    found = {policy.priority: Targets(policy.first_response_minutes * 60, policy.resolution_minutes * 60)
             for policy in policies()}
    # A priority without a policy row (removed from the database by hand) keeps the normal targets.
    fallback = found.get(Priority.NORMAL) or next(iter(found.values()), Targets(8 * 3600, 24 * 3600))
    return ServiceLevels(row.revision, calendar,
                         {priority: found.get(priority, fallback) for priority in Priority.values})


def current() -> ServiceLevels:
    """The calendar and targets now in force (one query when nothing changed since last read)."""
    global _cached
    revision = BusinessCalendar.objects.filter(pk=CALENDAR_PK).values_list("revision", flat=True).first()
    key = (revision or 0, settings.EXTDESK_TIME_ZONE)
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    row = calendar_row()
    levels = _load(row)
    # One assignment: a thread reading meanwhile sees the old pair or the new one, never half.
    _cached = ((row.revision, settings.EXTDESK_TIME_ZONE), levels)
    return levels


def forget() -> None:
    """Drop what this process read: the next current() reads again (called by the edits)."""
    global _cached
    _cached = None
