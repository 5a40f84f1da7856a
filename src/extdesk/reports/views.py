"""The reports page and its CSV files, for desk users."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from extdesk.desk.access import StaffRequest, staff_required
from extdesk.helpdesk import selectors as helpdesk_selectors
from extdesk.helpdesk.models import Category

from . import csv_export, selectors
from .charts import charts
from .forms import PRESETS, ReportForm


def _form(request: StaffRequest) -> tuple[ReportForm, list[Category]]:
    categories = helpdesk_selectors.all_categories()
    form = ReportForm(request.GET, zone=selectors.report_zone(), staff=helpdesk_selectors.staff_members(),
                      categories=categories)
    return form, categories


@never_cache
@staff_required
@require_GET
def report(request: StaffRequest) -> HttpResponse:
    form, categories = _form(request)
    context: dict[str, object] = {"form": form, "presets": [
        {"key": key, "label": label, "query": _with(request, period=key)} for key, label in PRESETS]}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)
    found = selectors.report(form.period_chosen(), form.filters(), categories)
    context.update(report=found, charts=charts(found), preset=form.preset,
                   query=request.GET.urlencode())
    return render(request, "reports/report.html", context)


@never_cache
@staff_required
@require_GET
def report_csv(request: StaffRequest, dataset: str) -> HttpResponse:
    if dataset not in csv_export.DATASETS:
        raise Http404("No such report.")
    form, categories = _form(request)
    if not form.is_valid():
        problems = "; ".join(_("%(field)s: %(error)s") % {
            "field": form.fields[name].label if name in form.fields else _("Period"), "error": error}
            for name, errors in form.errors.items() for error in errors)
        return HttpResponse(_("This report cannot be made: %(problems)s") % {"problems": problems} + "\n",
                            status=400, content_type="text/plain; charset=utf-8")
    found = selectors.report(form.period_chosen(), form.filters(), categories)
    response = HttpResponse(csv_export.dataset_csv(found, dataset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_export.file_name(found, dataset)}"'
    return response


def _with(request: StaffRequest, **changes: str) -> str:
    """The page's query string with a preset period: the dates given are dropped, the filters kept."""
    query = request.GET.copy()
    for key in ("period", "start", "end"):
        query.pop(key, None)
    query.update(changes)
    return query.urlencode()
