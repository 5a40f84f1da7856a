"""The rating forms: a comment under a mailed link's choice, or a choice and a comment in the portal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Choice
from .services import MAX_COMMENT_LENGTH


class CommentForm(forms.Form):
    """What a mailed link's page asks besides the link's own choice."""

    # The limit is checked by the service (services.clean_comment), whose message the form shows; the
    # browser's maxlength only spares a round trip.
    comment = forms.CharField(
        label=_("Anything you want to tell us?"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_COMMENT_LENGTH}))


class PortalRatingForm(CommentForm):
    """The ticket page's form: Good or Bad (its two buttons), and the comment."""

    choice = forms.ChoiceField(choices=Choice.choices, error_messages={
        "required": _("Choose Good or Bad."), "invalid_choice": _("Choose Good or Bad.")})
