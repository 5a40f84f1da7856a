"""The reports' query string: the period (a preset or two dates) and the optional filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from extdesk.helpdesk.models import Category, Priority
from extdesk.helpdesk.staff import display_name
from extdesk.web.forms import choice_field

from .selectors import NONE, Filters, Period, last_days

PRESETS = (("7", gettext_lazy("Last 7 days")), ("30", gettext_lazy("Last 30 days")),
           ("90", gettext_lazy("Last 90 days")))
DEFAULT_PRESET = "30"
# A year and a leap day: a longer period is a different report (and a chart of unreadable days).
MAX_DAYS = 366
# No helpdesk holds tickets from before it; earlier dates only reach the limits of date arithmetic.
EARLIEST = date(1970, 1, 1)
_DATE_ERRORS = {"invalid": gettext_lazy("Enter a date as YYYY-MM-DD, e.g. 2026-03-31.")}


class ReportForm(forms.Form):
    period = forms.ChoiceField(choices=PRESETS, required=False, label=gettext_lazy("Period"),
                               error_messages={"invalid_choice": gettext_lazy(
                                   "Choose the last 7, 30 or 90 days, or give the dates.")})
    start = forms.DateField(label=gettext_lazy("From"), required=False, input_formats=["%Y-%m-%d"],
                            error_messages=_DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, input_formats=["%Y-%m-%d"],
                          error_messages=_DATE_ERRORS, widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.TypedChoiceField(choices=[("", gettext_lazy("Any priority")), *Priority.choices],
                                      coerce=int, empty_value=None, required=False,
                                      label=gettext_lazy("Priority"))
    category = forms.ChoiceField(required=False, label=gettext_lazy("Category"))
    assignee = forms.ChoiceField(required=False, label=gettext_lazy("Assignee"))

    def __init__(self, *args, zone: ZoneInfo, staff: list[User], categories: list[Category],
                 now: datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now
        choice_field(self, "category").choices = [
            ("", _("Any category")), (NONE, _("No category")), *[(str(c.pk), c.name) for c in categories]]
        choice_field(self, "assignee").choices = [
            ("", _("Anyone")), (NONE, _("Unassigned")),
            *[(str(user.pk), display_name(user)) for user in staff]]

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if self.has_error("start") or self.has_error("end"):
            return data
        if (start is None) != (end is None):
            missing = "start" if start is None else "end"
            self.add_error(missing, _("Give both dates, from and to (or choose a preset period)."))
        elif start is not None and end is not None:
            today = last_days(1, self.zone, now=self.now).last_day
            dates = {"first": start.isoformat(), "last": end.isoformat(), "earliest": EARLIEST.isoformat(),
                     "today": today.isoformat(), "most": MAX_DAYS, "days": (end - start).days + 1}
            if start < EARLIEST:
                self.add_error("start", _("The start date (%(first)s) is before %(earliest)s.") % dates)
            elif end < start:
                self.add_error("end", _("The end date (%(last)s) is before the start date (%(first)s).")
                               % dates)
            elif end > today:
                self.add_error("end", _("The end date (%(last)s) is after today (%(today)s).") % dates)
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", _("A report covers at most %(most)s days; %(first)s to %(last)s is "
                                        "%(days)s.") % dates)
        return data

    @property
    def custom(self) -> bool:
        """The period is the two dates given, not a preset."""
        return self.cleaned_data.get("start") is not None

    @property
    def preset(self) -> str:
        return "" if self.custom else (self.cleaned_data.get("period") or DEFAULT_PRESET)

    def period_chosen(self) -> Period:
        """The period asked for (call is_valid first, and only when it was)."""
        data = self.cleaned_data
        if self.custom:
            return Period(data["start"], data["end"], self.zone)
        return last_days(int(self.preset), self.zone, now=self.now)

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(priority=data.get("priority"), category=_id_or_none(data.get("category")),
                       assignee=_id_or_none(data.get("assignee")))


def _id_or_none(value: str | None) -> int | Literal["none"] | None:
    if not value:
        return None
    return NONE if value == NONE else int(value)
