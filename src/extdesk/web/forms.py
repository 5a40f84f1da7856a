"""Form pieces of the portal and the desk alike: the attachments field, and a service's refusal on a form."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from extdesk.helpdesk import services
from extdesk.helpdesk.exceptions import InvalidInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files, none required."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


def _attachment_limits() -> str:
    count = settings.EXTDESK_ATTACHMENT_MAX_COUNT
    return ngettext("Up to %(count)d file, %(size)s each.",
                    "Up to %(count)d files, %(size)s each.", count) % {
        "count": count, "size": services.format_size(settings.EXTDESK_ATTACHMENT_MAX_BYTES)}


class AttachmentsField(MultipleFileField):
    """A message's attachments, checked against the helpdesk's limits, which its help text names."""

    def __init__(self, *args, **kwargs) -> None:
        # Lazy: the limits are read from the settings when the page is drawn.
        kwargs.setdefault("help_text", lazy(_attachment_limits, str)())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        try:
            return services.clean_attachments(super().clean(data, initial))
        except InvalidInput as exc:
            raise ValidationError(exc.message_dict["attachments"]) from None


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """The form's choice field ``name``, whose choices are known only once the form is made."""
    return cast(forms.ChoiceField, form.fields[name])


def apply_errors(form: forms.Form, error: InvalidInput) -> None:
    """Put a service's refusal next to the fields it names (on the form itself for the others)."""
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def warn_files_lost(request: HttpRequest, form: forms.Form) -> None:
    """Tell the user to choose their files again when a form with uploads comes back with errors."""
    if request.FILES and form.errors:
        messages.warning(request, _("Browsers cannot keep chosen files after an error: "
                                    "please choose your attachments again."))


def autofocus_first_error(form: forms.Form, *, fallback: str | None = None) -> None:
    """Put the cursor in the first field with an error when a refused form comes back.

    With the form's ``#anchor`` in its action URL the page opens at the
    form; ``autofocus`` then takes the cursor to the field to mend. A form
    refused as a whole (a non-field error) focuses ``fallback``. Nothing
    changes on a form without errors.
    """
    if not form.errors:
        return
    target = next((name for name, field in form.fields.items()
                   if name in form.errors and not field.widget.is_hidden), None) or fallback
    if target is None or target not in form.fields:
        return
    for name, field in form.fields.items():
        if name == target:
            field.widget.attrs["autofocus"] = True
        else:
            field.widget.attrs.pop("autofocus", None)
