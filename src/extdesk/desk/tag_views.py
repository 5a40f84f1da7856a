"""Adding and removing a ticket's tags on its desk page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from extdesk.helpdesk import services
from extdesk.helpdesk.exceptions import InvalidInput

from .access import StaffRequest, staff_required
from .tool_forms import TagForm
from .views import _ticket_or_404


def _back(number: int) -> HttpResponse:
    return redirect(reverse("desk:ticket", args=[number]) + "#tags")


@staff_required
@require_POST
def tag_add(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["tag"]))
        return _back(ticket.pk)
    try:
        added = services.add_tag(ticket, form.cleaned_data["tag"], actor=request.user)
    except InvalidInput as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = services.clean_tag_name(form.cleaned_data["tag"])
        if added:
            messages.success(request, _("Tagged “%(tag)s”.") % {"tag": name})
        else:
            messages.info(request, _("The ticket already has the tag “%(tag)s”.") % {"tag": name})
    return _back(ticket.pk)


@staff_required
@require_POST
def tag_remove(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = TagForm(request.POST)
    if form.is_valid() and services.remove_tag(ticket, form.cleaned_data["tag"], actor=request.user):
        messages.success(request, _("Removed the tag “%(tag)s”.") % {"tag": form.cleaned_data["tag"]})
    else:
        messages.info(request, _("The ticket did not have that tag."))
    return _back(ticket.pk)
