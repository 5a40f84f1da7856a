"""The reports page's charts, drawn from a Report, and the wording its figures share with the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.safestring import SafeString, mark_safe

from . import svg
from .selectors import Report


def format_duration(seconds: float | None) -> str:
    """A duration as people read it: "45 s", "12 min", "3 h 20 min", "2 d 4 h"; a dash for none."""
    if seconds is None:
        return "\u2013"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def format_percent(value: float | None) -> str:
    return "\u2013" if value is None else f"{value:.1f} %"


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


@dataclass(frozen=True)
class Chart:
    """One drawn chart: its anchor on the page, heading and the SVG (every text in it escaped)."""

    key: str
    heading: str
    svg: SafeString


# The charts that share a row of the page with another.
HALF_WIDTH = 480


def _hours(value: float) -> str:
    return "0" if value == 0 else format_duration(value * 3600)


def _in_hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _percent(value: float) -> str:
    return f"{value:g} %"


def charts(report: Report) -> dict[str, Chart]:
    """Every chart of the page, by the dataset it draws (the CSV files' names)."""
    period = f"{report.period.first_day:%Y-%m-%d} to {report.period.last_day:%Y-%m-%d}"
    busiest = max(report.days, key=lambda d: d.opened)
    days = svg.line_chart(
        chart_id="chart-days", title="Tickets opened and closed per day",
        description=(f"From {period}: {report.opened:,} opened and {report.closed:,} closed; "
                     f"the most opened on one day: {busiest.opened:,} on {day_label(busiest.day)}."),
        labels=[day_label(d.day) for d in report.days],
        series=[svg.Series("Opened", [d.opened for d in report.days]),
                svg.Series("Closed", [d.closed for d in report.days])],
        unit="tickets")
    backlog = svg.bar_chart(
        chart_id="chart-backlog", title="Backlog by status, now",
        description="Tickets not yet resolved: " + ", ".join(
            f"{row.label.lower()} {row.tickets:,}" for row in report.backlog) + ".",
        labels=[row.label for row in report.backlog], series=[svg.Series("Tickets", [
            row.tickets for row in report.backlog])], unit="tickets", width=HALF_WIDTH)
    categories = svg.bar_chart(
        chart_id="chart-categories", title="Tickets opened per category",
        description=(f"From {period}: " + "; ".join(f"{row.label} {row.tickets:,}"
                                                     for row in report.categories) + "."
                     if report.categories else f"No tickets were opened from {period}."),
        labels=[row.label for row in report.categories],
        series=[svg.Series("Tickets", [row.tickets for row in report.categories])], unit="tickets",
        width=HALF_WIDTH)
    times = svg.bar_chart(
        chart_id="chart-times", title="First response and resolution times",
        description=f"Tickets opened from {period}: " + "; ".join(
            f"{row.label.lower()} median {format_duration(row.median)}, 90th percentile "
            f"{format_duration(row.p90)} ({row.tickets:,} tickets)" for row in report.times) + ".",
        labels=[row.label for row in report.times],
        series=[svg.Series("Median", [_in_hours(row.median) for row in report.times]),
                svg.Series("90th percentile", [_in_hours(row.p90) for row in report.times])],
        value_format=_hours, whole=False, unit="time", missing="no tickets measured")
    sla = svg.bar_chart(
        chart_id="chart-sla", title="SLA attained per priority",
        description=f"Tickets opened from {period} whose target was met, of those whose outcome is known: "
        + "; ".join(f"{row.label.lower()}: first response {format_percent(row.first_response.percent)}, "
                    f"resolution {format_percent(row.resolution.percent)}" for row in report.sla) + ".",
        labels=[row.label for row in report.sla],
        series=[svg.Series("First response", [row.first_response.percent for row in report.sla]),
                svg.Series("Resolution", [row.resolution.percent for row in report.sla])],
        value_format=_percent, whole=False, unit="% met", at_least=100, missing="no outcome known yet")
    rated = report.satisfaction
    satisfaction = svg.line_chart(
        chart_id="chart-satisfaction", title="Satisfaction ratings per day",
        description=(f"Resolutions from {period}: {rated.total.good:,} rated good and "
                     f"{rated.total.bad:,} rated bad ({format_percent(rated.total.percent_good)} good)."),
        labels=[day_label(d.day) for d in rated.days],
        series=[svg.Series("Good", [d.good for d in rated.days]),
                svg.Series("Bad", [d.bad for d in rated.days])],
        unit="ratings")
    drawn = {"days": ("Opened and closed per day", days), "backlog": ("Backlog by status", backlog),
             "categories": ("Opened per category", categories),
             "times": ("Response and resolution times", times), "sla": ("SLA attained per priority", sla),
             "satisfaction": ("Satisfaction", satisfaction)}
    # Safe: svg escapes every text it is given.
    return {key: Chart(key, heading, mark_safe(drawing)) for key, (heading, drawing) in drawn.items()}
