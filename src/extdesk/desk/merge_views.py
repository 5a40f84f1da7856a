"""Merging a ticket into another: the confirmation page, then the merge."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import Ticket

from .access import StaffRequest, staff_required
from .tool_forms import MergeForm
from .views import _ticket_or_404


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def merge(request: StaffRequest, number: int) -> HttpResponse:
    """GET ``?into=N``: what merging this ticket into #N does, or why it may not; POST: merge."""
    source = _ticket_or_404(number)
    form = MergeForm(request.POST if request.method == "POST" else request.GET)
    target: Ticket | None = None
    problem = ""
    if not form.is_valid():
        problem = " ".join(str(error) for error in form.errors["into"])
    elif (target := selectors.ticket_for_staff(form.cleaned_data["into"])) is None:
        problem = _("There is no ticket #%(number)s.") % {"number": form.cleaned_data["into"]}
    else:
        problem = services.merge_refusal(source, target) or ""
    if request.method == "POST" and target is not None and not problem:
        try:
            moved = services.merge_tickets(source, target, actor=request.user)
        except InvalidInput as exc:
            problem = " ".join(exc.messages)
        else:
            messages.success(request, ngettext(
                "Ticket %(source)s merged into %(target)s (%(moved)s message moved); the customer was told "
                "by mail.",
                "Ticket %(source)s merged into %(target)s (%(moved)s messages moved); the customer was told "
                "by mail.", moved) % {"source": source.reference, "target": target.reference, "moved": moved})
            return redirect("desk:ticket", number=target.pk)
    return render(request, "desk/merge_confirm.html", {
        "source": source, "target": target, "problem": problem, "form": form,
        "counts": selectors.thread_counts(source),
    }, status=400 if problem else 200)
