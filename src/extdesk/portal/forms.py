"""Customer forms. Field checks are the services' own (one set of rules for every entry point)."""

from __future__ import annotations

from typing import cast

from django import forms

from extdesk.contacts.models import Account
from extdesk.helpdesk.models import Category, Priority
from extdesk.helpdesk.services import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from extdesk.web.forms import AttachmentsField


class NewTicketForm(forms.Form):
    subject = forms.CharField(max_length=MAX_SUBJECT_LENGTH, strip=True)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 10}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False,
                                      empty_label="(none)")
    account = forms.ModelChoiceField(queryset=Account.objects.none(), empty_label=None)
    attachments = AttachmentsField()

    def __init__(self, *args, accounts: list[Account], categories: list[Category], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if categories:
            category = cast(forms.ModelChoiceField, self.fields["category"])
            category.queryset = Category.objects.filter(pk__in=[c.pk for c in categories])
        else:
            del self.fields["category"]
        # Only a contact with several accounts has a choice to make.
        if len(accounts) > 1:
            account = cast(forms.ModelChoiceField, self.fields["account"])
            account.queryset = Account.objects.filter(pk__in=[a.pk for a in accounts])
            account.empty_label = "Choose an account"
        else:
            del self.fields["account"]


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    attachments = AttachmentsField()


class TicketFilterForm(forms.Form):
    """The list's query string; bad values fall back to the defaults."""

    state = forms.ChoiceField(choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")],
                              required=False)
    q = forms.CharField(required=False, max_length=200, label="Search")
    page = forms.IntegerField(required=False, min_value=1)
