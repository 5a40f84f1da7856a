"""Service levels: the targets per priority and the business calendar they are counted in."""

from __future__ import annotations

from datetime import time

from django.db import models

from extdesk.helpdesk.models import Priority


class BusinessCalendar(models.Model):
    """When the support team works: the SLA clocks run only then. One row (pk 1)."""

    # An IANA name; empty: EXTDESK_TIME_ZONE.
    time_zone = models.CharField(max_length=64, blank=True, default="")
    # The working days as digits, Monday 0 ... Sunday 6: "01234" is Monday to Friday.
    working_days = models.CharField(max_length=7, default="01234")
    opens_at = models.TimeField(default=time(9, 0))
    closes_at = models.TimeField(default=time(17, 0))
    # Raised by every change to the calendar, its holidays or the policies (extdesk.sla.services):
    # each process keeps what it read and reads again only when this has moved.
    revision = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return "business hours"


class Holiday(models.Model):
    """A day the team does not work, whatever its weekday."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_a_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class SlaPolicy(models.Model):
    """The targets for tickets of one priority, in business minutes."""

    priority = models.PositiveSmallIntegerField(choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        ordering = ["-priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"SLA for {Priority(self.priority).label.lower()} tickets"
