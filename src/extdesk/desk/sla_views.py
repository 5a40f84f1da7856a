"""The service levels on the desk (/desk/sla/): targets per priority and the business calendar.

Superusers change them; other agents are refused (403), as they are for
shared canned replies. Each form posts to its own address and the page is
drawn again with that form's refusals (400), the others as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.sla import selectors as sla_selectors
from extdesk.sla import services as sla_services
from extdesk.sla.forms import CalendarForm, HolidayForm, PolicyForm
from extdesk.web.forms import apply_errors, autofocus_first_error

from .access import StaffRequest, staff_required


def superuser_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Desk users only (else the sign-in page), and of those superusers only (else 403)."""

    @staff_required
    @wraps(view)
    def wrapper(request: StaffRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_superuser:
            return render(request, "extdesk/error.html", {
                "title": _("For superusers only"),
                "message": _("Service levels and business hours are changed by superusers. "
                             "Ask one if a target or the opening hours need to change."),
            }, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _day_minutes() -> int:
    return int(sla_selectors.current().calendar.nominal_day.total_seconds() // 60)


def _policy_form(data: object = None) -> PolicyForm:
    return PolicyForm(data, policies=sla_selectors.policies(), day_minutes=_day_minutes())


def _calendar_form(data: object = None) -> CalendarForm:
    row = sla_selectors.calendar_row()
    return CalendarForm(data, initial={
        "time_zone": row.time_zone, "working_days": [int(day) for day in row.working_days],
        "opens_at": row.opens_at, "closes_at": row.closes_at,
    })


def _settings_page(request: StaffRequest, *, policy_form: PolicyForm | None = None,
                   calendar_form: CalendarForm | None = None,
                   holiday_form: HolidayForm | None = None) -> HttpResponse:
    refused: forms.Form | None = next((form for form in (policy_form, calendar_form, holiday_form)
                                       if form is not None and form.errors), None)
    if refused is not None:
        autofocus_first_error(refused)
    row = sla_selectors.calendar_row()
    return render(request, "desk/sla.html", {
        "policy_form": policy_form or _policy_form(),
        "calendar_form": calendar_form or _calendar_form(),
        "holiday_form": holiday_form or HolidayForm(),
        "holidays": sla_selectors.holidays(),
        "zone": sla_selectors.zone_name(row),
        "zone_is_default": not row.time_zone,
    }, status=400 if refused is not None else 200)


@never_cache
@superuser_required
@require_GET
def sla_settings(request: StaffRequest) -> HttpResponse:
    return _settings_page(request)


@never_cache
@superuser_required
@require_POST
def sla_policies(request: StaffRequest) -> HttpResponse:
    form = _policy_form(request.POST)
    if form.is_valid():
        try:
            sla_services.update_policies(form.cleaned_data["targets"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Targets saved; the due times of open tickets follow them."))
            return redirect("desk:sla")
    return _settings_page(request, policy_form=form)


@never_cache
@superuser_required
@require_POST
def sla_calendar(request: StaffRequest) -> HttpResponse:
    form = _calendar_form(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sla_services.update_calendar(time_zone=data["time_zone"], working_days=data["working_days"],
                                         opens_at=data["opens_at"], closes_at=data["closes_at"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Business hours saved; the due times of open tickets follow them."))
            return redirect("desk:sla")
    return _settings_page(request, calendar_form=form)


@never_cache
@superuser_required
@require_POST
def sla_holiday_add(request: StaffRequest) -> HttpResponse:
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            holiday = sla_services.add_holiday(form.cleaned_data["date"], form.cleaned_data["name"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(date)s is a holiday.") % {"date": f"{holiday.date:%Y-%m-%d}"})
            return redirect("desk:sla")
    return _settings_page(request, holiday_form=form)


@never_cache
@superuser_required
@require_POST
def sla_holiday_remove(request: StaffRequest, pk: int) -> HttpResponse:
    if sla_services.remove_holiday(pk):
        messages.success(request, _("Holiday removed."))
    else:
        messages.error(request, _("That holiday was removed already."))
    return redirect("desk:sla")
