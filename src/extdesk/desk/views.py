"""The staff desk: sign-in, the ticket queue, the staff's ticket page and the incoming mail pages."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import Conflict, InvalidInput
from extdesk.helpdesk.models import MAIL_PREFERENCES, StaffProfile, Status, Ticket
from extdesk.helpdesk.selectors import ChangesSince
from extdesk.helpdesk.staff import is_desk_user, signature, signed
from extdesk.mail import selectors as mail_selectors
from extdesk.mail.models import InboundMail, Outcome
from extdesk.security.limits import accepts_uploads
from extdesk.web.addresses import request_address
from extdesk.web.forms import apply_errors, autofocus_first_error, warn_files_lost

from . import presence
from . import selectors as desk_selectors
from . import services as desk_services
from .access import StaffRequest, staff_required
from .forms import (
    LoginForm,
    ProfileForm,
    QueueFilterForm,
    StaffReplyForm,
    TicketUpdateForm,
    update_expected_version,
    update_initial,
)
from .selectors import DEFAULT_QUEUE_TAB, QUEUE_STATUS_ALL, QUEUE_STATUS_TABS
from .throttle import Lockout
from .tool_forms import CopyForm, bulk_bar

# ---------------------------------------------------------------- sign-in


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("desk:queue")


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if is_desk_user(request.user):
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = desk_services.authenticate_staff(
                request, username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                address=request_address(request.META),
            )
            if isinstance(outcome, Lockout):
                form.add_error(None, ngettext(
                    "Too many failed sign-in attempts for this user name or from your address. "
                    "Try again in %(minutes)d minute.",
                    "Too many failed sign-in attempts for this user name or from your address. "
                    "Try again in %(minutes)d minutes.",
                    outcome.minutes_left) % {"minutes": outcome.minutes_left})
                response = render(request, "desk/login.html", {"form": form, "next": _safe_next(request)},
                                  status=429)
                response["Retry-After"] = str(outcome.seconds_left)
                return response
            if outcome is not None:
                login(request, outcome)
                return redirect(_safe_next(request))
            form.add_error(None, _("The user name or password is wrong, or this is not a staff account."))
    return render(request, "desk/login.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("desk:login")


# ---------------------------------------------------------------- queue


def _query_string(params: QueryDict, **changes: str | None) -> str:
    """``params`` with ``changes`` applied (None removes); the page always starts over."""
    query = params.copy()
    for key in ("page", *changes):
        query.pop(key, None)
    for key, value in changes.items():
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


# Queue columns whose heading sorts the list: column -> its sort key, most useful order first.
_SORTABLE = {"number": "number", "priority": "priority", "activity": "activity", "due": "due"}


def _sortable_columns(params: QueryDict, current: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (again: reversed) and its aria-sort value."""
    columns = {}
    for column, key in _SORTABLE.items():
        if current == key:
            target, state = f"-{key}", "descending"
        elif current == f"-{key}":
            target, state = key, "ascending"
        else:
            target, state = key, ""
        columns[column] = {"url": _query_string(params, sort=target), "aria_sort": state}
    return columns


@never_cache
@staff_required
@require_http_methods(["GET"])
def queue(request: StaffRequest) -> HttpResponse:
    staff = selectors.staff_members()
    categories = selectors.all_categories()
    data = request.GET.copy()
    form = QueueFilterForm(data, staff=staff, categories=categories)
    form.is_valid()
    query = form.query()  # the valid fields only; a wrong one is shown and ignored
    if not data.get("sort") and selectors.ranks_search(query.search):
        # A search of words lists the best matches first, unless another order is chosen.
        query = replace(query, sort=selectors.RELEVANCE_SORT)
    found = desk_selectors.queue(query, viewer_id=request.user.pk)
    if found.unknown_account:
        form.add_error("account", _("No account is named '%(name)s'.") % {"name": query.account_name})
    if found.unknown_tag:
        form.add_error("tag", _("No tag is named '%(name)s'.") % {"name": query.tag})
    status_key = query.status_tab
    if not data.get("sort"):
        # The sort menu shows the order the tab lists in (each tab has its own when none is chosen).
        data["sort"] = query.sort
    page = found.page
    count_limit = selectors.SEARCH_COUNT_LIMIT if selectors.ranks_search(query.search) else None
    tabs = [
        {"key": key, "label": label, "count": found.tab_counts[key], "current": key == status_key,
         "url": _query_string(request.GET, status=None if key == DEFAULT_QUEUE_TAB else key)}
        for key, label in QUEUE_STATUS_TABS
    ]
    return render(request, "desk/queue.html", {
        "form": form,
        "columns": _sortable_columns(request.GET, query.sort),
        "page": page,
        "tabs": tabs,
        "status_key": status_key,
        "filtered": query.filtered,
        "previous_url": _query_string(request.GET, page=str(page.previous_page_number()))
        if page.has_previous() else "",
        "next_url": _query_string(request.GET, page=str(page.next_page_number()))
        if page.has_next() else "",
        "clear_url": _query_string(QueryDict(),
                                   status=None if status_key == DEFAULT_QUEUE_TAB else status_key),
        "bulk": bulk_bar(request.GET, staff=staff, categories=categories),
        # A search of words counts each tab up to this many matches (selectors.queue_status_counts).
        "count_limit": count_limit,
        # Past the limit every count is a lower bound.
        "more": count_limit is not None and found.tab_counts[QUEUE_STATUS_ALL] > count_limit,
    }, status=400 if form.errors else 200)


# ---------------------------------------------------------------- ticket


def _ticket_or_404(number: int) -> Ticket:
    ticket = selectors.ticket_for_staff(number)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def posted_reply(request: StaffRequest) -> dict[str, str | None]:
    """The reply form's fields as posted, files aside (a browser cannot send them back)."""
    return {name: request.POST.get(name) for name in StaffReplyForm.base_fields
            if name in request.POST and name != "attachments"}


def added_to_draft(draft: str, text: str) -> str:
    """``text`` at the end of the draft: without a script the page cannot know where the cursor was."""
    return f"{draft.rstrip()}\n\n{text}" if draft.strip() else text


def ticket_with_draft(request: StaffRequest, ticket: Ticket, posted: dict[str, str | None],
                      draft: str) -> HttpResponse:
    """The ticket page again with the reply form as posted and ``draft`` as its text, for the
    pickers that insert into a reply without a script (canned replies, article links)."""
    if request.FILES:
        messages.warning(request, _("Browsers cannot keep chosen files when the page is drawn again: "
                                    "please choose your attachments again."))
    form = StaffReplyForm(initial={"kind": StaffReplyForm.REPLY, **posted, "body": draft})
    return _render_ticket(request, ticket, reply_form=form)


def _render_ticket(request: StaffRequest, ticket: Ticket, *, reply_form: StaffReplyForm | None = None,
                   update_form: TicketUpdateForm | None = None, copy_form: CopyForm | None = None,
                   conflict: Conflict | None = None, copy_removing: bool = False) -> HttpResponse:
    """The ticket page; with ``conflict``, what changed since the refused form was drawn (HTTP 409).

    ``copy_form`` is a refused change of the copies (``copy_removing``: a removal).
    """
    if update_form is None:
        update_form = TicketUpdateForm(initial=update_initial(ticket), staff=selectors.staff_members(),
                                       categories=selectors.all_categories(),
                                       current_assignee=ticket.assignee)
    mode = StaffReplyForm.NOTE if request.GET.get("mode") == StaffReplyForm.NOTE else StaffReplyForm.REPLY
    reply_form = reply_form or StaffReplyForm(initial={"mode": mode, "version": ticket.version,
                                                       "signature": True})
    warn_files_lost(request, reply_form)
    autofocus_first_error(reply_form, fallback="body")
    autofocus_first_error(update_form, fallback="status")
    changes: ChangesSince | None = None
    if conflict is not None:
        changes = selectors.changes_since(ticket, conflict.since_version)
        if reply_form.is_bound:
            reply_form.fields["body"].widget.attrs["autofocus"] = True
    presence.touch(ticket.pk, request.user)
    copy_form = copy_form or CopyForm()
    copies = selectors.ticket_copies(ticket)
    refused = reply_form.errors or update_form.errors or copy_form.errors
    status = 409 if conflict is not None else 400 if refused else 200
    return render(request, "desk/ticket.html", {
        "ticket": ticket,
        "thread": desk_selectors.ticket_thread(ticket),
        "history": selectors.ticket_history(ticket),
        "accounts": selectors.contact_accounts(ticket.contact),
        "other_tickets": selectors.contact_other_tickets(ticket),
        "reply_form": reply_form,
        "update_form": update_form,
        "signature": signature(request.user),
        "others": presence.others_on(ticket.pk, request.user),
        "poll_seconds": presence.POLL_SECONDS,
        # Which form was refused for a collision, and what the agent had not seen.
        "reply_conflict": changes if conflict is not None and reply_form.is_bound else None,
        "update_conflict": changes if conflict is not None and update_form.is_bound else None,
        "copies": copies,
        "copy_addresses": [copy.address for copy in copies],
        "copy_form": copy_form,
        "copy_conflict": changes if conflict is not None and copy_form.is_bound else None,
        "copy_removing": copy_removing,
    }, status=status)


@accepts_uploads
@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    if request.method == "GET":
        return _render_ticket(request, ticket)
    form = StaffReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        internal = form.internal
        # Notes are among staff: only a reply carries the signature.
        body = signed(data["body"], request.user) if data["signature"] and not internal else data["body"]
        try:
            services.reply(ticket, author=request.user, body=body, attachments=data["attachments"],
                           internal=internal, then_status=data["then_status"],
                           expected_version=form.expected_version())
        except InvalidInput as exc:
            apply_errors(form, exc)
        except Conflict as conflict:
            # Nothing was written: the draft comes back with what the agent has not seen.
            return _render_ticket(request, _ticket_or_404(number), reply_form=form, conflict=conflict)
        else:
            if data["then_status"]:
                status = {"status": Status(ticket.status).label}
                done = (_("Internal note added. Status: %(status)s.") if internal
                        else _("Reply sent to the customer. Status: %(status)s.")) % status
            else:
                done = _("Internal note added.") if internal else _("Reply sent to the customer.")
            messages.success(request, done)
            return redirect(reverse("desk:ticket", args=[ticket.pk]) + "#latest")
    return _render_ticket(request, ticket, reply_form=form)


# The ticket's properties as the message after a change names them (helpdesk.services._PROPERTIES).
_PROPERTY_NAMES = {"status": pgettext_lazy("changed ticket property", "status"),
                   "priority": pgettext_lazy("changed ticket property", "priority"),
                   "assignee": pgettext_lazy("changed ticket property", "assignee"),
                   "category": pgettext_lazy("changed ticket property", "category")}


@staff_required
@require_POST
def ticket_update(request: StaffRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    form = TicketUpdateForm(request.POST, staff=selectors.staff_members(),
                            categories=selectors.all_categories(), current_assignee=ticket.assignee)
    if form.is_valid():
        try:
            changed = services.update_properties(ticket, actor=request.user,
                                                 expected_version=update_expected_version(form),
                                                 **form.changes())
        except InvalidInput as exc:
            apply_errors(form, exc)
        except Conflict as conflict:
            return _render_ticket(request, _ticket_or_404(number), update_form=form, conflict=conflict)
        else:
            if changed:
                messages.success(request, _("Ticket %(reference)s updated: %(changes)s.") % {
                    "reference": ticket.reference, "changes": ", ".join(str(_PROPERTY_NAMES[name])
                                                                        for name in changed)})
            else:
                messages.info(request, _("Nothing to change."))
            return redirect("desk:ticket", number=ticket.pk)
    return _render_ticket(request, ticket, update_form=form)


@staff_required
@require_POST
def ticket_presence(request: StaffRequest, number: int) -> JsonResponse:
    """An open ticket page's poll: it is still open (viewing or replying), or closed (``leave``).

    Answers who else has the ticket open and its current version, which
    tells the page that it is out of date before its agent sends anything.
    """
    version = Ticket.objects.filter(pk=number).values_list("version", flat=True).first()
    if version is None:
        raise Http404("No such ticket.")
    if request.POST.get("leave"):
        presence.leave(number, request.user)
        return JsonResponse({"others": [], "version": version})
    activity = request.POST.get("activity")
    presence.touch(number, request.user,
                   presence.REPLYING if activity == presence.REPLYING else presence.VIEWING)
    presence.prune_now_and_then()
    others = presence.others_on(number, request.user)
    return JsonResponse({
        "others": [{"name": p.name, "activity": p.activity, "text": p.text} for p in others],
        "version": version,
    })


# ---------------------------------------------------------------- profile


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def profile(request: StaffRequest) -> HttpResponse:
    """The agent's own display name (what customers see), signature and the staff mail they want."""
    # Without a profile yet: an unsaved one, whose fields are the defaults (every mail on).
    current = getattr(request.user, "staff_profile", None) or StaffProfile()
    initial = {name: getattr(current, name) for name in ("display_name", "signature", *MAIL_PREFERENCES)}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            desk_services.update_staff_profile(request.user, display_name=form.cleaned_data["display_name"],
                                               signature=form.cleaned_data["signature"], mail=form.mail())
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("desk:profile")
    autofocus_first_error(form)
    return render(request, "desk/profile.html", {"form": form}, status=400 if form.errors else 200)


# ---------------------------------------------------------------- incoming mail


def _inbound_or_404(pk: int) -> InboundMail:
    try:
        return mail_selectors.inbound_mail(pk)
    except InboundMail.DoesNotExist:
        raise Http404("No such mail.") from None


@never_cache
@staff_required
@require_GET
def held_mail(request: StaffRequest) -> HttpResponse:
    page = mail_selectors.held_mail(request.GET.get("page", 1))
    return render(request, "desk/held_mail.html", {"page": page})


@never_cache
@staff_required
@require_GET
def inbound_mail(request: StaffRequest, pk: int) -> HttpResponse:
    inbound = _inbound_or_404(pk)
    return render(request, "desk/inbound_mail.html", {
        "inbound": inbound,
        "is_held": inbound.outcome == Outcome.HELD,
        # None: the original is not kept (refused or deleted mail), so neither are its headers.
        "headers": mail_selectors.original_headers(inbound),
    })


@staff_required
@require_GET
def inbound_eml(request: StaffRequest, pk: int) -> HttpResponse:
    """The original mail as it came in, as a download: a mail program opens it, a browser never renders it."""
    inbound = _inbound_or_404(pk)
    # Read whole: a stored mail is at most EXTDESK_MAIL_MAX_BYTES.
    original = mail_selectors.original_bytes(inbound)
    if original is None:
        raise Http404("The original of this mail is not kept.")
    name = (f"ticket-{inbound.ticket_id}-mail-{inbound.pk}.eml" if inbound.ticket_id is not None
            else f"mail-{inbound.pk}.eml")
    response = HttpResponse(original, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _released(inbound: InboundMail) -> str:
    found = {"sender": inbound.sender_address or _("no sender"), "outcome": inbound.get_outcome_display(),
             "ticket": inbound.ticket_id}
    if inbound.ticket_id is None:
        return _("Released the mail from %(sender)s: %(outcome)s.") % found
    return _("Released the mail from %(sender)s: %(outcome)s #%(ticket)s.") % found


@staff_required
@require_POST
def release_mail(request: StaffRequest, pk: int) -> HttpResponse:
    # Imported here: the desk loads without the mail channel's storing code
    # (its parser among it), which only these two actions use.
    from extdesk.mail.services import release_held

    _inbound_or_404(pk)
    try:
        released = release_held(pk, by=request.user)
    except InvalidInput as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _released(released))
    return redirect("desk:held_mail")


@staff_required
@require_POST
def delete_mail(request: StaffRequest, pk: int) -> HttpResponse:
    from extdesk.mail.services import delete_held

    inbound = _inbound_or_404(pk)
    try:
        delete_held(pk, by=request.user)
    except InvalidInput as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deleted the mail from %(sender)s.")
                         % {"sender": inbound.sender_address or _("no sender")})
    return redirect("desk:held_mail")
