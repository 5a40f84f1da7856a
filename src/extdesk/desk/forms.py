"""Staff desk forms. Ticket rules are the services' own; these only read input."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Field
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from extdesk.helpdesk.models import MAIL_PREFERENCES, Category, Priority, StaffProfile, Status, Ticket
from extdesk.helpdesk.selectors import QUEUE_SORTS
from extdesk.helpdesk.services import MAX_BODY_LENGTH, PropertyChanges
from extdesk.helpdesk.staff import display_name
from extdesk.ratings.models import Choice
from extdesk.web.forms import AttachmentsField, choice_field

from .selectors import (
    ASSIGNEE_ANY,
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    DEFAULT_QUEUE_TAB,
    QUEUE_STATUS_TABS,
    RATING_ANY,
    RATING_NONE,
    QueueQuery,
    default_sort,
)
from .services import MAX_DISPLAY_NAME_LENGTH, MAX_SIGNATURE_LENGTH, MAX_SIGNATURE_LINES

# The reply form's "Then set status" choice that leaves the status alone.
KEEP_STATUS = ""


class LoginForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("User name"), max_length=150, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True,
                                      "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Back after a refusal, the user name is kept: the cursor waits in the password.
        if self.is_bound and self.data.get("username"):
            del self.fields["username"].widget.attrs["autofocus"]
            self.fields["password"].widget.attrs["autofocus"] = True


# ---------------------------------------------------------------- queue

SORT_LABELS = {
    "due": gettext_lazy("Due soonest"),
    "-due": gettext_lazy("Due latest"),
    "activity": gettext_lazy("Latest activity"),
    "-activity": gettext_lazy("Oldest activity"),
    "created": gettext_lazy("Newest"),
    "-created": gettext_lazy("Oldest"),
    "priority": gettext_lazy("Most urgent"),
    "-priority": gettext_lazy("Least urgent"),
    "number": gettext_lazy("Number, descending"),
    "-number": gettext_lazy("Number, ascending"),
    "updated": gettext_lazy("Recently changed"),
    "relevance": gettext_lazy("Best match"),
}


def _attrs(attrs: dict) -> SafeString:
    """HTML attributes as Django's ``attrs.html`` writes them: True alone, False left out."""
    return format_html_join("", "{}", (
        (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
        for name, value in attrs.items() if value is not False
    ))


class QuickSelect(forms.Select):
    """A select written in Python, the same markup as Django's template for it.

    The queue shows four selects on every page; through the template engine each
    of their options would cost an ``{% include %}``.
    """

    def render(self, name: str, value, attrs: dict | None = None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
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

    SHOWN = ("q", "priority", "assignee", "category", "account", "tag", "rating", "sort")

    status = forms.ChoiceField(choices=QUEUE_STATUS_TABS, required=False)
    q = forms.CharField(
        label=gettext_lazy("Search"), required=False, max_length=200, widget=forms.SearchInput(
        attrs={"placeholder": gettext_lazy("Words, #, e-mail, account")}))
    priority = forms.TypedChoiceField(
        choices=[("", gettext_lazy("Any priority")), *Priority.choices], coerce=int, empty_value=None,
        required=False,
        widget=QuickSelect,
    )
    assignee = forms.ChoiceField(required=False, widget=QuickSelect)
    category = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, widget=QuickSelect)
    account = forms.CharField(label=gettext_lazy("Account"), required=False, max_length=255,
                              widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Account name")}))
    tag = forms.CharField(label=gettext_lazy("Tag"), required=False, max_length=50,
                          widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Tag")}))
    rating = forms.ChoiceField(label=gettext_lazy("Rating"), required=False, widget=QuickSelect, choices=[
        (RATING_ANY, gettext_lazy("Any rating")), (Choice.GOOD, gettext_lazy("Rated good")),
        (Choice.BAD, gettext_lazy("Rated bad")), (RATING_NONE, gettext_lazy("Not rated"))])
    sort = forms.ChoiceField(choices=[(key, SORT_LABELS.get(key, key)) for key in QUEUE_SORTS],
                             required=False, widget=QuickSelect)
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, staff: list[User], categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "assignee").choices = [
            (ASSIGNEE_ANY, _("Anyone")), (ASSIGNEE_ME, _("Me")), (ASSIGNEE_NONE, _("Unassigned")),
            *[(str(user.pk), display_name(user)) for user in staff],
        ]
        choice_field(self, "category").choices = [
            ("", _("Any category")), *[(c.pk, c.name) for c in categories]
        ]

    def shown_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SHOWN]

    def query(self) -> QueueQuery:
        """The valid fields' values; a wrong field is reported and left out (call is_valid first)."""
        data = self.cleaned_data
        status_tab = data.get("status") or DEFAULT_QUEUE_TAB
        return QueueQuery(
            status_tab=status_tab,
            priority=data.get("priority"),
            assignee=data.get("assignee") or ASSIGNEE_ANY,
            account_name=(data.get("account") or "").strip(),
            category_id=data.get("category"),
            search=data.get("q") or "",
            sort=data.get("sort") or default_sort(status_tab),
            page=data.get("page") or 1,
            tag=" ".join((data.get("tag") or "").split()),
            rating=data.get("rating") or RATING_ANY,
        )


# ---------------------------------------------------------------- ticket


class StaffReplyForm(forms.Form):
    """A public reply or an internal note: the mode chosen, and the button pressed, which must agree.

    ``version`` is the ticket version the page was drawn from (a post
    without one, from an older page or a script, is checked against
    nothing); a button whose value ends in ``-anyway`` sends although the
    ticket changed since.
    """

    REPLY, NOTE = "reply", "note"
    ANYWAY = "-anyway"

    # The mode switch: what the form looks like and which button it offers.
    mode = forms.ChoiceField(label=gettext_lazy("Write"), required=False, widget=forms.RadioSelect,
                             choices=[(REPLY, gettext_lazy("Reply to customer")),
                                      (NOTE, gettext_lazy("Internal note"))])
    # Set by the button pressed; there is no default, so that nothing reaches
    # the customer unless "Send reply" was chosen.
    kind = forms.ChoiceField(
        choices=[(REPLY, gettext_lazy("Send reply")), (NOTE, gettext_lazy("Add internal note")),
                 (REPLY + ANYWAY, gettext_lazy("Send reply anyway")),
                 (NOTE + ANYWAY, gettext_lazy("Add internal note anyway"))],
        error_messages={"required": gettext_lazy("Choose whether to send a reply or add an internal note.")},
    )
    body = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 7}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    attachments = AttachmentsField()
    then_status = forms.ChoiceField(
        label=gettext_lazy("Then set status"), required=False,
        choices=[(KEEP_STATUS, gettext_lazy("Leave as it is")), *Status.choices],
        help_text=gettext_lazy("Applied once the message is saved."),
    )
    signature = forms.BooleanField(label=gettext_lazy("Add my signature"), required=False, initial=True)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean() or {}
        kind, mode = data.get("kind"), data.get("mode")
        if kind and mode and kind.removesuffix(self.ANYWAY) != mode:
            # Only a browser that ignores the stylesheet shows the other mode's button.
            raise forms.ValidationError(
                _("The form was set to write an internal note, but the other button was pressed: nothing "
                  "was sent. Choose the mode, then its button.") if mode == self.NOTE
                else _("The form was set to write a reply to the customer, but the other button was "
                       "pressed: nothing was sent. Choose the mode, then its button."))
        return data

    @property
    def internal(self) -> bool:
        return self.cleaned_data["kind"].removesuffix(self.ANYWAY) == self.NOTE

    @property
    def anyway(self) -> bool:
        return self.cleaned_data["kind"].endswith(self.ANYWAY)

    @property
    def shown_mode(self) -> str:
        """The mode the form opens in: the one posted, else the one its button says, else a reply."""
        value = self["mode"].value() or (self.data.get("kind") or "").removesuffix(self.ANYWAY)
        return value if value in (self.REPLY, self.NOTE) else self.REPLY

    def expected_version(self) -> int | None:
        """The version to check the ticket against: None when sent anyway, or when no version came."""
        return None if self.anyway else self.cleaned_data.get("version")


class TicketUpdateForm(forms.Form):
    """Status, priority, assignee and category of one ticket.

    Each field comes with the value the page showed (``<name>_was``); only
    the fields the agent changed are applied, so a form loaded before a
    colleague's change does not undo that change.
    """

    PROPERTIES = ("status", "priority", "assignee", "category")

    status = forms.ChoiceField(choices=Status.choices)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    assignee = forms.TypedChoiceField(label=gettext_lazy("Assignee"), coerce=int, empty_value=None,
                                      required=False)
    category = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    # The ticket version the form was drawn from; "anyway" applies it although
    # someone else changed the same fields since.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)
    status_was = forms.CharField(required=False, widget=forms.HiddenInput)
    priority_was = forms.CharField(required=False, widget=forms.HiddenInput)
    assignee_was = forms.CharField(required=False, widget=forms.HiddenInput)
    category_was = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff: list[User], categories: list[Category],
                 current_assignee: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._assignees = {user.pk: user for user in staff}
        self._categories = {category.pk: category for category in categories}
        choices = [(pk, display_name(user)) for pk, user in self._assignees.items()]
        # Someone who left the staff stays selectable as the current value, so
        # that saving other fields does not silently unassign the ticket.
        if current_assignee is not None and current_assignee.pk not in self._assignees:
            choices.append((current_assignee.pk, _("%(name)s (no longer staff)")
                            % {"name": display_name(current_assignee)}))
            self._assignees[current_assignee.pk] = current_assignee
        choice_field(self, "assignee").choices = [("", _("Unassigned")), *choices]
        choice_field(self, "category").choices = [
            ("", _("(none)")),
            *[(pk, c.name if c.is_active else _("%(name)s (retired)") % {"name": c.name})
              for pk, c in self._categories.items()],
        ]

    def changes(self) -> PropertyChanges:
        """The properties whose submitted value differs from the one shown, for update_properties."""
        data = self.cleaned_data
        values: PropertyChanges = {
            "status": data["status"],
            "priority": data["priority"],
            "assignee": self._assignees.get(data["assignee"]),
            "category": self._categories.get(data["category"]),
        }
        changed = {
            name for name in self.PROPERTIES if _as_text(data.get(name)) != (data.get(f"{name}_was") or "")
        }
        return cast(PropertyChanges, {name: value for name, value in values.items() if name in changed})


def update_expected_version(form: TicketUpdateForm) -> int | None:
    """The version to check the changes against: None when applied anyway, or when no version came."""
    return None if form.cleaned_data.get("anyway") else form.cleaned_data.get("version")


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def update_initial(ticket: Ticket) -> dict[str, object]:
    """The update form's values for ``ticket``, the ``_was`` fields and its version included."""
    values = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee_id,
        "category": ticket.category_id,
    }
    return {**values, **{f"{name}_was": _as_text(value) for name, value in values.items()},
            "version": ticket.version}


# ---------------------------------------------------------------- profile


def _mail_preference(name: str) -> forms.BooleanField:
    field = cast(Field, StaffProfile._meta.get_field(name))
    return forms.BooleanField(label=field.verbose_name, required=False)


class ProfileForm(forms.Form):
    """What customers see of the agent, and the staff mail they want: the rules are desk.services'
    (clean_display_name, clean_signature, update_staff_profile)."""

    display_name = forms.CharField(
        label=gettext_lazy("Display name"), required=False, max_length=MAX_DISPLAY_NAME_LENGTH, strip=False,
        help_text=gettext_lazy("The name customers see on your replies, in the portal and in mail. "
                               "Left empty, they see your full name, else “Support team”; never your "
                               "user name."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    signature = forms.CharField(
        label=gettext_lazy("Signature"), required=False, max_length=MAX_SIGNATURE_LENGTH, strip=False,
        help_text=format_lazy(gettext_lazy(
            "Added under your replies to customers (not under internal notes), when “Add my signature” "
            "is ticked. At most {lines} lines."), lines=MAX_SIGNATURE_LINES),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    # "Mail me about": the staff mail the agent wants (helpdesk.models.MAIL_PREFERENCES), labelled as
    # the profile's fields are. Unticked is a choice too: a checkbox left out of the post is "no".
    mail_new_unassigned = _mail_preference("mail_new_unassigned")
    mail_replies_unassigned = _mail_preference("mail_replies_unassigned")
    mail_mine = _mail_preference("mail_mine")
    mail_escalations_mine = _mail_preference("mail_escalations_mine")
    mail_escalations_unassigned = _mail_preference("mail_escalations_unassigned")

    def mail_fields(self) -> list[forms.BoundField]:
        """The "Mail me about" checkboxes, in the order the page lists them."""
        return [self[name] for name in MAIL_PREFERENCES]

    def mail(self) -> dict[str, bool]:
        """The valid form's mail preferences, as desk.services.update_staff_profile takes them."""
        return {name: self.cleaned_data[name] for name in MAIL_PREFERENCES}
