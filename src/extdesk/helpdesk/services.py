"""Every write to tickets happens here, for the customer portal and the staff desk alike.

Each change is recorded as a TicketEvent in the same transaction, and its
notification is queued in that transaction too (extdesk.outbox) and sent
once it commits: a mail server that is down delays a message, and loses
neither the message nor the reply that caused it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from extdesk.contacts.models import Account, Contact
from extdesk.desk.access import is_desk_user

from . import notifications
from .models import (
    CLOSED_STATUSES,
    Attachment,
    Category,
    EventKind,
    Message,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from .storage import files_removed_on_failure, write_file

Actor = Contact | AbstractBaseUser

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 50_000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\Z")


# ---------------------------------------------------------------- validation


def clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValidationError({"subject": "Enter a subject."})
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise ValidationError(
            {"subject": f"Keep the subject to {MAX_SUBJECT_LENGTH} characters (it has {len(subject)})."}
        )
    if _CONTROL_CHARS.search(subject):
        raise ValidationError({"subject": "The subject contains control characters."})
    return subject


def clean_body(body: str, field: str = "body") -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({field: "Enter a message."})
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            {field: f"Keep the message to {MAX_BODY_LENGTH} characters (it has {len(body)})."}
        )
    if "\x00" in body:
        raise ValidationError({field: "The message contains a NUL character."})
    return body


def clean_attachments(files: Sequence[UploadedFile], field: str = "attachments") -> list[UploadedFile]:
    """Check the count and size limits (EXTDESK_ATTACHMENT_MAX_COUNT / _MAX_BYTES)."""
    files = [f for f in files if f is not None]
    max_count = settings.EXTDESK_ATTACHMENT_MAX_COUNT
    max_bytes = settings.EXTDESK_ATTACHMENT_MAX_BYTES
    if len(files) > max_count:
        raise ValidationError({field: f"Attach at most {max_count} files (you chose {len(files)})."})
    errors = []
    for upload in files:
        name = display_file_name(upload.name)
        if upload.size > max_bytes:
            errors.append(f"{name} is {format_size(upload.size)}; the limit is {format_size(max_bytes)}.")
        elif upload.size == 0:
            errors.append(f"{name} is empty.")
    if errors:
        raise ValidationError({field: errors})
    return files


def display_file_name(name: str | None) -> str:
    """The last path component, without control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _CONTROL_CHARS.sub("", base).strip().strip(".") or "attachment"
    if len(base) > 255:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) < 20 else base[:255]
    return base


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _clean_priority(priority: int | str) -> int:
    try:
        value = int(priority)
    except (TypeError, ValueError):
        value = 0
    if value not in Priority.values:
        raise ValidationError({"priority": f"Choose a priority among {', '.join(Priority.labels)}."})
    return value


def _clean_status(status: str) -> str:
    if status not in Status.values:
        raise ValidationError({"status": f"Choose a status among {', '.join(Status.labels)}."})
    return status


def _clean_account(contact: Contact, account: Account | None) -> Account | None:
    accounts = list(contact.accounts.all())
    if account is None:
        if len(accounts) > 1:
            raise ValidationError({"account": "Choose which of your accounts this ticket is about."})
        return accounts[0] if accounts else None
    if account.pk not in {a.pk for a in accounts}:
        raise ValidationError({"account": "Choose one of your own accounts."})
    return account


def _content_type(upload: UploadedFile) -> str:
    kind = (upload.content_type or "").split(";")[0].strip().lower()
    # The column holds 100 characters; a longer type is no type anyone serves.
    return kind if len(kind) <= 100 and _CONTENT_TYPE.match(kind) else "application/octet-stream"


# ---------------------------------------------------------------- helpers


def _actor_fields(actor: Actor, prefix: str) -> dict[str, object]:
    if isinstance(actor, Contact):
        return {f"{prefix}_contact": actor, f"{prefix}_user": None}
    return {f"{prefix}_contact": None, f"{prefix}_user": actor}


def _record(ticket: Ticket, actor: Actor | None, kind: str, old: str = "", new: str = "") -> TicketEvent:
    fields = _actor_fields(actor, "actor") if actor is not None else {}
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, old_value=old[:255], new_value=new[:255],
        created_at=timezone.now(), **fields,
    )


def _store_attachments(message: Message, files: Sequence[UploadedFile], written: list[str]) -> None:
    """Write the files and their rows; ``written`` collects stored names for the cleanup."""
    for upload in files:
        attachment = Attachment(
            message=message,
            original_name=display_file_name(upload.name),
            size=upload.size,
            content_type=_content_type(upload),
            created_at=message.created_at,
        )
        attachment.file.name = write_file(upload, written)
        attachment.save()


def _check_customer(ticket: Ticket, contact: Contact) -> None:
    """A contact acts only on its own tickets and its accounts' (the views check too)."""
    if ticket.contact_id == contact.pk:
        return
    if ticket.account_id is None or not contact.accounts.filter(pk=ticket.account_id).exists():
        raise PermissionError(f"contact {contact.pk} may not act on ticket {ticket.pk}")


def _check_staff(user: AbstractBaseUser) -> None:
    # The desk's rule, so that a customer's login with staff rights acts on nothing.
    if isinstance(user, Contact) or not is_desk_user(user):
        raise PermissionError("only active staff members may do this")


def _check_actor(ticket: Ticket, actor: Actor) -> None:
    if isinstance(actor, Contact):
        _check_customer(ticket, actor)
    else:
        _check_staff(actor)


def _locked(ticket: Ticket) -> Ticket:
    """The ticket's current row, locked until the transaction ends (PostgreSQL)."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _sync(target: Ticket, source: Ticket) -> None:
    """Copy the saved state back into the caller's instance."""
    for field in ("status", "priority", "category_id", "assignee_id", "updated_at", "last_activity_at"):
        setattr(target, field, getattr(source, field))
    for cached in ("category", "assignee"):
        field = Ticket._meta.get_field(cached)
        if field.is_cached(target):
            field.delete_cached_value(target)


# ---------------------------------------------------------------- writes


def create_ticket(
    *,
    contact: Contact,
    subject: str,
    body: str,
    priority: int | str = Priority.NORMAL,
    category: Category | None = None,
    account: Account | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Ticket:
    """File a new ticket for ``contact``; ValidationError (by field) when input is wrong.

    ``account`` must be one of the contact's accounts; left out, it is the
    contact's only account (several: the contact must choose).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    checks = (
        ("subject", lambda: clean_subject(subject)),
        ("body", lambda: clean_body(body)),
        ("priority", lambda: _clean_priority(priority)),
        ("account", lambda: _clean_account(contact, account)),
        ("attachments", lambda: clean_attachments(attachments)),
    )
    for name, check in checks:
        try:
            cleaned[name] = check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if category is not None and not category.is_active:
        errors.setdefault("category", []).append("This category is no longer offered; choose another.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with files_removed_on_failure() as written, transaction.atomic():
        ticket = Ticket.objects.create(
            subject=cleaned["subject"], priority=cleaned["priority"], category=category,
            account=cleaned["account"], contact=contact, status=Status.NEW,
            created_at=now, updated_at=now, last_activity_at=now,
        )
        message = Message.objects.create(
            ticket=ticket, author_contact=contact, body=cleaned["body"], created_at=now
        )
        _store_attachments(message, cleaned["attachments"], written)
        _record(ticket, contact, EventKind.CREATED, new=ticket.subject)
        notifications.ticket_created(ticket.pk)
    return ticket


def add_reply(
    ticket: Ticket, *, author: Actor, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """A public reply by the ticket's customer side or by staff.

    A customer's reply puts a waiting or resolved ticket back to open (a
    closed one must be reopened first); staff's first answer opens a new one.
    """
    errors: dict[str, list[str]] = {}
    try:
        text = clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        files = clean_attachments(attachments)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _check_actor(ticket, author)
    by_contact = isinstance(author, Contact)
    now = timezone.now()
    with files_removed_on_failure() as written, transaction.atomic():
        current = _locked(ticket)
        if by_contact and current.status == Status.CLOSED:
            raise ValidationError({"body": "This ticket is closed; reopen it to reply."})
        message = Message.objects.create(ticket=current, body=text, created_at=now,
                                         **_actor_fields(author, "author"))
        _store_attachments(message, files, written)
        _record(current, author, EventKind.REPLIED)
        old_status = current.status
        reopens = (Status.WAITING, Status.RESOLVED) if by_contact else (Status.NEW,)
        if current.status in reopens:
            current.status = Status.OPEN
        if current.status != old_status:
            _record(current, author, EventKind.STATUS, Status(old_status).label, Status(current.status).label)
        current.updated_at = current.last_activity_at = now
        current.save(update_fields=["status", "updated_at", "last_activity_at"])
        if by_contact:
            notifications.customer_replied(message.pk)
        else:
            notifications.staff_replied(message.pk)
    _sync(ticket, current)
    return message


def add_internal_note(
    ticket: Ticket, *, author: AbstractBaseUser, body: str, attachments: Sequence[UploadedFile] = ()
) -> Message:
    """A note for staff only; the customer never sees it nor hears of it."""
    _check_staff(author)
    errors: dict[str, list[str]] = {}
    try:
        text = clean_body(body)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        files = clean_attachments(attachments)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with files_removed_on_failure() as written, transaction.atomic():
        current = _locked(ticket)
        message = Message.objects.create(ticket=current, author_user=author, body=text,
                                         is_internal=True, created_at=now)
        _store_attachments(message, files, written)
        _record(current, author, EventKind.NOTE)
        # Not last_activity_at: that one is what the customer's list shows.
        current.updated_at = now
        current.save(update_fields=["updated_at"])
    _sync(ticket, current)
    return message


def change_status(ticket: Ticket, status: str, *, actor: Actor) -> bool:
    """Set the status; True when it changed. Mails the contact about the change."""
    status = _clean_status(status)
    _check_actor(ticket, actor)
    with transaction.atomic():
        current = _locked(ticket)
        old = current.status
        if old == status:
            _sync(ticket, current)
            return False
        now = timezone.now()
        current.status = status
        current.updated_at = current.last_activity_at = now
        current.save(update_fields=["status", "updated_at", "last_activity_at"])
        _record(current, actor, EventKind.STATUS, Status(old).label, Status(status).label)
        if not isinstance(actor, Contact):
            notifications.status_changed(current.pk, old, status)
    _sync(ticket, current)
    return True


def change_priority(ticket: Ticket, priority: int | str, *, actor: Actor) -> bool:
    value = _clean_priority(priority)
    _check_staff(actor)
    with transaction.atomic():
        current = _locked(ticket)
        old = current.priority
        if old != value:
            current.priority = value
            current.updated_at = timezone.now()
            current.save(update_fields=["priority", "updated_at"])
            _record(current, actor, EventKind.PRIORITY, Priority(old).label, Priority(value).label)
    _sync(ticket, current)
    return old != value


def assign(ticket: Ticket, assignee: AbstractBaseUser | None, *, actor: Actor) -> bool:
    """Give the ticket to a staff member (None: nobody); True when it changed."""
    if assignee is not None and not is_desk_user(assignee):
        raise ValidationError({"assignee": "Tickets can only be assigned to active staff members."})
    _check_staff(actor)
    with transaction.atomic():
        current = _locked(ticket)
        old = current.assignee
        if current.assignee_id == (assignee.pk if assignee else None):
            _sync(ticket, current)
            return False
        current.assignee = assignee
        current.updated_at = timezone.now()
        current.save(update_fields=["assignee", "updated_at"])
        _record(current, actor, EventKind.ASSIGNEE, _user_label(old), _user_label(assignee))
    _sync(ticket, current)
    return True


def set_category(ticket: Ticket, category: Category | None, *, actor: Actor) -> bool:
    _check_staff(actor)
    with transaction.atomic():
        current = _locked(ticket)
        old = current.category
        if current.category_id == (category.pk if category else None):
            _sync(ticket, current)
            return False
        current.category = category
        current.updated_at = timezone.now()
        current.save(update_fields=["category", "updated_at"])
        _record(current, actor, EventKind.CATEGORY,
                old.name if old else "", category.name if category else "")
    _sync(ticket, current)
    return True


def close_by_customer(ticket: Ticket, *, contact: Contact) -> bool:
    """The customer closes their ticket (solved, or no longer needed)."""
    _check_customer(ticket, contact)
    if ticket.status == Status.CLOSED:
        return False
    return change_status(ticket, Status.CLOSED, actor=contact)


def reopen_by_customer(ticket: Ticket, *, contact: Contact) -> bool:
    """The customer reopens a resolved or closed ticket."""
    _check_customer(ticket, contact)
    if ticket.status not in CLOSED_STATUSES:
        return False
    return change_status(ticket, Status.OPEN, actor=contact)


def _user_label(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
