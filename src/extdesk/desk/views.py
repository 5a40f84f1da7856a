"""The staff desk: sign-in, the ticket queue and the staff's ticket page."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import OPEN_STATUSES, Status, Ticket
from extdesk.security.limits import accepts_uploads
from extdesk.sso.addresses import request_address

from . import selectors as desk_selectors
from . import throttle
from .access import is_desk_user, staff_required
from .forms import (
    ASSIGNEE_ANY,
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    QUEUE_STATUS_ACTIVE,
    QUEUE_STATUS_ALL,
    QUEUE_STATUS_TABS,
    LoginForm,
    QueueFilterForm,
    StaffReplyForm,
    TicketUpdateForm,
    update_initial,
)

log = logging.getLogger("extdesk.desk")


def _apply_errors(form, error: ValidationError) -> None:
    """Put a service's refusal next to the field it names."""
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


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
            username = form.cleaned_data["username"]
            address = request_address(request.META)
            # Counted before the password is checked, so that parallel
            # guesses cannot all slip under the limit.
            attempt = throttle.begin(username, address)
            if isinstance(attempt, throttle.Lockout):
                log.warning("refused staff sign-in for %r from %s: locked out for %d s",
                            username, address, attempt.seconds_left)
                form.add_error(None, "Too many failed sign-in attempts for this user name or from "
                                     f"your address. Try again in {attempt.minutes_left} minute"
                                     f"{'s' if attempt.minutes_left != 1 else ''}.")
                response = render(request, "desk/login.html", {"form": form, "next": _safe_next(request)},
                                  status=429)
                response["Retry-After"] = str(attempt.seconds_left)
                return response
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is not None and is_desk_user(user):
                throttle.succeeded(attempt)
                login(request, user)
                return redirect(_safe_next(request))
            # The attempt's row stays: it is this failure.
            log.warning("failed staff sign-in for %r from %s", username, address)
            form.add_error(None, "The user name or password is wrong, or this is not a staff account.")
    return render(request, "desk/login.html", {"form": form, "next": _safe_next(request)}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You are signed out.")
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


def _assignee_id(choice: str, my_id: int) -> int | None:
    if choice == ASSIGNEE_ME:
        return my_id
    if choice in (ASSIGNEE_ANY, ASSIGNEE_NONE):
        return None
    return int(choice)  # a staff member's id, checked by the form


# Queue columns whose heading sorts the list: column -> its sort key, most useful order first.
_SORTABLE = {"number": "number", "priority": "priority", "activity": "activity"}


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
def queue(request: HttpRequest) -> HttpResponse:
    staff = selectors.staff_members()
    categories = selectors.all_categories()
    form = QueueFilterForm(request.GET, staff=staff, categories=categories)
    form.is_valid()
    data = form.cleaned_data  # the valid fields only; a wrong one is shown and ignored

    status_key = data.get("status") or QUEUE_STATUS_ACTIVE
    statuses: tuple[str, ...] = ()
    if status_key == QUEUE_STATUS_ACTIVE:
        statuses = tuple(OPEN_STATUSES)
    elif status_key != QUEUE_STATUS_ALL:
        statuses = (status_key,)

    assignee = data.get("assignee") or ASSIGNEE_ANY
    filtered = any(data.get(k) for k in ("q", "priority", "assignee", "category", "account"))
    account_id = None
    if account_name := (data.get("account") or "").strip():
        account_id = desk_selectors.account_id_by_name(account_name)
        if account_id is None:
            form.add_error("account", f"No account is named {account_name!r}.")
            # An id no account has: the list shows that nothing matches.
            account_id = 0

    filters = selectors.QueueFilters(
        statuses=statuses,
        priorities=(data["priority"],) if data.get("priority") else (),
        assignee_id=_assignee_id(assignee, request.user.pk),
        unassigned=assignee == ASSIGNEE_NONE,
        account_id=account_id,
        category_id=data.get("category"),
        search=data.get("q") or "",
    )
    sort = data.get("sort") or selectors.DEFAULT_QUEUE_SORT
    counts = selectors.queue_status_counts(filters)
    page = selectors.staff_queue(filters, sort=sort, page=data.get("page") or 1, status_counts=counts)

    tab_counts = {
        **counts,
        QUEUE_STATUS_ACTIVE: sum(counts[s] for s in OPEN_STATUSES),
        QUEUE_STATUS_ALL: sum(counts.values()),
    }
    tabs = [
        {"key": key, "label": label, "count": tab_counts[key], "current": key == status_key,
         "url": _query_string(request.GET, status=None if key == QUEUE_STATUS_ACTIVE else key)}
        for key, label in QUEUE_STATUS_TABS
    ]
    return render(request, "desk/queue.html", {
        "form": form,
        "columns": _sortable_columns(request.GET, sort),
        "page": page,
        "tabs": tabs,
        "status_key": status_key,
        "filtered": filtered,
        "previous_url": _query_string(request.GET, page=str(page.previous_page_number()))
        if page.has_previous() else "",
        "next_url": _query_string(request.GET, page=str(page.next_page_number()))
        if page.has_next() else "",
        "clear_url": _query_string(QueryDict(),
                                   status=None if status_key == QUEUE_STATUS_ACTIVE else status_key),
    }, status=400 if form.errors else 200)


# ---------------------------------------------------------------- ticket


def _ticket_or_404(number: int) -> Ticket:
    ticket = selectors.ticket_for_staff(number)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _render_ticket(request: HttpRequest, ticket: Ticket, *, reply_form: StaffReplyForm | None = None,
                   update_form: TicketUpdateForm | None = None) -> HttpResponse:
    staff = selectors.staff_members()
    categories = selectors.all_categories()
    if update_form is None:
        update_form = TicketUpdateForm(initial=update_initial(ticket), staff=staff, categories=categories,
                                       current_assignee=ticket.assignee)
    reply_form = reply_form or StaffReplyForm(initial={"kind": StaffReplyForm.REPLY})
    errors = bool(reply_form.errors or update_form.errors)
    if request.FILES and reply_form.errors:
        messages.warning(request, "Browsers cannot keep chosen files after an error: "
                                  "please choose your attachments again.")
    return render(request, "desk/ticket.html", {
        "ticket": ticket,
        "thread": selectors.staff_thread(ticket),
        "history": selectors.ticket_history(ticket),
        "accounts": desk_selectors.contact_accounts(ticket.contact),
        "other_tickets": selectors.contact_other_tickets(ticket),
        "reply_form": reply_form,
        "update_form": update_form,
    }, status=400 if errors else 200)


@accepts_uploads
@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    if request.method == "GET":
        return _render_ticket(request, ticket)
    form = StaffReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        is_note = data["kind"] == StaffReplyForm.NOTE
        try:
            with transaction.atomic():
                if is_note:
                    services.add_internal_note(ticket, author=request.user, body=data["body"],
                                               attachments=data["attachments"])
                else:
                    services.add_reply(ticket, author=request.user, body=data["body"],
                                       attachments=data["attachments"])
                if data["then_status"]:
                    services.change_status(ticket, data["then_status"], actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            done = "Internal note added." if is_note else "Reply sent to the customer."
            if data["then_status"]:
                done += f" Status: {Status(ticket.status).label}."
            messages.success(request, done)
            return redirect(reverse("desk:ticket", args=[ticket.pk]) + "#latest")
    return _render_ticket(request, ticket, reply_form=form)


@staff_required
@require_POST
def ticket_update(request: HttpRequest, number: int) -> HttpResponse:
    ticket = _ticket_or_404(number)
    staff = selectors.staff_members()
    categories = selectors.all_categories()
    form = TicketUpdateForm(request.POST, staff=staff, categories=categories,
                            current_assignee=ticket.assignee)
    if form.is_valid():
        data = form.cleaned_data
        changed: list[str] = []
        try:
            with transaction.atomic():
                for name in form.changed_properties():
                    if name == "status" and services.change_status(ticket, data["status"],
                                                                   actor=request.user):
                        changed.append("status")
                    elif name == "priority" and services.change_priority(ticket, data["priority"],
                                                                         actor=request.user):
                        changed.append("priority")
                    elif name == "assignee" and data["assignee"] != ticket.assignee_id:
                        services.assign(ticket, form.staff.get(data["assignee"]), actor=request.user)
                        changed.append("assignee")
                    elif name == "category" and data["category"] != ticket.category_id:
                        services.set_category(ticket, form.categories.get(data["category"]),
                                              actor=request.user)
                        changed.append("category")
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if changed:
                messages.success(request, f"Ticket {ticket.reference} updated: {', '.join(changed)}.")
            else:
                messages.info(request, "Nothing to change.")
            return redirect("desk:ticket", number=ticket.pk)
    return _render_ticket(request, ticket, update_form=form)
