"""The reports page's figures as people read them, and each section's heading with its CSV link."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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
                       '<a class="button secondary" href="{}{}" download>Download CSV</a></div>',
                       chart.key, chart.heading, url, f"?{query}" if query else "")


@register.simple_tag
def day_rows(days: list[Day]) -> SafeString:
    """The rows of the table per day, written in Python: a year is 366 rows, each a template loop's
    dozen lookups."""
    return format_html_join(
        "\n", '<tr><th scope="row"><time datetime="{}">{} {} {}</time></th><td class="num">{}</td>'
               '<td class="num">{}</td></tr>',
        ((d.day.isoformat(), f"{d.day:%a}", d.day.day, f"{d.day:%b %Y}", d.opened, d.closed) for d in days))


@register.simple_tag
def rated_table(rows: list[Rated], heading: str, caption: str, total: Rated) -> SafeString:
    """A table of good and bad ratings, one row per agent, category or day, with the total."""
    if not total.rated:
        return mark_safe('<p class="muted">No ratings for the resolutions of this period.</p>')
    cells = '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
    body = format_html_join("\n", '<tr><th scope="row">{}</th>' + cells + "</tr>", (
        (row.label, row.good, row.bad, format_percent(row.percent_good)) for row in rows if row.rated))
    return format_html(
        '<table class="tickets report-table"><caption class="visually-hidden">{}</caption><thead><tr>'
        '<th scope="col">{}</th><th scope="col" class="num">Good</th><th scope="col" class="num">Bad</th>'
        '<th scope="col" class="num">Good %</th></tr></thead><tbody>{}</tbody>'
        '<tfoot><tr><th scope="row">Total</th>' + cells + "</tr></tfoot></table>",
        caption, heading, body, total.good, total.bad, format_percent(total.percent_good))
