"""Forms of the agents' tools: canned replies, bulk changes on the queue, tags and merging.

They read input; the rules are the services' own (extdesk.helpdesk.services,
extdesk.desk.canned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import QueryDict

from extdesk.helpdesk.models import Category, Priority, Status
from extdesk.helpdesk.services import BULK_MAX_TICKETS, MAX_TAG_LENGTH, BulkChanges
from extdesk.helpdesk.staff import display_name
from extdesk.web.forms import choice_field

from . import canned, placeholders
from .forms import QueueFilterForm

# ---------------------------------------------------------------- canned replies


class CannedReplyForm(forms.Form):
    title = forms.CharField(label="Name", max_length=canned.MAX_TITLE_LENGTH,
                            help_text="What you look it up by.")
    body = forms.CharField(label="Text", max_length=canned.MAX_BODY_LENGTH, strip=False,
                           widget=forms.Textarea(attrs={"rows": 10}))
    shared = forms.BooleanField(label="Shared with every agent", required=False,
                                help_text="Only superusers share replies, and change or delete shared ones.")

    def __init__(self, *args, may_share: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not may_share:
            # Not offered, so never read: what a crafted post says about sharing is ignored.
            del self.fields["shared"]
        names = ", ".join(f"{{{{ {name} }}}}" for name in placeholders.PLACEHOLDERS)
        self.fields["body"].help_text = f"Placeholders, filled in from the ticket when inserted: {names}."


class CannedSearchForm(forms.Form):
    q = forms.CharField(label="Find by name", required=False, max_length=100,
                        widget=forms.SearchInput(attrs={"placeholder": "Name"}))
    page = forms.IntegerField(required=False, min_value=1)


# ---------------------------------------------------------------- bulk changes

ASSIGN_ME, ASSIGN_NOBODY = "me", "none"
NO_CATEGORY = "none"
SCOPE_SELECTED, SCOPE_MATCHING = "selected", "matching"
# The queue filter's fields, posted with the bulk form under this prefix: "every ticket
# matching the filters" runs the filter again when the change is applied.
FILTER_PREFIX = "filter"
_FILTER_FIELDS = [name for name in QueueFilterForm.base_fields if name != "page"]


class TicketNumbersField(forms.Field):
    """The ticked rows: any number of ticket numbers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            numbers = [int(str(item)) for item in values]
        except ValueError:
            raise ValidationError("The selection holds something that is not a ticket number.") from None
        if any(number < 1 for number in numbers):
            raise ValidationError("The selection holds something that is not a ticket number.")
        return list(dict.fromkeys(numbers))


class BulkActionForm(forms.Form):
    """One change (the button pressed) to the ticked tickets, or to every ticket matching the filters."""

    ACTIONS = {
        "add_tag": "Add tag",
        "remove_tag": "Remove tag",
        "assign": "Assign",
        "status": "Set status",
        "priority": "Set priority",
        "category": "Set category",
    }

    ticket = TicketNumbersField(required=False)
    scope = forms.ChoiceField(
        choices=[(SCOPE_SELECTED, "The tickets ticked below"),
                 (SCOPE_MATCHING, "Every ticket matching the filters")],
        initial=SCOPE_SELECTED, widget=forms.RadioSelect)
    action = forms.ChoiceField(choices=list(ACTIONS.items()),
                               error_messages={"required": "Choose a change to make."})
    tag = forms.CharField(label="Tag", required=False, max_length=MAX_TAG_LENGTH)
    assignee = forms.ChoiceField(label="Assignee", required=False)
    status = forms.ChoiceField(label="Status", choices=Status.choices, required=False)
    priority = forms.TypedChoiceField(label="Priority", choices=Priority.choices, coerce=int, required=False)
    category = forms.ChoiceField(label="Category", required=False)
    # Set by the confirmation page of a change to every matching ticket.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff: list[User], categories: list[Category], viewer: User | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)
        self._staff = {str(user.pk): user for user in staff}
        self._categories = {str(category.pk): category for category in categories}
        self._viewer = viewer
        choice_field(self, "assignee").choices = [
            (ASSIGN_ME, "Me"), (ASSIGN_NOBODY, "Nobody (unassign)"),
            *[(pk, display_name(user)) for pk, user in self._staff.items()],
        ]
        choice_field(self, "category").choices = [
            (NO_CATEGORY, "No category"), *[(pk, c.name) for pk, c in self._categories.items()],
        ]

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        action = data.get("action")
        if action in ("add_tag", "remove_tag") and not (data.get("tag") or "").strip():
            self.add_error("tag", "Enter the tag to add or remove.")
        elif action and data.get(self._field(action)) in (None, ""):
            self.add_error(self._field(action), "Choose a value.")
        if (data.get("scope") == SCOPE_SELECTED and not data.get("ticket") and action
                and not self.has_error("ticket")):
            self.add_error("ticket", "Tick the tickets to change first.")
        return data

    @staticmethod
    def _field(action: str) -> str:
        return {"assign": "assignee", "add_tag": "tag", "remove_tag": "tag"}.get(action, action)

    @property
    def matching(self) -> bool:
        return self.cleaned_data["scope"] == SCOPE_MATCHING

    def changes(self) -> BulkChanges:
        """The chosen change, for bulk_update."""
        data = self.cleaned_data
        action = data["action"]
        if action == "assign":
            choice = data["assignee"]
            user = self._viewer if choice == ASSIGN_ME else self._staff.get(choice)
            return {"assignee": user}
        if action == "category":
            return {"category": self._categories.get(data["category"])}
        if action in ("add_tag", "remove_tag"):
            return cast(BulkChanges, {action: data["tag"]})
        return cast(BulkChanges, {action: data[action]})

    def describe(self) -> str:
        """The change in words: "set the status to Closed"."""
        data = self.cleaned_data
        action = data["action"]
        if action == "assign":
            user = self.changes().get("assignee")
            return f"assign to {display_name(user)}" if user is not None else "unassign"
        if action == "status":
            return f"set the status to {Status(data['status']).label}"
        if action == "priority":
            return f"set the priority to {Priority(data['priority']).label}"
        if action == "category":
            category = self._categories.get(data["category"])
            return f"set the category to {category.name}" if category else "remove the category"
        verb = "add the tag" if action == "add_tag" else "remove the tag"
        return f"{verb} “{' '.join(data['tag'].split())}”"

    def problems(self) -> list[str]:
        return [str(message) for messages in self.errors.values() for message in messages]


@dataclass(frozen=True)
class BulkBar:
    """What the queue's bulk bar shows: its form, and the queue's filters to post with it."""

    form: BulkActionForm
    filters: list[tuple[str, str]]
    limit: int = BULK_MAX_TICKETS


def queue_filter_params(params: QueryDict, prefix: str = "") -> dict[str, str]:
    """The queue filter's values in ``params`` (``prefix-`` before each name when given)."""
    found = {}
    for name in _FILTER_FIELDS:
        value = params.get(f"{prefix}-{name}" if prefix else name, "")
        if value:
            found[name] = value
    return found


def bulk_bar(params: QueryDict, *, staff: list[User], categories: list[Category]) -> BulkBar:
    """The bulk bar of the queue page showing ``params``."""
    filters = [(f"{FILTER_PREFIX}-{name}", value) for name, value in queue_filter_params(params).items()]
    return BulkBar(form=BulkActionForm(staff=staff, categories=categories), filters=filters)


# ---------------------------------------------------------------- tags and merging


class TagForm(forms.Form):
    tag = forms.CharField(label="Tag", max_length=MAX_TAG_LENGTH,
                          error_messages={"required": "Enter a tag."})


class MergeForm(forms.Form):
    into = forms.CharField(label="Merge into ticket", max_length=20,
                           error_messages={"required": "Enter the number of the ticket to merge into."})

    def clean_into(self) -> int:
        text = self.cleaned_data["into"].strip().lstrip("#").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise ValidationError("Enter a ticket number, such as 123 or #123.")
        return int(text)
