"""Staff desk forms. Ticket rules are the services' own; these only read input."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Category, Priority, Status
from extdesk.helpdesk.selectors import QUEUE_SORTS
from extdesk.helpdesk.services import MAX_BODY_LENGTH, format_size
from extdesk.portal.forms import MultipleFileField

UNCHANGED = ""


class LoginForm(forms.Form):
    username = forms.CharField(
        label="User name", max_length=150, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True,
                                      "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label="Password", strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Back after a refusal, the user name is kept: the cursor waits in the password.
        if self.is_bound and self.data.get("username"):
            del self.fields["username"].widget.attrs["autofocus"]
            self.fields["password"].widget.attrs["autofocus"] = True


# ---------------------------------------------------------------- queue

QUEUE_STATUS_ACTIVE = "active"
QUEUE_STATUS_ALL = "all"
QUEUE_STATUS_TABS = [
    (QUEUE_STATUS_ACTIVE, "Active"),
    *Status.choices,
    (QUEUE_STATUS_ALL, "All"),
]
SORT_LABELS = {
    "activity": "Latest activity",
    "-activity": "Oldest activity",
    "created": "Newest",
    "-created": "Oldest",
    "priority": "Most urgent",
    "-priority": "Least urgent",
    "number": "Number, descending",
    "-number": "Number, ascending",
    "updated": "Recently changed",
}
ASSIGNEE_ANY, ASSIGNEE_ME, ASSIGNEE_NONE = "", "me", "none"


def _attrs(attrs: dict) -> SafeString:
    """HTML attributes as Django's ``attrs.html`` writes them: True alone, False left out."""
    return format_html_join("", "{}", (
        (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
        for name, value in attrs.items() if value is not False
    ))


class QuickSelect(forms.Select):
    """A select written in Python, the same markup as Django's template for it.

    The queue shows four selects on every page; through the template engine each
    of their options cost an ``{% include %}`` (about 5 ms a page in all).
    """

    def render(self, name: str, value, attrs: dict | None = None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            parts.extend(
                format_html('\n  <option value="{}"{}>{}</option>\n',
                            option["value"], _attrs(option["attrs"]), option["label"])
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        # Every part above went through format_html, which escaped what it was given.
        return mark_safe("".join(parts))


class QueueFilterForm(forms.Form):
    """The queue's query string. A wrong value is reported next to its field."""

    SHOWN = ("q", "priority", "assignee", "category", "account", "sort")

    status = forms.ChoiceField(choices=QUEUE_STATUS_TABS, required=False)
    q = forms.CharField(label="Search", required=False, max_length=200, widget=forms.SearchInput(
        attrs={"placeholder": "Subject, #, e-mail, account"}))
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *Priority.choices], coerce=int, empty_value=None, required=False,
        widget=QuickSelect,
    )
    assignee = forms.ChoiceField(required=False, widget=QuickSelect)
    category = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, widget=QuickSelect)
    account = forms.CharField(label="Account", required=False, max_length=255,
                              widget=forms.TextInput(attrs={"placeholder": "Account name"}))
    sort = forms.ChoiceField(choices=[(key, SORT_LABELS.get(key, key)) for key in QUEUE_SORTS],
                             required=False, widget=QuickSelect)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, staff: list[AbstractBaseUser], categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            (ASSIGNEE_ANY, "Anyone"), (ASSIGNEE_ME, "Me"), (ASSIGNEE_NONE, "Unassigned"),
            *[(str(user.pk), user.get_full_name() or user.get_username()) for user in staff],
        ]
        self.fields["category"].choices = [
            ("", "Any category"), *[(c.pk, c.name) for c in categories]
        ]

    def shown_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SHOWN]


# ---------------------------------------------------------------- ticket


class StaffReplyForm(forms.Form):
    """A public reply or an internal note, chosen by the button pressed."""

    REPLY, NOTE = "reply", "note"

    # Set by the button pressed; there is no default, so that nothing reaches
    # the customer unless "Send reply" was chosen.
    kind = forms.ChoiceField(
        choices=[(REPLY, "Send reply"), (NOTE, "Add internal note")],
        error_messages={"required": "Choose whether to send a reply or add an internal note."},
    )
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 7}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    attachments = MultipleFileField()
    then_status = forms.ChoiceField(
        label="Then set status", required=False,
        choices=[(UNCHANGED, "Leave as it is"), *Status.choices],
        help_text="Applied once the message is saved.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = (
            f"Up to {settings.EXTDESK_ATTACHMENT_MAX_COUNT} files, "
            f"{format_size(settings.EXTDESK_ATTACHMENT_MAX_BYTES)} each."
        )

    def clean_attachments(self) -> list:
        try:
            return services.clean_attachments(self.cleaned_data.get("attachments") or [])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["attachments"]) from None


class TicketUpdateForm(forms.Form):
    """Status, priority, assignee and category of one ticket.

    Each field comes with the value the page showed (``<name>_was``); only
    the fields the agent changed are applied, so a form loaded before a
    colleague's change does not undo that change.
    """

    PROPERTIES = ("status", "priority", "assignee", "category")

    status = forms.ChoiceField(choices=Status.choices)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    assignee = forms.TypedChoiceField(label="Assignee", coerce=int, empty_value=None, required=False)
    category = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    status_was = forms.CharField(required=False, widget=forms.HiddenInput)
    priority_was = forms.CharField(required=False, widget=forms.HiddenInput)
    assignee_was = forms.CharField(required=False, widget=forms.HiddenInput)
    category_was = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff: list[AbstractBaseUser], categories: list[Category],
                 current_assignee: AbstractBaseUser | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.staff = {user.pk: user for user in staff}
        self.categories = {category.pk: category for category in categories}
        choices = [(pk, user.get_full_name() or user.get_username()) for pk, user in self.staff.items()]
        # Someone who left the staff stays selectable as the current value, so
        # that saving other fields does not silently unassign the ticket.
        if current_assignee is not None and current_assignee.pk not in self.staff:
            name = current_assignee.get_full_name() or current_assignee.get_username()
            choices.append((current_assignee.pk, f"{name} (no longer staff)"))
        self.fields["assignee"].choices = [("", "Unassigned"), *choices]
        self.fields["category"].choices = [
            ("", "(none)"),
            *[(pk, c.name if c.is_active else f"{c.name} (retired)") for pk, c in self.categories.items()],
        ]

    def changed_properties(self) -> list[str]:
        """The properties whose submitted value differs from the one shown."""
        data = self.cleaned_data
        return [
            name for name in self.PROPERTIES
            if _as_text(data.get(name)) != (data.get(f"{name}_was") or "")
        ]


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def update_initial(ticket) -> dict[str, object]:
    """The update form's values for ``ticket``, the ``_was`` fields included."""
    values = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id,
        "category": ticket.category_id,
    }
    return {**values, **{f"{name}_was": _as_text(value) for name, value in values.items()}}
