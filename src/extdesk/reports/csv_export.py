"""The reports' figures as CSV files, one per dataset, safe to open in a spreadsheet.

Text cells that a spreadsheet would take for a formula (a category named
``=HYPERLINK(...)``) get a leading apostrophe, as OWASP recommends; numbers
stay numbers. The files are UTF-8 with a byte-order mark, which spreadsheet
applications need to read non-Latin names right, and CRLF line ends (RFC 4180).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from .selectors import Report

Cell = str | int | float | None
# What starts a formula in Excel, LibreOffice or Google Sheets, the full-width forms included.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Cell) -> Cell:
    """A text cell no spreadsheet evaluates; numbers and empty cells unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _days(report: Report) -> tuple[list[str], list[list[Cell]]]:
    return (["date", "opened", "closed"],
            [[day.day.isoformat(), day.opened, day.closed] for day in report.days])


def _backlog(report: Report) -> tuple[list[str], list[list[Cell]]]:
    return ["status", "tickets"], [[row.label, row.tickets] for row in report.backlog]


def _categories(report: Report) -> tuple[list[str], list[list[Cell]]]:
    return ["category", "tickets opened"], [[row.label, row.tickets] for row in report.categories]


def _times(report: Report) -> tuple[list[str], list[list[Cell]]]:
    return (["measure", "tickets", "median seconds", "90th percentile seconds"],
            [[row.label, row.tickets, _seconds(row.median), _seconds(row.p90)] for row in report.times])


def _sla(report: Report) -> tuple[list[str], list[list[Cell]]]:
    return (["priority", "tickets opened",
             "first response known", "first response met", "first response attained %",
             "resolution known", "resolution met", "resolution attained %"],
            [[row.label, row.opened,
              row.first_response.known, row.first_response.met, _percent(row.first_response.percent),
              row.resolution.known, row.resolution.met, _percent(row.resolution.percent)]
             for row in report.sla])


def _satisfaction(report: Report) -> tuple[list[str], list[list[Cell]]]:
    rated = report.satisfaction
    groups = (("agent", rated.agents), ("category", rated.categories), ("day", rated.days))
    return (["by", "agent, category or day", "good", "bad", "good %"],
            [[by, row.label, row.good, row.bad, _percent(row.percent_good)]
             for by, rows in groups for row in rows])


DATASETS: dict[str, Callable[[Report], tuple[list[str], list[list[Cell]]]]] = {
    "days": _days, "backlog": _backlog, "categories": _categories, "times": _times, "sla": _sla,
    "satisfaction": _satisfaction,
}


def dataset_csv(report: Report, dataset: str) -> bytes:
    """The CSV file of one of DATASETS."""
    header, rows = DATASETS[dataset](report)
    return render(header, rows)


def file_name(report: Report, dataset: str) -> str:
    period = report.period
    return f"extdesk-{dataset}-{period.first_day:%Y-%m-%d}-to-{period.last_day:%Y-%m-%d}.csv"
