"""Changing many tickets at once from the queue, and "Assign to me" on a queue row or a ticket."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import InvalidInput

from . import selectors as desk_selectors
from .access import StaffRequest, staff_required
from .forms import QueueFilterForm
from .tool_forms import FILTER_PREFIX, BulkActionForm, queue_filter_params
from .views import _query_string, _safe_next, _ticket_or_404


def _queue_url(filters: dict[str, str]) -> str:
    if not filters:
        return reverse("desk:queue")
    params = QueryDict(mutable=True)
    params.update(filters)
    return reverse("desk:queue") + _query_string(params)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@never_cache
@staff_required
@require_POST
def bulk(request: StaffRequest) -> HttpResponse:
    """Apply one change to the ticked tickets; to every ticket matching the filters after a confirmation.

    "Every ticket matching" is found again from the posted filters when the
    change is applied, at most BULK_MAX_TICKETS of them (the first in the queue's order).
    """
    staff, categories = selectors.staff_members(), selectors.all_categories()
    form = BulkActionForm(request.POST, staff=staff, categories=categories, viewer=request.user)
    filter_values = queue_filter_params(request.POST, prefix=FILTER_PREFIX)
    back = _queue_url(filter_values)
    if not form.is_valid():
        for problem in form.problems():
            messages.error(request, problem)
        return redirect(back)
    limit = services.BULK_MAX_TICKETS
    if form.matching:
        filters = QueueFilterForm(request.POST, prefix=FILTER_PREFIX, staff=staff, categories=categories)
        filters.is_valid()
        ids, total = desk_selectors.queue_matches(filters.query(), viewer_id=request.user.pk, limit=limit)
        if not form.cleaned_data["confirmed"]:
            return render(request, "desk/bulk_confirm.html", {
                "change": form.describe(), "total": total, "count": len(ids), "limit": limit,
                "back": back, "filters": filter_values,
                "posted": [(name, value) for name, values in request.POST.lists()
                           if name not in ("csrfmiddlewaretoken", "confirmed") for value in values],
            })
    else:
        ids = form.cleaned_data["ticket"]
    try:
        changed = services.bulk_update(ids, actor=request.user, **form.changes())
    except InvalidInput as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect(back)
    change = _sentence(form.describe())
    count = {"change": change, "count": number_format(len(changed), force_grouping=True)}
    if unchanged := len(ids) - len(changed):
        done = ngettext("%(change)s: %(count)s ticket changed", "%(change)s: %(count)s tickets changed",
                        len(changed)) % count
        messages.success(request, ngettext(
            "%(changed)s, %(count)s ticket already so.", "%(changed)s, %(count)s tickets already so.",
            unchanged) % {"changed": done, "count": number_format(unchanged, force_grouping=True)})
    else:
        messages.success(request, ngettext("%(change)s: %(count)s ticket changed.",
                                           "%(change)s: %(count)s tickets changed.", len(changed)) % count)
    return redirect(back)


@staff_required
@require_POST
def assign_to_me(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    try:
        changed = services.update_properties(ticket, actor=request.user, assignee=request.user)
    except InvalidInput as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if changed:
            messages.success(request, _("Ticket %(reference)s is assigned to you.")
                             % {"reference": ticket.reference})
        else:
            messages.info(request, _("Ticket %(reference)s was already assigned to you.")
                          % {"reference": ticket.reference})
    if request.POST.get("next"):
        return redirect(_safe_next(request))
    return redirect("desk:ticket", number=ticket.pk)
