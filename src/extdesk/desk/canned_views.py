"""Canned replies on the desk: their pages (list, search, create, change, delete) and inserting one.

Inserting works without JavaScript: the picker's buttons post the reply
form as it stands to ``canned_insert``, which draws the ticket page again
with the reply's text added to the draft. With JavaScript (desk/tools.js)
the text comes from ``canned_text`` and goes in at the cursor.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import CannedReply
from extdesk.security.limits import accepts_uploads
from extdesk.web.forms import apply_errors

from . import canned, placeholders
from .access import StaffRequest, staff_required
from .tool_forms import CannedReplyForm, CannedSearchForm

# The ticket page's drawing and its ticket lookup: the page this view draws is that page.
from .views import _ticket_or_404, added_to_draft, posted_reply, ticket_with_draft

PAGE_SIZE = 50


def _usable_or_404(request: StaffRequest, pk: int) -> CannedReply:
    reply = canned.canned_reply_for(request.user, pk)
    if reply is None:
        # Someone else's personal reply is answered like one that does not exist.
        raise Http404("No such canned reply.")
    return reply


def _refused(request: StaffRequest) -> HttpResponse:
    return render(request, "extdesk/error.html", {
        "title": _("Not yours to change"),
        "message": _("Shared canned replies are changed and deleted by superusers; "
                     "you can still use them, or make a personal copy."),
    }, status=403)


# ---------------------------------------------------------------- pages


@never_cache
@staff_required
@require_GET
def canned_list(request: StaffRequest) -> HttpResponse:
    search = CannedSearchForm(request.GET)
    search.is_valid()
    query = search.cleaned_data.get("q") or ""
    page = Paginator(canned.canned_replies_for(request.user, query).select_related("owner"),
                     PAGE_SIZE).get_page(search.cleaned_data.get("page") or 1)
    return render(request, "desk/canned_list.html", {
        "search": search,
        "query": query,
        "page": page,
        "rows": [(reply, canned.may_change(reply, request.user)) for reply in page],
        "may_share": canned.may_share(request.user),
    })


def _form_page(request: StaffRequest, reply: CannedReply | None) -> HttpResponse:
    """The form that writes a new canned reply (``reply`` None) or changes ``reply``; a valid POST saves."""
    initial = {} if reply is None else {"title": reply.title, "body": reply.body, "shared": reply.is_shared}
    form = CannedReplyForm(request.POST or None, initial=initial, may_share=canned.may_share(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if reply is None:
                saved = canned.create_canned_reply(actor=request.user, title=data["title"], body=data["body"],
                                                   shared=data.get("shared", False))
            else:
                saved = canned.update_canned_reply(reply, actor=request.user, title=data["title"],
                                                   body=data["body"], shared=data.get("shared"))
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Canned reply “%(name)s” saved.") % {"name": saved.title})
            return redirect("desk:canned_list")
    return render(request, "desk/canned_form.html", {
        "form": form, "reply": reply, "placeholders": placeholders.PLACEHOLDERS,
    }, status=400 if form.errors else 200)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def canned_create(request: StaffRequest) -> HttpResponse:
    return _form_page(request, None)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def canned_edit(request: StaffRequest, pk: int) -> HttpResponse:
    reply = _usable_or_404(request, pk)
    if not canned.may_change(reply, request.user):
        return _refused(request)
    return _form_page(request, reply)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def canned_delete(request: StaffRequest, pk: int) -> HttpResponse:
    reply = _usable_or_404(request, pk)
    if not canned.may_change(reply, request.user):
        return _refused(request)
    if request.method == "POST":
        canned.delete_canned_reply(reply, actor=request.user)
        messages.success(request, _("Canned reply “%(name)s” deleted.") % {"name": reply.title})
        return redirect("desk:canned_list")
    return render(request, "desk/canned_delete.html", {"reply": reply})


# ---------------------------------------------------------------- inserting


@accepts_uploads
@never_cache
@staff_required
@require_POST
def canned_insert(request: StaffRequest, number: int) -> HttpResponse:
    """The ticket page again, the draft as posted; "insert" adds the chosen reply's text, "find"
    narrows the picker to the names containing ``canned_q`` (the picker reads it from the post)."""
    ticket = _ticket_or_404(number)
    draft = request.POST.get("body", "")
    if request.POST.get("canned_action") == "insert":
        reply = canned.canned_reply_for(request.user, request.POST.get("canned", ""))
        if reply is None:
            messages.error(request, _("Choose one of the canned replies to insert."))
        else:
            draft = added_to_draft(draft, canned.filled(reply, ticket, request.user))
    return ticket_with_draft(request, ticket, posted_reply(request), draft)


@never_cache
@staff_required
@require_GET
def canned_text(request: StaffRequest, number: int, pk: int) -> JsonResponse:
    """The reply's text filled in for this ticket, for the picker's script."""
    ticket = _ticket_or_404(number)
    reply = _usable_or_404(request, pk)
    return JsonResponse({"title": reply.title, "text": canned.filled(reply, ticket, request.user)})
