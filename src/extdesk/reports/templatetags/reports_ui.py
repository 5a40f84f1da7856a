"""The reports page's figures as people read them, and each section's heading with its CSV link."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..charts import Chart, format_duration, format_percent
from ..selectors import Day

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
