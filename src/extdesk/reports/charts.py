"""The reports page's charts, drawn from a Report, and the wording its figures share with the tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from . import svg
from .selectors import Report


def format_duration(seconds: float | None) -> str:
    """A duration as people read it: "45 s", "12 min", "3 h 20 min", "2 d 4 h"; a dash for none."""
    if seconds is None:
        return "\u2013"
    whole = round(seconds)
    if whole < 60:
        return _("%(seconds)s s") % {"seconds": whole}
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return _("%(days)s d") % {"days": days}


def format_percent(value: float | None) -> str:
    """A share as "12.5 %", with the language's decimal mark; a dash for none."""
    if value is None:
        return "\u2013"
    # Rounded first: number_format cuts the digits beyond decimal_pos off.
    return _("%(number)s %%") % {"number": number_format(round(value, 1), decimal_pos=1)}


def format_count(value: int) -> str:
    """A count with the language's thousands separator: "1,234", "1.234"."""
    return number_format(value, force_grouping=True)


def day_label(day: date) -> str:
    """A day as the charts label it, in the page's language: "1 Dec", "1. Dez"."""
    return date_format(day, pgettext("chart label of a day (Django date format)", "j M"))


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
    # An axis mark: "20 %", not "20.0 %".
    return _("%(number)s %%") % {"number": number_format(int(value) if value == int(value) else value)}


def _count(value: float) -> str:
    return format_count(round(value))


def charts(report: Report) -> dict[str, Chart]:
    """Every chart of the page, by the dataset it draws (the CSV files' names), in the active language."""
    period = {"first": f"{report.period.first_day:%Y-%m-%d}", "last": f"{report.period.last_day:%Y-%m-%d}"}
    busiest = max(report.days, key=lambda d: d.opened)
    opened = pgettext("tickets, report column", "Opened")
    closed = pgettext("tickets, report column", "Closed")
    tickets, unit_tickets = _("Tickets"), _("tickets")
    days = svg.line_chart(
        chart_id="chart-days", title=_("Tickets opened and closed per day"),
        description=_("From %(first)s to %(last)s: %(opened)s opened and %(closed)s closed; the most opened "
                      "on one day: %(most)s on %(day)s.") % {
            **period, "opened": format_count(report.opened), "closed": format_count(report.closed),
            "most": format_count(busiest.opened), "day": day_label(busiest.day)},
        labels=[day_label(d.day) for d in report.days],
        series=[svg.Series(opened, [d.opened for d in report.days]),
                svg.Series(closed, [d.closed for d in report.days])],
        value_format=_count, unit=unit_tickets)
    backlog = svg.bar_chart(
        chart_id="chart-backlog", title=_("Backlog by status, now"),
        description=_("Tickets not yet resolved: %(counts)s.") % {"counts": ", ".join(
            _bar(row.label, format_count(row.tickets)) for row in report.backlog)},
        labels=[row.label for row in report.backlog],
        series=[svg.Series(tickets, [row.tickets for row in report.backlog])], value_format=_count,
        unit=unit_tickets, width=HALF_WIDTH)
    categories = svg.bar_chart(
        chart_id="chart-categories", title=_("Tickets opened per category"),
        description=(_("From %(first)s to %(last)s: %(counts)s.") % {**period, "counts": "; ".join(
            _bar(row.label, format_count(row.tickets)) for row in report.categories)} if report.categories
            else _("No tickets were opened from %(first)s to %(last)s.") % period),
        labels=[row.label for row in report.categories],
        series=[svg.Series(tickets, [row.tickets for row in report.categories])], value_format=_count,
        unit=unit_tickets, width=HALF_WIDTH)
    times = svg.bar_chart(
        chart_id="chart-times", title=_("First response and resolution times"),
        description=_("Tickets opened from %(first)s to %(last)s: %(measures)s.") % {
            **period, "measures": "; ".join(
            ngettext("%(measure)s median %(median)s, 90th percentile %(p90)s (%(tickets)s ticket)",
                     "%(measure)s median %(median)s, 90th percentile %(p90)s (%(tickets)s tickets)",
                     row.tickets) % {"measure": row.label, "median": format_duration(row.median),
                                     "p90": format_duration(row.p90), "tickets": format_count(row.tickets)}
            for row in report.times)},
        labels=[row.label for row in report.times],
        series=[svg.Series(_("Median"), [_in_hours(row.median) for row in report.times]),
                svg.Series(_("90th percentile"), [_in_hours(row.p90) for row in report.times])],
        value_format=_hours, whole=False, unit=_("time"), missing=_("no tickets measured"))
    sla = svg.bar_chart(
        chart_id="chart-sla", title=_("SLA attained per priority"),
        description=_("Tickets opened from %(first)s to %(last)s whose target was met, of those whose "
                      "outcome is known: %(priorities)s.") % {**period, "priorities": "; ".join(
            _("%(priority)s: first response %(first_response)s, resolution %(resolution)s") % {
                "priority": row.label, "first_response": format_percent(row.first_response.percent),
                "resolution": format_percent(row.resolution.percent)} for row in report.sla)},
        labels=[row.label for row in report.sla],
        series=[svg.Series(_("First response"), [row.first_response.percent for row in report.sla]),
                svg.Series(_("Resolution"), [row.resolution.percent for row in report.sla])],
        value_format=_percent, whole=False, unit=_("% met"), at_least=100, missing=_("no outcome known yet"))
    rated = report.satisfaction
    satisfaction = svg.line_chart(
        chart_id="chart-satisfaction", title=_("Satisfaction ratings per day"),
        description=_("Resolutions from %(first)s to %(last)s: %(good)s rated good and %(bad)s rated bad "
                      "(%(percent)s good).") % {
            **period, "good": format_count(rated.total.good), "bad": format_count(rated.total.bad),
            "percent": format_percent(rated.total.percent_good)},
        labels=[day_label(d.day) for d in rated.days],
        series=[svg.Series(_("Good"), [d.good for d in rated.days]),
                svg.Series(_("Bad"), [d.bad for d in rated.days])],
        value_format=_count, unit=_("ratings"))
    drawn = {"days": (_("Opened and closed per day"), days), "backlog": (_("Backlog by status"), backlog),
             "categories": (_("Opened per category"), categories),
             "times": (_("Response and resolution times"), times),
             "sla": (_("SLA attained per priority"), sla), "satisfaction": (_("Satisfaction"), satisfaction)}
    # Safe: svg escapes every text it is given.
    return {key: Chart(key, heading, mark_safe(drawing)) for key, (heading, drawing) in drawn.items()}


def _bar(label: str, count: str) -> str:
    """One bar in a chart's description: its label and its figure."""
    return pgettext("chart description: a bar's label and its figure", "%(label)s %(count)s") % {
        "label": label, "count": count}
