"""Customer forms. Field checks are the services' own (one set of rules for every entry point)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from extdesk.contacts.models import Account
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Category, Priority
from extdesk.helpdesk.services import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH, format_size


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (the limits are checked by the services)."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


def _attachment_help() -> str:
    return (f"Up to {settings.EXTDESK_ATTACHMENT_MAX_COUNT} files, "
            f"{format_size(settings.EXTDESK_ATTACHMENT_MAX_BYTES)} each.")


class _AttachmentsMixin:
    def clean_attachments(self) -> list:
        try:
            return services.clean_attachments(self.cleaned_data.get("attachments") or [])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["attachments"]) from None


class NewTicketForm(_AttachmentsMixin, forms.Form):
    subject = forms.CharField(max_length=MAX_SUBJECT_LENGTH, strip=True)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 10}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False,
                                      empty_label="(none)")
    account = forms.ModelChoiceField(queryset=Account.objects.none(), empty_label=None)
    attachments = MultipleFileField()

    def __init__(self, *args, accounts: list[Account], categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _attachment_help()
        if categories:
            self.fields["category"].queryset = Category.objects.filter(pk__in=[c.pk for c in categories])
        else:
            del self.fields["category"]
        # Only a contact with several accounts has a choice to make.
        if len(accounts) > 1:
            self.fields["account"].queryset = Account.objects.filter(pk__in=[a.pk for a in accounts])
            self.fields["account"].empty_label = "Choose an account"
        else:
            del self.fields["account"]


class ReplyForm(_AttachmentsMixin, forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    attachments = MultipleFileField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = _attachment_help()


class TicketFilterForm(forms.Form):
    """The list's query string; bad values fall back to the defaults."""

    state = forms.ChoiceField(choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")],
                              required=False)
    q = forms.CharField(required=False, max_length=200, label="Search")
    page = forms.IntegerField(required=False, min_value=1)
