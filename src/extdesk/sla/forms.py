"""The forms of the service-level pages (extdesk.desk.sla_views): they read input, the services judge it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.dates import WEEKDAYS
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import Priority

from .models import SlaPolicy
from .services import format_minutes, parse_duration, target_field


class PolicyForm(forms.Form):
    """Both targets of every priority, as durations: "90m", "4h", "1h 30m", "2d"."""

    def __init__(self, *args, policies: list[SlaPolicy], day_minutes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.day_minutes = day_minutes
        by_priority = {policy.priority: policy for policy in policies}
        self.help_text = help_text = _(
            "Business time, such as 90m, 4h, 1h 30m or 2d (a business day is %(day)s of the calendar's "
            "hours).") % {"day": format_minutes(day_minutes)}
        labels = {"first_response": _("%(priority)s: first response"),
                  "resolution": _("%(priority)s: resolution")}
        for priority in sorted(Priority.values, reverse=True):
            policy = by_priority.get(priority)
            for target, label in labels.items():
                minutes = getattr(policy, f"{target}_minutes") if policy else None
                self.fields[target_field(priority, target)] = forms.CharField(
                    label=label % {"priority": Priority(priority).label}, max_length=40, help_text=help_text,
                    initial=format_minutes(minutes) if minutes else "")

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(priority label, [first-response field, resolution field]), most urgent first."""
        return [(str(Priority(priority).label), [self[target_field(priority, target)]
                                            for target in ("first_response", "resolution")])
                for priority in sorted(Priority.values, reverse=True)]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        targets: dict[int, tuple[int, int]] = {}
        for priority in Priority.values:
            minutes = []
            for target in ("first_response", "resolution"):
                name = target_field(priority, target)
                if name not in cleaned:
                    continue
                try:
                    minutes.append(parse_duration(cleaned[name], day_minutes=self.day_minutes, field=name))
                except InvalidInput as exc:
                    self.add_error(name, exc.message_dict[name])
            if len(minutes) == 2:
                targets[priority] = (minutes[0], minutes[1])
        cleaned["targets"] = targets
        return cleaned


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CalendarForm(forms.Form):
    time_zone = forms.CharField(label=gettext_lazy("Time zone"), required=False, max_length=64,
                                widget=forms.TextInput(attrs={"placeholder": "Europe/Berlin",
                                                              "autocomplete": "off", "spellcheck": "false"}))
    working_days = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Working days"), coerce=int, widget=forms.CheckboxSelectMultiple,
        # Django's own weekday names, Monday 0 as in the calendar's working_days.
        choices=sorted(WEEKDAYS.items()),
        error_messages={"required": gettext_lazy("Choose at least one working day.")})
    opens_at = forms.TimeField(label=gettext_lazy("Opens at"), widget=_time_input())
    closes_at = forms.TimeField(label=gettext_lazy("Closes at"), widget=_time_input())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].help_text = format_lazy(gettext_lazy(
            "An IANA name such as Europe/Berlin or America/New_York; empty: the server's EXTDESK_TIME_ZONE "
            "({zone})."), zone=settings.EXTDESK_TIME_ZONE)


class HolidayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": gettext_lazy("New Year's Day")}))
