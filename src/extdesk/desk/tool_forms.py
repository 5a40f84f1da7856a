"""Forms of the agents' tools: canned replies, bulk changes on the queue, tags, copies and merging.

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
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from extdesk.helpdesk.models import Category, Priority, Status
from extdesk.helpdesk.services import BULK_MAX_TICKETS, MAX_TAG_LENGTH, BulkChanges
from extdesk.helpdesk.staff import display_name
from extdesk.web.forms import choice_field

from . import canned, placeholders
from .forms import QueueFilterForm

# ---------------------------------------------------------------- canned replies


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Name"), max_length=canned.MAX_TITLE_LENGTH,
                            help_text=gettext_lazy("What you look it up by."))
    body = forms.CharField(label=gettext_lazy("Text"), max_length=canned.MAX_BODY_LENGTH, strip=False,
                           widget=forms.Textarea(attrs={"rows": 10}))
    shared = forms.BooleanField(label=gettext_lazy("Shared with every agent"), required=False,
                                help_text=gettext_lazy(
                                    "Only superusers share replies, and change or delete shared ones."))

    def __init__(self, *args, may_share: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not may_share:
            # Not offered, so never read: what a crafted post says about sharing is ignored.
            del self.fields["shared"]
        names = ", ".join(f"{{{{ {name} }}}}" for name in placeholders.PLACEHOLDERS)
        self.fields["body"].help_text = format_lazy(
            gettext_lazy("Placeholders, filled in from the ticket when inserted: {names}."), names=names)


class CannedSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Find by name"), required=False, max_length=100,
                        widget=forms.SearchInput(attrs={"placeholder": gettext_lazy("Name")}))
    page = forms.IntegerField(required=False, min_value=1)


# ---------------------------------------------------------------- bulk changes

ASSIGN_ME, ASSIGN_NOBODY = "me", "none"
NO_CATEGORY = "none"
SCOPE_SELECTED, SCOPE_MATCHING = "selected", "matching"
# The queue filter's fields, posted with the bulk form under this prefix: "every ticket
# matching the filters" runs the filter again when the change is applied.
FILTER_PREFIX = "filter"
_FILTER_FIELDS = [name for name in QueueFilterForm.base_fields if name != "page"]


_NOT_A_NUMBER = gettext_lazy("The selection holds something that is not a ticket number.")


class TicketNumbersField(forms.Field):
    """The ticked rows: any number of ticket numbers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: object) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            numbers = [int(str(item)) for item in values]
        except ValueError:
            raise ValidationError(_NOT_A_NUMBER) from None
        if any(number < 1 for number in numbers):
            raise ValidationError(_NOT_A_NUMBER)
        return list(dict.fromkeys(numbers))


class BulkActionForm(forms.Form):
    """One change (the button pressed) to the ticked tickets, or to every ticket matching the filters."""

    ACTIONS = {
        "add_tag": gettext_lazy("Add tag"),
        "remove_tag": gettext_lazy("Remove tag"),
        "assign": gettext_lazy("Assign"),
        "status": gettext_lazy("Set status"),
        "priority": gettext_lazy("Set priority"),
        "category": gettext_lazy("Set category"),
    }

    ticket = TicketNumbersField(required=False)
    scope = forms.ChoiceField(
        choices=[(SCOPE_SELECTED, gettext_lazy("The tickets ticked below")),
                 (SCOPE_MATCHING, gettext_lazy("Every ticket matching the filters"))],
        initial=SCOPE_SELECTED, widget=forms.RadioSelect)
    action = forms.ChoiceField(choices=list(ACTIONS.items()),
                               error_messages={"required": gettext_lazy("Choose a change to make.")})
    tag = forms.CharField(label=gettext_lazy("Tag"), required=False, max_length=MAX_TAG_LENGTH)
    assignee = forms.ChoiceField(label=gettext_lazy("Assignee"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Status.choices, required=False)
    priority = forms.TypedChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices, coerce=int,
                                      required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
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
            (ASSIGN_ME, _("Me")), (ASSIGN_NOBODY, _("Nobody (unassign)")),
            *[(pk, display_name(user)) for pk, user in self._staff.items()],
        ]
        choice_field(self, "category").choices = [
            (NO_CATEGORY, _("No category")), *[(pk, c.name) for pk, c in self._categories.items()],
        ]

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        action = data.get("action")
        if action in ("add_tag", "remove_tag") and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Enter the tag to add or remove."))
        elif action and data.get(self._field(action)) in (None, ""):
            self.add_error(self._field(action), _("Choose a value."))
        if (data.get("scope") == SCOPE_SELECTED and not data.get("ticket") and action
                and not self.has_error("ticket")):
            self.add_error("ticket", _("Tick the tickets to change first."))
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
        """The change in words, in the active language: "set the status to Closed"."""
        data = self.cleaned_data
        action = data["action"]
        if action == "assign":
            user = self.changes().get("assignee")
            if user is None:
                return _("unassign")
            return _("assign to %(agent)s") % {"agent": display_name(user)}
        if action == "status":
            return _("set the status to %(status)s") % {"status": Status(data["status"]).label}
        if action == "priority":
            return _("set the priority to %(priority)s") % {"priority": Priority(data["priority"]).label}
        if action == "category":
            category = self._categories.get(data["category"])
            if category is None:
                return _("remove the category")
            return _("set the category to %(category)s") % {"category": category.name}
        tag = {"tag": " ".join(data["tag"].split())}
        return (_("add the tag “%(tag)s”") if action == "add_tag" else _("remove the tag “%(tag)s”")) % tag

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
    tag = forms.CharField(label=gettext_lazy("Tag"), max_length=MAX_TAG_LENGTH,
                          error_messages={"required": gettext_lazy("Enter a tag.")})


class CopyForm(forms.Form):
    """An address to copy on a ticket's mail, or to take off; the address rules are add_copy's."""

    address = forms.CharField(label=gettext_lazy("Address to copy"), max_length=254,
                              widget=forms.EmailInput(attrs={"autocomplete": "off"}),
                              error_messages={"required": gettext_lazy("Enter an e-mail address.")})
    # The ticket version the page was drawn from; "anyway" applies the change although it changed since.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def expected_version(self) -> int | None:
        return None if self.cleaned_data.get("anyway") else self.cleaned_data.get("version")


class MergeForm(forms.Form):
    into = forms.CharField(label=gettext_lazy("Merge into ticket"), max_length=20,
                           error_messages={"required": gettext_lazy(
                               "Enter the number of the ticket to merge into.")})

    def clean_into(self) -> int:
        text = self.cleaned_data["into"].strip().lstrip("#").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            raise ValidationError(_("Enter a ticket number, such as 123 or #123."))
        return int(text)
