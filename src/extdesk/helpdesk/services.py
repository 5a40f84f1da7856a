"""Every write to tickets happens here, for the customer portal and the staff desk alike.

Each service is one transaction: it checks who acts and what they sent,
writes, and records each change as a TicketEvent. Its notification is
queued in that transaction too (extdesk.outbox) and sent once it commits:
a mail server that is down delays a message, and loses neither the
message nor the reply that caused it.

Refusals are InvalidInput (by field) and NotAllowed (extdesk.helpdesk.exceptions).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypedDict, Unpack, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, ForeignKey
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from extdesk.contacts.models import Account, Contact

from . import notifications, selectors
from .exceptions import Conflict, InvalidInput, NotAllowed
from .models import (
    CLOSED_STATUSES,
    Attachment,
    Category,
    Channel,
    CopyWay,
    EventKind,
    MailReference,
    Message,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketCopy,
    TicketEvent,
)
from .staff import display_name, is_desk_user
from .storage import delete_files, files_removed_on_failure, stored_files_older_than, write_file

Actor = Contact | User

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 50_000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SWEEP_BATCH = 500
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\Z")


# Sent inside every write that can move a ticket's SLA clock, with the locked ticket as saved and:
# ``status_before`` and ``priority_before`` (its status and priority before the write; an empty status
# for a new ticket), ``message`` (the message the write added, if any), ``thread_moved`` (a merge
# brought messages over). extdesk.sla keeps the clocks from it (connected in its AppConfig.ready):
# this package cannot import that one, whose models refer to these.
ticket_written = Signal()


class PropertyChanges(TypedDict, total=False):
    """The properties update_properties sets: only those given, each to its value."""

    status: str
    priority: int | str
    # None: nobody, no category.
    assignee: User | None
    category: Category | None


# ---------------------------------------------------------------- validation


def clean_subject(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise InvalidInput({"subject": _("Enter a subject.")})
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidInput(
            {"subject": _("Keep the subject to %(limit)d characters (it has %(length)d).") % {
                "limit": MAX_SUBJECT_LENGTH, "length": len(subject)}}
        )
    if _CONTROL_CHARS.search(subject):
        raise InvalidInput({"subject": _("The subject contains control characters.")})
    return subject


def clean_body(body: str) -> str:
    """The text of a new ticket, a reply or a note."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput({"body": _("Enter a message.")})
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput(
            {"body": _("Keep the message to %(limit)d characters (it has %(length)d).") % {
                "limit": MAX_BODY_LENGTH, "length": len(body)}}
        )
    if "\x00" in body:
        raise InvalidInput({"body": _("The message contains a NUL character.")})
    return body


def clean_attachments(files: Sequence[UploadedFile]) -> list[UploadedFile]:
    """Check the count and size limits (EXTDESK_ATTACHMENT_MAX_COUNT / _MAX_BYTES)."""
    files = [f for f in files if f is not None]
    max_count = settings.EXTDESK_ATTACHMENT_MAX_COUNT
    max_bytes = settings.EXTDESK_ATTACHMENT_MAX_BYTES
    if len(files) > max_count:
        raise InvalidInput({"attachments": ngettext(
            "Attach at most %(limit)d file (you chose %(count)d).",
            "Attach at most %(limit)d files (you chose %(count)d).", max_count) % {
                "limit": max_count, "count": len(files)}})
    errors = []
    for upload in files:
        name = display_file_name(upload.name)
        size = upload.size or 0
        if size > max_bytes:
            errors.append(_("%(name)s is %(size)s; the limit is %(limit)s.") % {
                "name": name, "size": format_size(size), "limit": format_size(max_bytes)})
        elif size == 0:
            errors.append(_("%(name)s is empty.") % {"name": name})
    if errors:
        raise InvalidInput({"attachments": errors})
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
        raise InvalidInput({"priority": _("Choose a priority among %(choices)s.") % {
            "choices": ", ".join(str(label) for label in Priority.labels)}})
    return value


def _clean_status(status: str, field: str = "status") -> str:
    if status not in Status.values:
        raise InvalidInput({field: _("Choose a status among %(choices)s.") % {
            "choices": ", ".join(str(label) for label in Status.labels)}})
    return status


def _clean_assignee(assignee: User | None) -> User | None:
    if assignee is not None and not is_desk_user(assignee):
        raise InvalidInput({"assignee": _("Tickets can only be assigned to active staff members.")})
    return assignee


def _clean_offered_category(category: Category | None) -> Category | None:
    if category is not None and not category.is_active:
        raise InvalidInput({"category": _("This category is no longer offered; choose another.")})
    return category


def _clean_account(contact: Contact, account: Account | None, *, may_choose: bool = True) -> Account | None:
    """The ticket's account: the one chosen, else the contact's only one.

    A contact of several accounts must choose, unless they cannot
    (``may_choose`` False: a ticket by mail), when the ticket is about none.
    """
    accounts = list(contact.accounts.all())
    if account is None:
        if len(accounts) > 1:
            if not may_choose:
                return None
            raise InvalidInput({"account": _("Choose which of your accounts this ticket is about.")})
        return accounts[0] if accounts else None
    if account.pk not in {a.pk for a in accounts}:
        raise InvalidInput({"account": _("Choose one of your own accounts.")})
    return account


def _cleaned(checks: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Every check's cleaned value by name; InvalidInput naming every problem of every field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            cleaned[name] = check()
        except InvalidInput as exc:
            for field, problems in exc.message_dict.items():
                errors.setdefault(field, []).extend(problems)
    if errors:
        raise InvalidInput(errors)
    return cleaned


def _content_type(upload: UploadedFile) -> str:
    kind = (upload.content_type or "").split(";")[0].strip().lower()
    # The column holds 100 characters; a longer type is no type anyone serves.
    return kind if len(kind) <= 100 and _CONTENT_TYPE.match(kind) else "application/octet-stream"


# ---------------------------------------------------------------- who may act


def _check_customer(ticket: Ticket, contact: Contact) -> None:
    """A contact acts only on its own tickets and its accounts' (the views check too)."""
    if ticket.contact_id == contact.pk:
        return
    if ticket.account_id is None or not contact.accounts.filter(pk=ticket.account_id).exists():
        raise NotAllowed(f"contact {contact.pk} may not act on ticket {ticket.pk}")


def _check_participant(ticket: Ticket, contact: Contact) -> None:
    """The customer side, or a contact at an address copied on the ticket: who may answer it by mail."""
    try:
        _check_customer(ticket, contact)
    except NotAllowed:
        if not selectors.is_copied(ticket.pk, contact.email):
            raise


def _check_staff(user: Actor) -> None:
    # The desk's rule, so that a customer's login with staff rights acts on nothing.
    if isinstance(user, Contact) or not is_desk_user(user):
        raise NotAllowed("only active staff members may do this")


def _check_actor(ticket: Ticket, actor: Actor) -> None:
    if isinstance(actor, Contact):
        _check_participant(ticket, actor)
    else:
        _check_staff(actor)


# ---------------------------------------------------------------- helpers


def _actor_fields(actor: Actor, prefix: str) -> dict[str, object]:
    if isinstance(actor, Contact):
        return {f"{prefix}_contact": actor, f"{prefix}_user": None}
    return {f"{prefix}_contact": None, f"{prefix}_user": actor}


def _stored_label(choice: Status | Priority) -> str:
    """A choice's label as the history stores it: in LANGUAGE_CODE, whoever's page made the change."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


def _record(ticket: Ticket, actor: Actor | None, kind: str, old: str = "", new: str = "", *,
            version: int | None = None) -> TicketEvent:
    """One history line; its ``version`` is left for bump_version to stamp unless given."""
    fields = _actor_fields(actor, "actor") if actor is not None else {}
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, old_value=old[:255], new_value=new[:255],
        created_at=timezone.now(), version=version, **fields,
    )


def _store_attachments(message: Message, files: Sequence[UploadedFile], written: list[str]) -> None:
    """Write the files and their rows; ``written`` collects stored names for the cleanup."""
    for upload in files:
        attachment = Attachment(
            message=message,
            original_name=display_file_name(upload.name),
            size=upload.size or 0,
            content_type=_content_type(upload),
            created_at=message.created_at,
        )
        attachment.file.name = write_file(upload, written)
        attachment.save()


def _locked(ticket: Ticket) -> Ticket:
    """The ticket's current row, locked until the transaction ends (PostgreSQL)."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def bump_version(current: Ticket) -> None:
    """Count one more version of a locked ticket: a form drawn from an earlier one is now stale.

    Called once by every write to a ticket, its thread or its properties, in
    that write's transaction. The messages and history lines the write added
    (those without a version yet) are stamped with the version it made, so
    that changes_since (extdesk.helpdesk.selectors) can tell a stale form what
    it has not seen, whatever order the write recorded them in.
    """
    Ticket.objects.filter(pk=current.pk).update(version=F("version") + 1)
    current.version = Ticket.objects.filter(pk=current.pk).values_list("version", flat=True).get()
    # Only this transaction's rows lack a version: every write locks the ticket first.
    Message.objects.filter(ticket_id=current.pk, version__isnull=True).update(version=current.version)
    TicketEvent.objects.filter(ticket_id=current.pk, version__isnull=True).update(version=current.version)


def _sync(target: Ticket, source: Ticket) -> None:
    """Copy the saved state back into the caller's instance."""
    for field in ("status", "priority", "category_id", "assignee_id", "updated_at", "last_activity_at",
                  "version"):
        setattr(target, field, getattr(source, field))
    for name in ("category", "assignee"):
        relation = cast(ForeignKey, Ticket._meta.get_field(name))
        if relation.is_cached(target):
            relation.delete_cached_value(target)


def _before(current: Ticket) -> tuple[str, int]:
    """What _follow compares a write's outcome with: the locked ticket's status and priority."""
    return current.status, current.priority


def _follow(current: Ticket, before: tuple[str, int], *, message: Message | None = None,
            thread_moved: bool = False) -> None:
    """Tell the SLA clocks about a write to a locked ticket, when it can move them (ticket_written)."""
    if message is None and not thread_moved and _before(current) == before:
        return
    ticket_written.send(sender=Ticket, ticket=current, status_before=before[0], priority_before=before[1],
                        message=message, thread_moved=thread_moved)


def _user_label(user: User | None) -> str:
    return "" if user is None else display_name(user)


# Each setter changes one property of a locked ticket, saves it and records
# the change; it returns False (and writes nothing) when the value is the same.


def _set_status(current: Ticket, status: str, actor: Actor | None, *, notify: bool = True) -> bool:
    """A status change counts as activity; staff's is mailed to the contact (unless ``notify`` is False)."""
    old = current.status
    if old == status:
        return False
    current.status = status
    current.updated_at = current.last_activity_at = timezone.now()
    current.save(update_fields=["status", "updated_at", "last_activity_at"])
    _record(current, actor, EventKind.STATUS, _stored_label(Status(old)), _stored_label(Status(status)))
    if notify and isinstance(actor, User):
        notifications.status_changed(current.pk, old, status)
    return True


def _set_priority(current: Ticket, priority: int, actor: Actor) -> bool:
    old = current.priority
    if old == priority:
        return False
    current.priority = priority
    current.updated_at = timezone.now()
    current.save(update_fields=["priority", "updated_at"])
    _record(current, actor, EventKind.PRIORITY, _stored_label(Priority(old)),
            _stored_label(Priority(priority)))
    return True


def _set_assignee(current: Ticket, assignee: User | None, actor: Actor) -> bool:
    if current.assignee_id == (assignee.pk if assignee else None):
        return False
    # Checked only for a new assignee: one who has left the staff stays
    # assigned while the other properties change.
    _clean_assignee(assignee)
    old = current.assignee
    current.assignee = assignee
    current.updated_at = timezone.now()
    current.save(update_fields=["assignee", "updated_at"])
    _record(current, actor, EventKind.ASSIGNEE, _user_label(old), _user_label(assignee))
    return True


def _set_category(current: Ticket, category: Category | None, actor: Actor) -> bool:
    if current.category_id == (category.pk if category else None):
        return False
    old = current.category
    current.category = category
    current.updated_at = timezone.now()
    current.save(update_fields=["category", "updated_at"])
    _record(current, actor, EventKind.CATEGORY, old.name if old else "", category.name if category else "")
    return True


def _as_given(value: object) -> object:
    return value


# The properties update_properties sets, in the order it reports them: each one's check and setter.
_PROPERTIES: dict[str, tuple[Callable[[Any], object], Callable[[Ticket, Any, Actor], bool]]] = {
    "status": (_clean_status, _set_status),
    "priority": (_clean_priority, _set_priority),
    # An assignee is checked by its setter, once the current one is known.
    "assignee": (_as_given, _set_assignee),
    "category": (_as_given, _set_category),
}


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
    channel: str = Channel.WEB,
    copies: Sequence[str] = (),
) -> Ticket:
    """File a new ticket for ``contact``; InvalidInput (by field) when input is wrong.

    ``account`` must be one of the contact's accounts; left out, it is the
    contact's only account (several: the contact must choose on the web; a
    ticket by mail is then about none). ``copies``: the addresses the
    customer copies on it from the start (the rules of add_copy).
    """
    cleaned = _cleaned({
        "subject": lambda: clean_subject(subject),
        "body": lambda: clean_body(body),
        "priority": lambda: _clean_priority(priority),
        "account": lambda: _clean_account(contact, account, may_choose=channel == Channel.WEB),
        "attachments": lambda: clean_attachments(attachments),
        "category": lambda: _clean_offered_category(category),
        "copies": lambda: _clean_new_copies(contact, copies),
    })
    now = timezone.now()
    with files_removed_on_failure() as written, transaction.atomic():
        ticket = Ticket.objects.create(
            subject=cleaned["subject"], priority=cleaned["priority"], category=category,
            account=cleaned["account"], contact=contact, status=Status.NEW,
            created_at=now, updated_at=now, last_activity_at=now,
        )
        # A new ticket is at its first version without a bump: its first rows say so themselves.
        message = Message.objects.create(
            ticket=ticket, author_contact=contact, body=cleaned["body"], channel=channel, created_at=now,
            version=ticket.version,
        )
        _store_attachments(message, cleaned["attachments"], written)
        _record(ticket, contact, EventKind.CREATED, new=ticket.subject, version=ticket.version)
        for address in cleaned["copies"]:
            _add_copy(ticket, address, contact, CopyWay.PORTAL if channel == Channel.WEB else CopyWay.MAIL,
                      version=ticket.version)
        _follow(ticket, ("", ticket.priority), message=message)
        notifications.ticket_created(ticket, message)
    return ticket


def reply(
    ticket: Ticket,
    *,
    author: Actor,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    internal: bool = False,
    then_status: str = "",
    channel: str = Channel.WEB,
    notify: bool = True,
    expected_version: int | None = None,
) -> Message:
    """A message on the ticket's thread and, when ``then_status`` is given, a status change after it.

    A public reply is by the ticket's customer side or by staff. A
    customer's reply puts a waiting or resolved ticket back to open (a
    closed one must be reopened first); staff's first answer opens a new
    one. An ``internal`` note is for staff only: the customer never sees it
    nor hears of it. Notes and ``then_status`` are staff's. One transaction:
    a refused status leaves no message either. ``notify`` False mails
    nobody about the reply (an automatic mail, such as an out-of-office
    answer, is recorded without setting off mail of its own).

    ``expected_version`` is the ticket version the reply form was drawn
    from: when the ticket has changed since, nothing is written and Conflict
    says so. None checks nothing (mail, which has no form; a reply sent
    "anyway" once the agent has seen what changed).
    """
    if internal or then_status:
        _check_staff(author)
    else:
        _check_actor(ticket, author)
    checks: dict[str, Callable[[], Any]] = {
        "body": lambda: clean_body(body),
        "attachments": lambda: clean_attachments(attachments),
    }
    if then_status:
        checks["then_status"] = lambda: _clean_status(then_status, field="then_status")
    cleaned = _cleaned(checks)
    by_contact = isinstance(author, Contact)
    now = timezone.now()
    with files_removed_on_failure() as written, transaction.atomic():
        current = _locked(ticket)
        if expected_version is not None and current.version != expected_version:
            raise Conflict(current, expected_version)
        if by_contact and current.status == Status.CLOSED:
            raise InvalidInput({"body": _("This ticket is closed; reopen it to reply.")})
        before = _before(current)
        message = Message.objects.create(ticket=current, body=cleaned["body"], is_internal=internal,
                                         channel=channel, created_at=now, **_actor_fields(author, "author"))
        _store_attachments(message, cleaned["attachments"], written)
        if internal:
            _record(current, author, EventKind.NOTE)
            # Not last_activity_at: that one is what the customer's list shows.
            current.updated_at = now
            current.save(update_fields=["updated_at"])
        else:
            _record(current, author, EventKind.REPLIED)
            old_status = current.status
            reopens = (Status.WAITING, Status.RESOLVED) if by_contact else (Status.NEW,)
            if current.status in reopens:
                current.status = Status.OPEN
                _record(current, author, EventKind.STATUS, _stored_label(Status(old_status)),
                        _stored_label(Status.OPEN))
            current.updated_at = current.last_activity_at = now
            current.save(update_fields=["status", "updated_at", "last_activity_at"])
            if notify and by_contact:
                notifications.customer_replied(message.pk)
            elif notify:
                notifications.staff_replied(message.pk)
        if then_status:
            _set_status(current, then_status, author)
        _follow(current, before, message=message)
        bump_version(current)
    _sync(ticket, current)
    return message


# The history kind of each property's changes: what tells a stale form that someone else changed it.
_PROPERTY_EVENTS = {
    "status": (EventKind.STATUS, EventKind.AUTO_CLOSED),
    "priority": (EventKind.PRIORITY,),
    "assignee": (EventKind.ASSIGNEE,),
    "category": (EventKind.CATEGORY,),
}


def _current_value(current: Ticket, name: str) -> object:
    return getattr(current, f"{name}_id") if name in ("assignee", "category") else getattr(current, name)


def _wanted_value(name: str, value: Any) -> object:
    return value.pk if name in ("assignee", "category") and value is not None else value


def _changed_by_others(current: Ticket, names: Iterable[str], *, since: int, actor: User) -> bool:
    """Whether anyone but ``actor`` changed one of ``names`` after version ``since``."""
    kinds = [kind for name in names for kind in _PROPERTY_EVENTS[name]]
    return (TicketEvent.objects.filter(ticket_id=current.pk, version__gt=since, kind__in=kinds)
            .exclude(actor_user=actor).exists())


def update_properties(ticket: Ticket, *, actor: User, expected_version: int | None = None,
                      **changes: Unpack[PropertyChanges]) -> list[str]:
    """Staff set the properties they pass, in one transaction; the names of those that changed.

    A property left out stays as it is now, so that a page loaded before a
    colleague's change, passing only what its agent changed, does not undo
    that change. A status change is mailed to the contact. A retired
    category is allowed here.

    ``expected_version`` is the ticket version the form was drawn from: when
    someone else has changed, since then, a property this call would change
    (to another value than the one asked for), nothing is written and
    Conflict says so; changes to the other properties go through. None
    checks nothing (a change applied "anyway").
    """
    if unknown := changes.keys() - _PROPERTIES.keys():
        raise TypeError(f"update_properties() cannot set {', '.join(sorted(unknown))}")
    _check_staff(actor)
    wanted = _cleaned({
        name: functools.partial(check, changes[name])  # type: ignore[literal-required]
        for name, (check, _setter) in _PROPERTIES.items() if name in changes
    })
    with transaction.atomic():
        current = _locked(ticket)
        if expected_version is not None and current.version != expected_version:
            # Asking for what the ticket already has changes nothing, whoever set it.
            differing = [name for name, value in wanted.items()
                         if _current_value(current, name) != _wanted_value(name, value)]
            if differing and _changed_by_others(current, differing, since=expected_version, actor=actor):
                raise Conflict(current, expected_version)
        before = _before(current)
        changed = [name for name, value in wanted.items() if _PROPERTIES[name][1](current, value, actor)]
        if changed:
            _follow(current, before)
            bump_version(current)
    _sync(ticket, current)
    return changed


def _status_by_customer(
    ticket: Ticket, contact: Contact, status: str, *, from_statuses: Sequence[str],
    check: Callable[[Ticket, Contact], None] = _check_customer,
) -> bool:
    check(ticket, contact)
    with transaction.atomic():
        current = _locked(ticket)
        before = _before(current)
        # A merged ticket stays closed: its conversation goes on where it was merged into.
        changed = (current.merged_into_id is None and current.status in from_statuses
                   and _set_status(current, status, contact))
        if changed:
            _follow(current, before)
            bump_version(current)
    _sync(ticket, current)
    return changed


def close_by_customer(ticket: Ticket, *, contact: Contact) -> bool:
    """The customer closes their ticket (solved, or no longer needed); True when it changed."""
    open_or_resolved = [value for value in Status.values if value != Status.CLOSED]
    return _status_by_customer(ticket, contact, Status.CLOSED, from_statuses=open_or_resolved)


def reopen_by_customer(ticket: Ticket, *, contact: Contact) -> bool:
    """The customer reopens a resolved or closed ticket; True when it changed.

    A person copied on the ticket may too: their answer by mail reopens it as the contact's would.
    """
    return _status_by_customer(ticket, contact, Status.OPEN, from_statuses=CLOSED_STATUSES,
                               check=_check_participant)


def close_unanswered(ticket_id: int, *, resolved_before: datetime, days: int) -> bool:
    """Close a ticket resolved before ``resolved_before`` and not answered since; True when this closed it.

    The system's closing (extdesk.sla.duties.auto_close): its history says
    why, and the customer is told by mail. One short transaction; a ticket
    that is no longer resolved (the customer answered, which reopens it), or
    that another worker holds right now, is left alone.
    """
    now = timezone.now()
    with transaction.atomic():
        current = (Ticket.objects.select_for_update(skip_locked=True)
                   .filter(pk=ticket_id, status=Status.RESOLVED, resolved_at__lte=resolved_before,
                           merged_into__isnull=True).first())
        if current is None:
            return False
        before = _before(current)
        current.status = Status.CLOSED
        current.updated_at = current.last_activity_at = now
        current.save(update_fields=["status", "updated_at", "last_activity_at"])
        closed = _stored_label(Status.CLOSED)
        _record(current, None, EventKind.AUTO_CLOSED, _stored_label(Status.RESOLVED),
                f"{closed}: no reply from the customer in {days} day{'s' if days != 1 else ''}")
        notifications.closed_unanswered(current.pk, days)
        _follow(current, before)
        bump_version(current)
    return True


def sweep_orphans(older_than: timedelta, *, dry_run: bool = False) -> list[str]:
    """Delete the stored files older than ``older_than`` that no attachment row names; their names.

    Only a crash between writing a file and committing its row (a killed
    worker, a power cut) leaves such a file. The age spares the files of
    uploads whose transaction is still running.
    """
    candidates = stored_files_older_than(older_than)
    orphans: list[str] = []
    for start in range(0, len(candidates), _SWEEP_BATCH):
        batch = candidates[start:start + _SWEEP_BATCH]
        known = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        orphans += [name for name in batch if name not in known]
    if not dry_run:
        delete_files(orphans)
    return orphans


# ---------------------------------------------------------------- tags

MAX_TAG_LENGTH = 50


def clean_tag_name(name: str) -> str:
    """A tag as stored: trimmed and single-spaced, 1 to 50 characters, no comma (the history lists tags
    with commas)."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput({"tag": _("Enter a tag.")})
    if len(name) > MAX_TAG_LENGTH:
        raise InvalidInput({"tag": _("Keep a tag to %(limit)s characters (this one has %(length)s).") % {
            "limit": MAX_TAG_LENGTH, "length": len(name)}})
    if "," in name:
        raise InvalidInput({"tag": _("A tag cannot contain a comma: add one tag at a time.")})
    if _CONTROL_CHARS.search(name):
        raise InvalidInput({"tag": _("The tag contains control characters.")})
    return name


def _tag(name: str, *, create: bool) -> Tag | None:
    """The tag called ``name`` whatever its case; made (as typed) when missing and ``create``."""
    found = selectors.tags_named(name).first()
    if found is not None or not create:
        return found
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name)
    except IntegrityError:
        # Made meanwhile by a concurrent request: the constraint waited for it.
        return selectors.tags_named(name).get()


def _tag_list(names: Iterable[str]) -> str:
    return ", ".join(sorted(names, key=str.casefold))


def _set_tags(current: Ticket, add: Sequence[Tag], remove: Sequence[Tag], actor: Actor) -> bool:
    """Put ``add`` on a locked ticket and take ``remove`` off, recorded as one change of its tag list."""
    before = {tag.pk: tag.name for tag in current.tags.all()}
    adding = [tag for tag in add if tag.pk not in before]
    removing = [tag for tag in remove if tag.pk in before]
    if not adding and not removing:
        return False
    current.tags.add(*adding)
    current.tags.remove(*removing)
    after = {**before, **{tag.pk: tag.name for tag in adding}}
    for tag in removing:
        del after[tag.pk]
    current.updated_at = timezone.now()
    current.save(update_fields=["updated_at"])
    _record(current, actor, EventKind.TAGS, _tag_list(before.values()), _tag_list(after.values()))
    return True


def add_tag(ticket: Ticket, name: str, *, actor: User) -> bool:
    """Staff tag the ticket, the tag made on first use; True when the ticket did not have it yet."""
    _check_staff(actor)
    name = clean_tag_name(name)
    with transaction.atomic():
        current = _locked(ticket)
        tag = _tag(name, create=True)
        assert tag is not None
        changed = _set_tags(current, [tag], [], actor)
        if changed:
            bump_version(current)
    _sync(ticket, current)
    return changed


def remove_tag(ticket: Ticket, name: str, *, actor: User) -> bool:
    """Staff take the tag ``name`` (whatever its case) off the ticket; True when it had it."""
    _check_staff(actor)
    with transaction.atomic():
        current = _locked(ticket)
        tag = _tag(" ".join((name or "").split()), create=False)
        changed = tag is not None and _set_tags(current, [], [tag], actor)
        if changed:
            bump_version(current)
    _sync(ticket, current)
    return changed


# ---------------------------------------------------------------- bulk changes

# The most tickets one bulk change takes: its one transaction locks them all.
BULK_MAX_TICKETS = 1000


class BulkChanges(PropertyChanges, total=False):
    """What bulk_update sets: the properties of update_properties, and a tag to add or to remove."""

    add_tag: str
    remove_tag: str


_BULK_TAGS = {"add_tag", "remove_tag"}


def bulk_update(ticket_ids: Iterable[int], *, actor: User, **changes: Unpack[BulkChanges]) -> list[int]:
    """Make the same changes to many tickets in one transaction; the numbers of the tickets that changed.

    Each ticket goes through update_properties' own setters: the same rules,
    one history entry per change, the same mail (a status change is mailed to
    each ticket's contact), its version raised once. All or nothing: a ticket
    refused, or one that no longer exists, leaves every ticket as it was. At
    most BULK_MAX_TICKETS tickets.
    """
    if unknown := changes.keys() - _PROPERTIES.keys() - _BULK_TAGS:
        raise TypeError(f"bulk_update() cannot set {', '.join(sorted(unknown))}")
    _check_staff(actor)
    if not changes:
        raise InvalidInput({"action": _("Choose a change to make.")})
    ids = sorted(set(ticket_ids))
    if not ids:
        raise InvalidInput({"tickets": _("Select at least one ticket.")})
    if len(ids) > BULK_MAX_TICKETS:
        raise InvalidInput({"tickets": _(
            "Change at most %(limit)s tickets at once (%(count)s were chosen).") % {
                "limit": number_format(BULK_MAX_TICKETS, force_grouping=True),
                "count": number_format(len(ids), force_grouping=True)}})
    given = cast(dict[str, Any], changes)
    checks: dict[str, Callable[[], Any]] = {
        name: functools.partial(check, given[name]) for name, (check, _setter) in _PROPERTIES.items()
        if name in given
    }
    for name in _BULK_TAGS & given.keys():
        checks[name] = functools.partial(clean_tag_name, given[name])
    wanted = _cleaned(checks)
    properties = {name: value for name, value in wanted.items() if name in _PROPERTIES}
    changed: list[int] = []
    with transaction.atomic():
        # In one order, so that two bulk changes over the same tickets wait rather than deadlock.
        tickets = list(Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if missing := sorted(set(ids) - {ticket.pk for ticket in tickets}):
            raise InvalidInput({"tickets": ngettext(
                "No ticket %(numbers)s any more; nothing was changed.",
                "No tickets %(numbers)s any more; nothing was changed.", len(missing[:10])) % {
                "numbers": ", ".join(f"#{n}" for n in missing[:10])}})
        add = [_tag(wanted["add_tag"], create=True)] if "add_tag" in wanted else []
        removed = _tag(wanted["remove_tag"], create=False) if "remove_tag" in wanted else None
        remove = [removed] if removed is not None else []
        for current in tickets:
            before = _before(current)
            done = [_PROPERTIES[name][1](current, value, actor) for name, value in properties.items()]
            if add or remove:
                done.append(_set_tags(current, cast(list[Tag], add), remove, actor))
            if any(done):
                _follow(current, before)
                bump_version(current)
                changed.append(current.pk)
    return changed


# ---------------------------------------------------------------- merging


def _contact_in_account(contact_id: int, account_id: int) -> bool:
    return Contact.accounts.through.objects.filter(contact_id=contact_id, account_id=account_id).exists()


def merge_refusal(source: Ticket, target: Ticket) -> str | None:
    """Why ``source`` may not be merged into ``target``; None when it may.

    Its messages move to ``target``, so the people who see ``target`` must be
    the ones who saw them: the same account (the source's contact still in
    it, so that their list hides nothing they wrote), or the same contact,
    unless that would move them out of an account's sight or into another's.
    """
    src, dst = source.reference, target.reference
    if source.pk == target.pk:
        return _("A ticket cannot be merged into itself.")
    if source.merged_into_id is not None:
        return _("%(source)s was already merged into #%(number)s.") % {
            "source": src, "number": source.merged_into_id}
    if target.merged_into_id is not None:
        return _("%(target)s was merged into #%(number)s; merge into that ticket instead.") % {
            "target": dst, "number": target.merged_into_id}
    if source.account_id is not None and source.account_id == target.account_id:
        if source.contact_id == target.contact_id or _contact_in_account(source.contact_id,
                                                                         source.account_id):
            return None
        return _("The customer of %(source)s is no longer in its account and would lose sight of "
                 "their messages on %(target)s.") % {"source": src, "target": dst}
    if source.contact_id == target.contact_id:
        if source.account_id is None:
            return None
        return _("%(source)s and %(target)s are about different accounts of the customer: merging would "
                 "show one account's conversation to the other's people.") % {"source": src, "target": dst}
    return _("%(source)s and %(target)s are from different customers and accounts; only their own "
             "tickets merge.") % {"source": src, "target": dst}


def merge_tickets(source: Ticket, target: Ticket, *, actor: User) -> int:
    """Merge ``source`` into ``target``: its messages (with their dates and attachments), its mail
    threads, its copies (Cc) and its tags move over; it is closed and points there; both histories say so; its
    customer is told in one mail on the target's thread. The number of messages moved.

    A mail answering the old ticket's mails lands on the target (its Message-IDs
    move); one tagged with the old number follows ``merged_into`` (extdesk.mail.routing).
    InvalidInput (``target``) when merge_refusal refuses.
    """
    _check_staff(actor)
    if source.pk == target.pk:
        raise InvalidInput({"target": _("A ticket cannot be merged into itself.")})
    with transaction.atomic():
        locked = {ticket.pk: ticket for ticket in
                  Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
        old, new = locked[source.pk], locked[target.pk]
        if problem := merge_refusal(old, new):
            raise InvalidInput({"target": problem})
        old_before, new_before = _before(old), _before(new)
        # Their versions counted the old ticket's writes: left empty, bump_version(new) stamps
        # them with the merge's version, so a form drawn on the target before sees them as new.
        moved = Message.objects.filter(ticket=old).update(ticket=new, version=None)
        MailReference.objects.filter(ticket=old).update(ticket=new)
        _merge_copies(old, new, actor)
        # Tickets merged into this one before now point to the end of the chain.
        Ticket.objects.filter(merged_into=old).update(merged_into=new)
        _set_tags(new, list(old.tags.all()), [], actor)
        old.merged_into = new
        old.save(update_fields=["merged_into"])
        # The merge mail below tells the customer; a status mail too would be a second one.
        _set_status(old, Status.CLOSED, actor, notify=False)
        for ticket in (old, new):
            _record(ticket, actor, EventKind.MERGED, old.reference, new.reference)
        # Its customer is told of it: activity, as a status change is.
        new.updated_at = new.last_activity_at = timezone.now()
        new.save(update_fields=["updated_at", "last_activity_at"])
        _follow(old, old_before)
        _follow(new, new_before, thread_moved=True)
        bump_version(old)
        bump_version(new)
        notifications.ticket_merged(old.pk, new.pk)
    _sync(source, old)
    _sync(target, new)
    source.merged_into_id = new.pk
    return moved


# ---------------------------------------------------------------- copies (Cc)

# The most addresses copied on one ticket (a merge may bring it over, and nothing is added then).
MAX_COPIES = 10
_MAX_ADDRESS_LENGTH = 254


def clean_copy_address(address: str) -> str:
    """An address to copy on a ticket, trimmed; InvalidInput (``address``) unless it is one."""
    address = (address or "").strip()
    if not address:
        raise InvalidInput({"address": _("Enter an e-mail address.")})
    if len(address) > _MAX_ADDRESS_LENGTH:
        raise InvalidInput({"address": _("Keep the address to %(limit)d characters (it has %(length)d).") % {
            "limit": _MAX_ADDRESS_LENGTH, "length": len(address)}})
    try:
        validate_email(address)
    except ValidationError:
        problem = _("Enter a valid e-mail address, such as name@example.com.")
        raise InvalidInput({"address": problem}) from None
    return address


def _check_copier(ticket: Ticket, actor: Actor) -> None:
    """Staff, or the customer side as the portal shows it; never a copied person (they are only in Cc)."""
    if isinstance(actor, Contact):
        _check_customer(ticket, actor)
    else:
        _check_staff(actor)


def _too_many_copies() -> str:
    return _("A ticket copies at most %(limit)d addresses; remove one first.") % {"limit": MAX_COPIES}


def _address_refusal(customer: Contact, address: str) -> str | None:
    """Why ``address`` may never be copied on a ticket of ``customer``; None when it may."""
    if address.lower() == customer.email.strip().lower():
        return _("%(address)s is the ticket's customer, who gets every mail anyway.") % {"address": address}
    if selectors.is_helpdesk_address(address):
        return _("%(address)s is the helpdesk's own or a staff member's address; staff follow tickets on "
                 "the desk.") % {"address": address}
    return None


def _clean_new_copies(contact: Contact, addresses: Sequence[str]) -> list[str]:
    """The addresses a new ticket of ``contact`` copies, each once whatever its case;
    InvalidInput (``copies``) naming every one refused, or too many."""
    kept: dict[str, str] = {}
    problems: list[str] = []
    for given in addresses:
        try:
            address = clean_copy_address(given)
        except InvalidInput:
            problems.append(_("“%(address)s” is not an e-mail address.") % {"address": given[:100]})
            continue
        if problem := _address_refusal(contact, address):
            problems.append(problem)
        else:
            kept.setdefault(address.lower(), address)
    if len(kept) > MAX_COPIES:
        problems.append(_too_many_copies())
    if problems:
        raise InvalidInput({"copies": problems})
    return list(kept.values())


def _copy_refusal(current: Ticket, address: str) -> str | None:
    """Why ``address`` may not be copied on a locked ticket; None when it may."""
    if current.merged_into_id is not None:
        return _("This ticket was merged into #%(number)s; change the copies there.") % {
            "number": current.merged_into_id}
    if problem := _address_refusal(current.contact, address):
        return problem
    if current.copies.count() >= MAX_COPIES:
        return _too_many_copies()
    return None


def _add_copy(current: Ticket, address: str, actor: Contact | User, how: str, *,
              version: int | None = None) -> None:
    """Copy ``address`` (checked, not copied yet) on a locked ticket, recorded as one history line
    (``version``: as _record's)."""
    TicketCopy.objects.create(ticket=current, address=address, added_at=timezone.now(), how=how,
                              **_actor_fields(actor, "added_by"))
    _record(current, actor, EventKind.COPY_ADDED, new=address, version=version)


def _check_copies_version(current: Ticket, expected_version: int | None, actor: Actor) -> None:
    """Conflict when someone but ``actor`` changed the copies after the version the form showed."""
    if expected_version is None or current.version == expected_version:
        return
    others = TicketEvent.objects.filter(ticket_id=current.pk, version__gt=expected_version,
                                        kind__in=[EventKind.COPY_ADDED, EventKind.COPY_REMOVED])
    others = others.exclude(**{"actor_contact" if isinstance(actor, Contact) else "actor_user": actor})
    if others.exists():
        raise Conflict(current, expected_version)


def _copies_changed(current: Ticket) -> None:
    current.updated_at = timezone.now()
    current.save(update_fields=["updated_at"])
    bump_version(current)


def add_copy(ticket: Ticket, address: str, *, actor: Actor, expected_version: int | None = None) -> bool:
    """Staff (on the desk) or the customer (in the portal) copy ``address`` on the ticket's mail.

    True when it was added, False when it was copied already (whatever the
    case). InvalidInput (``address``) for an address that is no address, the
    ticket's customer's, the helpdesk's own or a staff member's, or one too
    many (MAX_COPIES). ``expected_version`` as for update_properties: a
    Conflict only when someone else changed the copies since.
    """
    _check_copier(ticket, actor)
    address = clean_copy_address(address)
    with transaction.atomic():
        current = _locked(ticket)
        _check_copies_version(current, expected_version, actor)
        added = not selectors.copies_named(current.pk, address).exists()
        if added:
            if problem := _copy_refusal(current, address):
                raise InvalidInput({"address": problem})
            _add_copy(current, address, actor, CopyWay.PORTAL if isinstance(actor, Contact) else CopyWay.DESK)
            _copies_changed(current)
    _sync(ticket, current)
    return added


def remove_copy(ticket: Ticket, address: str, *, actor: Actor, expected_version: int | None = None) -> bool:
    """Take ``address`` (whatever its case) off the ticket's copies; True when it was there.

    It gets no more mail about the ticket, and its mail to it is a stranger's again.
    """
    _check_copier(ticket, actor)
    with transaction.atomic():
        current = _locked(ticket)
        _check_copies_version(current, expected_version, actor)
        found = selectors.copies_named(current.pk, address or "").first()
        if found is not None:
            found.delete()
            _record(current, actor, EventKind.COPY_REMOVED, new=found.address)
            _copies_changed(current)
    _sync(ticket, current)
    return found is not None


def copy_from_mail(ticket: Ticket, addresses: Iterable[str], *, contact: Contact) -> list[str]:
    """The ticket's own contact named ``addresses`` (the Cc and To of their mail): copy them; those added.

    Quietly skipped: what is no address, the contact's own, the helpdesk's
    and staff's (selectors.is_helpdesk_address), what is copied already, and
    whatever comes after MAX_COPIES. Only the ticket's contact decides who is
    in the conversation: anyone else's mail adds nobody.
    """
    if ticket.contact_id != contact.pk:
        return []
    added: list[str] = []
    with transaction.atomic():
        current = _locked(ticket)
        for given in addresses:
            try:
                address = clean_copy_address(given)
            except InvalidInput:
                continue
            if (selectors.copies_named(current.pk, address).exists()
                    or _copy_refusal(current, address) is not None):
                continue
            _add_copy(current, address, contact, CopyWay.MAIL)
            added.append(address)
        if added:
            _copies_changed(current)
    _sync(ticket, current)
    return added


def _merge_copies(old: Ticket, new: Ticket, actor: User) -> None:
    """Move a merged ticket's copies to the ticket it goes into, each recorded there as added.

    Those the target has already (or its customer's address) are dropped. The
    cap is not applied: nobody who followed the conversation loses it by a merge.
    """
    customer = new.contact.email.strip().lower()
    for copy in old.copies.order_by("added_at", "id"):
        if copy.address.lower() == customer or selectors.copies_named(new.pk, copy.address).exists():
            copy.delete()
            continue
        TicketCopy.objects.filter(pk=copy.pk).update(ticket=new)
        _record(new, actor, EventKind.COPY_ADDED, new=copy.address)
