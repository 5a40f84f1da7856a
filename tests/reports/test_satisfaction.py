"""The reports' Satisfaction section: good and bad per agent, per category and per day, its CSV and chart."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from lxml import html

from extdesk.helpdesk.models import Category, Priority
from extdesk.ratings.models import Rating, Resolution
from extdesk.reports import selectors
from extdesk.reports.selectors import Filters, Period
from extdesk.sla.models import BusinessCalendar
from tests.helpdesk.factories import make_staff

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def rated(tickets):
    """Resolutions rated (or not) for two agents and two categories, around the Berlin days of April."""
    alex = make_staff("alex", first_name="Alex", last_name="Agent", password=None)
    blake = make_staff("blake", password=None)
    billing, network = Category.objects.create(name="Billing"), Category.objects.create(name="Network")
    specs = [
        # (resolved at, agent, category, choice, priority)
        ("2026-04-01 08:00:00", alex, billing, "good", Priority.HIGH),
        ("2026-04-01 21:59:59", alex, billing, "bad", Priority.NORMAL),  # 23:59:59 in Berlin: April 1st
        ("2026-04-01 22:00:00", alex, network, "good", Priority.NORMAL),  # midnight in Berlin: April 2nd
        ("2026-04-02 10:00:00", blake, None, "good", Priority.NORMAL),
        ("2026-04-02 11:00:00", None, network, "bad", Priority.NORMAL),
        ("2026-04-02 12:00:00", blake, billing, None, Priority.NORMAL),  # not rated: counts nowhere
        ("2026-03-31 21:59:59", alex, billing, "bad", Priority.NORMAL),  # March 31st: before the period
    ]
    made = tickets(*[{"created_at": at("2026-03-30 09:00:00"), "priority": priority}
                     for *_rest, priority in specs])
    for ticket, (when, agent, category, choice, _priority) in zip(made, specs, strict=True):
        resolution = Resolution.objects.create(ticket=ticket, resolved_at=at(when), agent=agent,
                                               category=category)
        if choice:
            Rating.objects.create(resolution=resolution, ticket=ticket, choice=choice, created_at=at(when),
                                  updated_at=at(when))
    return alex, blake, billing, network


def _figures(rows) -> list[tuple[str, int, int]]:
    return [(row.label, row.good, row.bad) for row in rows]


def test_good_and_bad_per_agent_category_and_day(rated):
    _alex, _blake, billing, network = rated
    period = Period(date(2026, 4, 1), date(2026, 4, 3), BERLIN)
    found = selectors.report(period, Filters(), [billing, network]).satisfaction
    assert _figures(found.agents) == [("Alex Agent", 2, 1), ("blake", 1, 0), ("Nobody", 0, 1)]
    assert _figures(found.categories) == [("Billing", 1, 1), ("Network", 1, 1), ("No category", 1, 0)]
    assert _figures(found.days) == [("2026-04-01", 1, 1), ("2026-04-02", 2, 1), ("2026-04-03", 0, 0)]
    assert (found.total.good, found.total.bad, found.total.percent_good) == (3, 2, 60.0)
    assert found.days[2].percent_good is None


def test_the_report_filters_narrow_the_ratings(rated):
    _alex, _blake, billing, network = rated
    period = Period(date(2026, 4, 1), date(2026, 4, 3), BERLIN)
    found = selectors.report(period, Filters(priority=Priority.HIGH), [billing, network]).satisfaction
    assert (found.total.good, found.total.bad) == (1, 0)
    assert _figures(found.agents) == [("Alex Agent", 1, 0)]


def test_the_section_its_table_and_csv(client, rated):
    client.force_login(make_staff("viewer", password=None))
    query = {"start": "2026-04-01", "end": "2026-04-03"}
    BusinessCalendar.objects.filter(pk=1).update(time_zone="Europe/Berlin")
    page = client.get("/desk/reports/", query).content.decode()
    section = html.fromstring(page).xpath("//section[@id='satisfaction']")[0]
    assert 'aria-labelledby="chart-satisfaction-title"' in html.tostring(section).decode()
    rows = [[cell.text_content() for cell in row.xpath("./*")] for row in section.xpath(".//table[1]//tr")]
    assert ["Alex Agent", "2", "1", "66.7 %"] in rows and ["Total", "3", "2", "60.0 %"] in rows
    response = client.get("/desk/reports/satisfaction.csv", query)
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["by", "agent, category or day", "good", "bad", "good %"]
    assert ["agent", "Alex Agent", "2", "1", "66.67"] in lines
    assert ["category", "No category", "1", "0", "100.0"] in lines
    assert ["day", "2026-04-03", "0", "0", ""] in lines
