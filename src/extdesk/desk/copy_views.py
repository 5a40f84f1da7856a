"""Adding and removing the addresses copied (Cc) on a ticket's mail, on its desk page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from extdesk.helpdesk import services
from extdesk.helpdesk.exceptions import Conflict, InvalidInput

from .access import StaffRequest, staff_required
from .tool_forms import CopyForm
from .views import _render_ticket, _ticket_or_404


def _back(number: int) -> HttpResponse:
    return redirect(reverse("desk:ticket", args=[number]) + "#copies")


@staff_required
@require_POST
def copy_add(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            added = services.add_copy(ticket, form.cleaned_data["address"], actor=request.user,
                                      expected_version=form.expected_version())
        except InvalidInput as exc:
            form.add_error("address", exc.messages)
        except Conflict as conflict:
            return _render_ticket(request, _ticket_or_404(number), copy_form=form, conflict=conflict)
        else:
            address = form.cleaned_data["address"].strip()
            if added:
                messages.success(request, _("%(address)s now gets copies of the customer's mail.") % {
                    "address": address})
            else:
                messages.info(request, _("%(address)s already gets copies.") % {"address": address})
            return _back(ticket.pk)
    return _render_ticket(request, ticket, copy_form=form)


@staff_required
@require_POST
def copy_remove(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = CopyForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, copy_form=form)
    try:
        removed = services.remove_copy(ticket, form.cleaned_data["address"], actor=request.user,
                                       expected_version=form.expected_version())
    except Conflict as conflict:
        return _render_ticket(request, _ticket_or_404(number), copy_form=form, conflict=conflict,
                              copy_removing=True)
    address = form.cleaned_data["address"].strip()
    if removed:
        messages.success(request, _("%(address)s gets no more copies.") % {"address": address})
    else:
        messages.info(request, _("%(address)s was not getting copies.") % {"address": address})
    return _back(ticket.pk)
