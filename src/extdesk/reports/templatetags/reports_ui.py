"""The reports page's figures as people read them, and each section's heading with its CSV link."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..charts import Chart, format_duration, format_percent
from ..selectors import Day, Rated

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    return format_duration(seconds)


@register.filter
def percent(value: float | None) -> str:
    return format_percent(value)


@register.simple_tag
def report_head(chart: Chart, query: str) -> SafeString:
    """The section's heading (the section's aria-labelledby names it) and the download of its figures."""
    url = reverse("reports:csv", args=[chart.key])
    return format_html('<div class="report-head"><h2 id="{}-heading">{}</h2>'
                       '<a class="button secondary" href="{}{}" download>{}</a></div>',
                       chart.key, chart.heading, url, f"?{query}" if query else "", _("Download CSV"))


@register.simple_tag
def day_rows(days: list[Day]) -> SafeString:
    """The rows of the table per day, written in Python: a year is 366 rows, each a template loop's
    dozen lookups. The day is named in the page's language: "Tue 1 Dec 2026", "Di, 1. Dez 2026"."""
    shown = pgettext("a day of the reports' tables (Django date format)", "D j M Y")
    return format_html_join(
        "\n", '<tr><th scope="row"><time datetime="{}">{}</time></th><td class="num">{}</td>'
               '<td class="num">{}</td></tr>',
        ((d.day.isoformat(), date_format(d.day, shown), d.opened, d.closed) for d in days))


@register.simple_tag
def rated_table(rows: list[Rated], heading: str, caption: str, total: Rated) -> SafeString:
    """A table of good and bad ratings, one row per agent, category or day, with the total."""
    if not total.rated:
        return format_html('<p class="muted">{}</p>', _("No ratings for the resolutions of this period."))
    cells = '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
    body = format_html_join("\n", '<tr><th scope="row">{}</th>' + cells + "</tr>", (
        (row.label, row.good, row.bad, format_percent(row.percent_good)) for row in rows if row.rated))
    return format_html(
        '<table class="tickets report-table"><caption class="visually-hidden">{}</caption><thead><tr>'
        '<th scope="col">{}</th><th scope="col" class="num">{}</th><th scope="col" class="num">{}</th>'
        '<th scope="col" class="num">{}</th></tr></thead><tbody>{}</tbody>'
        '<tfoot><tr><th scope="row">{}</th>' + cells + "</tr></tfoot></table>",
        caption, heading, _("Good"), _("Bad"), _("Good %"), body, _("Total"), total.good, total.bad,
        format_percent(total.percent_good))
