"""The SLA tests' clock: ``clock`` sets what timezone.now() answers everywhere (the services read it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from extdesk.sla import selectors


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, *parts: int) -> datetime:
        self.now = datetime(*parts, tzinfo=UTC)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Monday 2 March 2026, 09:00 UTC: the default calendar (Monday-Friday 09:00-17:00, UTC) opens."""
    fixed = Clock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", fixed)
    return fixed


@pytest.fixture(autouse=True)
def fresh_service_levels():
    # Each test's database is rolled back: what a process read in another test is not in force here.
    selectors.forget()
    yield
    selectors.forget()
