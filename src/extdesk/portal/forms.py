"""Customer forms. Field checks are the services' own (one set of rules for every entry point)."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from extdesk.contacts.models import Account
from extdesk.helpdesk.models import Category, Priority
from extdesk.helpdesk.services import MAX_BODY_LENGTH, MAX_COPIES, MAX_SUBJECT_LENGTH
from extdesk.web.forms import AttachmentsField


class NewTicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT_LENGTH, strip=True)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int,
                                      initial=Priority.NORMAL)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False,
                                      empty_label=_("(none)"))
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none(), empty_label=None)
    attachments = AttachmentsField(label=_("Attachments"))
    copies = forms.CharField(
        label=_("Copies (Cc)"), required=False, max_length=MAX_COPIES * 256,
        help_text=_("Addresses that get a copy of every e-mail about this ticket, separated by commas."))

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
            account.empty_label = _("Choose an account")
        else:
            del self.fields["account"]

    def clean_copies(self) -> list[str]:
        # Whatever a mail program puts between addresses: commas, semicolons, spaces, lines.
        return [address for address in re.split(r"[,;\s]+", self.cleaned_data["copies"]) if address]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=MAX_BODY_LENGTH, strip=True)
    attachments = AttachmentsField(label=_("Attachments"))


class TicketFilterForm(forms.Form):
    """The list's query string; bad values fall back to the defaults."""

    state = forms.ChoiceField(choices=[("open", _("Open")), ("closed", _("Closed")), ("all", _("All"))],
                              required=False)
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    page = forms.IntegerField(required=False, min_value=1)


class CopyForm(forms.Form):
    """An address to copy on the ticket's mail, or to take off; the address rules are add_copy's."""

    address = forms.CharField(label=_("Address to copy"), max_length=254,
                              widget=forms.EmailInput(attrs={"autocomplete": "email"}),
                              error_messages={"required": _("Enter an e-mail address.")})
    # The ticket version the page was drawn from: a change someone made since is not undone unseen.
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
