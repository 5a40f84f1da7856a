"""The customer portal: new ticket, ticket list, ticket view, attachment download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from extdesk.helpdesk import selectors, services, thumbnails
from extdesk.helpdesk.exceptions import Conflict, InvalidInput
from extdesk.helpdesk.models import Attachment, Ticket
from extdesk.helpdesk.staff import is_desk_user
from extdesk.security.limits import accepts_uploads
from extdesk.sso.sessions import contact_of
from extdesk.web.forms import apply_errors, autofocus_first_error, warn_files_lost

from .access import ContactRequest, contact_required
from .forms import CopyForm, NewTicketForm, ReplyForm, TicketFilterForm


def home(request: HttpRequest) -> HttpResponse:
    """A signed-in customer's tickets; anyone else a page saying where to come in."""
    if contact_of(request) is not None:
        return redirect("portal:tickets")
    # Not a bare 403: a customer who typed the address, or staff who came to
    # the root, must learn where their way in is.
    return render(request, "portal/welcome.html", {"platform_url": settings.EXTDESK_PLATFORM_URL})


# The list's tabs: groups of statuses ("closed" holds the solved ones too).
STATE_TABS = [("open", gettext_lazy("Open")), ("closed", gettext_lazy("Solved and closed")),
              ("all", gettext_lazy("All"))]


@never_cache
@contact_required
def ticket_list(request: ContactRequest) -> HttpResponse:
    filters = TicketFilterForm(request.GET)
    filters.is_valid()
    state = filters.cleaned_data.get("state") or "open"
    search = filters.cleaned_data.get("q") or ""
    page = selectors.contact_tickets(request.contact, state=state, search=search,
                                     page=filters.cleaned_data.get("page") or 1)
    return render(request, "portal/ticket_list.html", {
        "page": page, "state": state, "search": search,
        "states": STATE_TABS,
    })


@accepts_uploads
@never_cache
@contact_required
@require_http_methods(["GET", "POST"])
def new_ticket(request: ContactRequest) -> HttpResponse:
    contact = request.contact
    accounts = selectors.contact_accounts(contact)
    categories = selectors.offered_categories()
    form = NewTicketForm(request.POST or None, request.FILES or None,
                         accounts=accounts, categories=categories)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.create_ticket(
                contact=contact, subject=data["subject"], body=data["body"], priority=data["priority"],
                category=data.get("category"), account=data.get("account"),
                attachments=data["attachments"], copies=data["copies"],
            )
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(reference)s was filed. We will get back to you.")
                             % {"reference": ticket.reference})
            return redirect("portal:ticket", number=ticket.pk)
    warn_files_lost(request, form)
    autofocus_first_error(form, fallback="subject")
    return render(request, "portal/new_ticket.html", {
        "form": form, "accounts": accounts,
    }, status=400 if form.errors else 200)


def _visible_ticket(request: ContactRequest, number: int) -> Ticket:
    ticket = selectors.ticket_for_contact(request.contact, number)
    if ticket is None:
        # Same answer for "does not exist" and "not yours": nothing to learn by guessing.
        raise Http404(_("No such ticket."))
    return ticket


@accepts_uploads
@never_cache
@contact_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: ContactRequest, number: int) -> HttpResponse:
    ticket = _visible_ticket(request, number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply(ticket, author=request.contact, body=form.cleaned_data["body"],
                           attachments=form.cleaned_data["attachments"])
        except InvalidInput as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your reply was added."))
            return redirect(reverse("portal:ticket", args=[ticket.pk]) + "#latest")
    warn_files_lost(request, form)
    autofocus_first_error(form, fallback="body")
    return _ticket_page(request, ticket, form)


def _ticket_page(request: ContactRequest, ticket: Ticket, form: ReplyForm | None = None,
                 copy_form: CopyForm | None = None, status: int | None = None) -> HttpResponse:
    form = form or ReplyForm()
    copy_form = copy_form or CopyForm()
    return render(request, "portal/ticket_detail.html", {
        "ticket": ticket, "thread": selectors.public_thread(ticket), "form": form,
        "copies": selectors.ticket_copies(ticket), "copy_form": copy_form,
    }, status=status or (400 if form.errors or copy_form.errors else 200))


def _change_copies(request: ContactRequest, number: int, *, adding: bool) -> HttpResponse:
    """Add or remove a copy (Cc) of the ticket's mail; a refusal comes back on the page, by the field."""
    ticket = _visible_ticket(request, number)
    form = CopyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, copy_form=form)
    address = form.cleaned_data["address"].strip()
    change = services.add_copy if adding else services.remove_copy
    try:
        changed = change(ticket, address, actor=request.contact,
                         expected_version=form.cleaned_data.get("version"))
    except InvalidInput as exc:
        form.add_error("address", exc.messages)
        return _ticket_page(request, ticket, copy_form=form)
    except Conflict:
        form.add_error("address", _("Someone changed the copies since this page was loaded: "
                                    "check the list below and try again."))
        return _ticket_page(request, _visible_ticket(request, number), copy_form=form, status=409)
    if changed:
        done = (_("%(address)s now gets copies of the mail about this ticket.") if adding
                else _("%(address)s gets no more copies.")) % {"address": address}
        messages.success(request, done)
    return redirect(reverse("portal:ticket", args=[ticket.pk]) + "#copies")


@contact_required
@require_POST
def copy_add(request: ContactRequest, number: int) -> HttpResponse:
    return _change_copies(request, number, adding=True)


@contact_required
@require_POST
def copy_remove(request: ContactRequest, number: int) -> HttpResponse:
    return _change_copies(request, number, adding=False)


@contact_required
@require_POST
def close_ticket(request: ContactRequest, number: int) -> HttpResponse:
    ticket = _visible_ticket(request, number)
    if services.close_by_customer(ticket, contact=request.contact):
        messages.success(request, _("Ticket %(reference)s is closed.") % {"reference": ticket.reference})
    return redirect("portal:ticket", number=ticket.pk)


@contact_required
@require_POST
def reopen_ticket(request: ContactRequest, number: int) -> HttpResponse:
    ticket = _visible_ticket(request, number)
    if services.reopen_by_customer(ticket, contact=request.contact):
        messages.success(request, _("Ticket %(reference)s is open again.") % {"reference": ticket.reference})
    return redirect("portal:ticket", number=ticket.pk)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return render(request, "extdesk/error.html", {
        "title": _("Signed out"),
        "message": _("You are signed out. Open the helpdesk from your control panel to come back."),
    })


def _attachment_for(request: HttpRequest, pk: int) -> Attachment:
    """The attachment, to the contact who may see its ticket, or to desk staff; else 404.

    Staff means the desk's own rule: a customer's login given staff rights by
    mistake still gets only what its contact may see.
    """
    found: Attachment | None = None
    if is_desk_user(request.user):
        found = selectors.attachment_for_staff(pk)
    elif (contact := contact_of(request)) is not None:
        found = selectors.attachment_for_contact(contact, pk)
    if found is None:
        raise Http404(_("No such file."))
    return found


@never_cache
def attachment(request: HttpRequest, pk: int, name: str) -> FileResponse:
    """A file, to whoever may see it (``_attachment_for``); as a download, never inline."""
    found = _attachment_for(request, pk)
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the server.")) from None
    response = FileResponse(handle, as_attachment=True, filename=found.original_name,
                            content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    """An image attachment's thumbnail (``helpdesk.thumbnails``), to whoever may download the file."""
    found = _attachment_for(request, pk)
    drawn = thumbnails.thumbnail_of(found)
    if drawn is None:
        raise Http404(_("This file has no preview."))
    response = FileResponse(drawn.path.open("rb"), content_type=drawn.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # The thumbnail of a stored file never changes: the browser may keep it, shared caches not.
    response["Cache-Control"] = "private, max-age=86400"
    return response
