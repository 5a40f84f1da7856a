"""Storing incoming mail: one message, one transaction, exactly once.

``receive`` is behind both ways in (``extdesk receive-mail`` and
``extdesk fetch-mail``). Within one transaction it records the mail
(``InboundMail``, unique by its dedup key) and does what the mail asks
through the same helpdesk services the portal and the desk use: a new
ticket, a reply, or nothing but the record (held for staff, a delivery
report, the helpdesk's own mail come back, a refused stranger). Either all
of it is stored or none of it: a mail that could not be stored now raises
CannotStoreNow and is stored whole by the retry; a mail stored before is
answered as a duplicate and stored no second time.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from extdesk.contacts.models import Contact
from extdesk.helpdesk import notifications
from extdesk.helpdesk import services as helpdesk
from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import Channel, MailReference, Message, Status, Ticket
from extdesk.helpdesk.services import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH, display_file_name, format_size
from extdesk.helpdesk.staff import is_desk_user
from extdesk.helpdesk.storage import delete_files, files_removed_on_failure, write_file
from extdesk.outbox.identity import is_own_mail, own_mail_id
from extdesk.outbox.models import OutgoingMail
from extdesk.soap.quoting import first_line

from . import notices, routing
from .exceptions import CannotStoreNow
from .models import InboundMail, Outcome
from .parsing import MailAttachment, ParsedMail, parse
from .routing import Sender, mail_id_key

log = logging.getLogger("extdesk.mail")

_NO_SUBJECT = "(no subject)"
_NO_TEXT = gettext_noop("(This mail has no text.)")


@dataclass(frozen=True)
class Receipt:
    """What became of one incoming mail."""

    outcome: str
    inbound_id: int | None = None
    ticket_id: int | None = None
    duplicate: bool = False
    reason: str = ""

    def __str__(self) -> str:
        if self.duplicate:
            return f"already stored (incoming mail {self.inbound_id}); not stored again"
        where = f" #{self.ticket_id}" if self.ticket_id else ""
        texts: dict[str, str] = {
            Outcome.TICKET: f"new ticket{where}",
            Outcome.REPLY: f"reply on ticket{where}",
            Outcome.HELD: "held for staff",
            Outcome.BOUNCE: "delivery report recorded",
            Outcome.OWN: "the helpdesk's own mail come back; dropped",
            Outcome.REFUSED: "unknown sender refused",
            Outcome.DELETED: "deleted",
            Outcome.DROPPED: "an automatic answer, recorded only",
        }
        text = texts.get(self.outcome, self.outcome)
        because = f" ({self.reason})" if self.reason else ""
        return f"{text}{because} (incoming mail {self.inbound_id})"


def receive(raw: bytes, *, source: str) -> Receipt:
    """Store one RFC 5322 message that came in by ``source`` ("pipe", or a mailbox's label).

    Raises NotAMail for input that is not a mail at all, CannotStoreNow when
    it could not be stored now (database unreachable, disk full): the
    caller keeps the message and tries again later.
    """
    parsed = parse(raw, max_bytes=settings.EXTDESK_MAIL_MAX_BYTES)
    try:
        return _store_once(parsed, raw, source)
    except IntegrityError:
        # The same mail was stored before, or by another delivery that committed first.
        earlier = InboundMail.objects.filter(dedup_key=parsed.dedup_key).first()
        if earlier is None:
            raise
        return Receipt(outcome=earlier.outcome, inbound_id=earlier.pk, ticket_id=earlier.ticket_id,
                       duplicate=True)
    except (OperationalError, InterfaceError) as exc:
        raise CannotStoreNow(f"the database is unavailable: {first_line(exc)}") from exc
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EACCES):
            raise CannotStoreNow(f"cannot write the mail's files: {exc.strerror}") from exc
        raise


def _store_once(parsed: ParsedMail, raw: bytes, source: str) -> Receipt:
    # A mail stored before fails on the unique key at once (receive answers it as a duplicate):
    # looking first would cost every new mail a query for the rare one delivered twice.
    with files_removed_on_failure() as written, transaction.atomic():
        record = _record(parsed, raw, source)
        _route(record, parsed, raw, written, hold=True)
    log.info("mail from %s by %s: %s", record.sender_address or "(no sender)", source, _receipt(record))
    return _receipt(record)


def _receipt(record: InboundMail) -> Receipt:
    return Receipt(outcome=record.outcome, inbound_id=record.pk, ticket_id=record.ticket_id,
                   reason=record.reason)


def _record(parsed: ParsedMail, raw: bytes, source: str) -> InboundMail:
    # Inserted first: a second delivery of this mail running at the same
    # time waits on the unique key here, then fails, and is a duplicate.
    return InboundMail.objects.create(
        dedup_key=parsed.dedup_key, mail_id=mail_id_key(parsed.message_id), source=source[:255],
        sender_address=parsed.sender_address.lower()[:254], sender_name=parsed.sender_name[:255],
        subject=parsed.subject[:255], size=len(raw), outcome=Outcome.HELD, received_at=timezone.now(),
    )


def _route(record: InboundMail, parsed: ParsedMail, raw: bytes, written: list[str], *, hold: bool) -> None:
    """Decide what the mail is and do it; ``hold`` False (a release by staff) skips the holds."""
    if parsed.report is not None:
        return _record_report(record, parsed, raw, written)
    if parsed.extdesk_header and is_own_mail(parsed.extdesk_header):
        return _finish(record, Outcome.OWN, "it carries this helpdesk's own X-Extdesk-Mail header")
    if hold and parsed.is_spam:
        return _hold(record, raw, written, "marked as spam (X-Spam-Flag)")
    if not parsed.sender_address:
        return _hold(record, raw, written, "it names no sender address")
    sender = routing.identify(parsed.sender_address, parsed.sender_name)
    ticket = routing.threaded_ticket(sender, [*parsed.in_reply_to, *reversed(parsed.references)],
                                     parsed.subject)
    if ticket is not None:
        return _store_reply(record, parsed, raw, written, sender, ticket)
    limit = settings.EXTDESK_MAIL_MAX_NEW_PER_HOUR
    # A sender the helpdesk has never seen (no contact, no guest yet) has opened no ticket to count:
    # a flood's first mail makes its guest, and the next ones are counted.
    if hold and sender.known and routing.new_tickets_last_hour(parsed.sender_address) >= limit:
        return _hold(record, raw, written, f"more than {limit} new tickets in an hour from this sender")
    if sender.contact is None and settings.EXTDESK_MAIL_UNKNOWN_SENDERS == "reject":
        return _refuse_stranger(record, parsed)
    return _store_ticket(record, parsed, raw, written, sender)


def _finish(record: InboundMail, outcome: str, reason: str = "", **fields: object) -> None:
    record.outcome = outcome
    record.reason = reason[:255]
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()


def _keep_original(record: InboundMail, raw: bytes, written: list[str]) -> None:
    if not record.raw:
        record.raw.name = write_file(ContentFile(raw), written)


def _hold(record: InboundMail, raw: bytes, written: list[str], reason: str) -> None:
    _keep_original(record, raw, written)
    _finish(record, Outcome.HELD, reason)


def _record_report(record: InboundMail, parsed: ParsedMail, raw: bytes, written: list[str]) -> None:
    """A delivery report goes on the outgoing mail it is about, never into a ticket."""
    report = parsed.report
    assert report is not None
    ids = [mail_id_key(mail_id) for mail_id in report.original_message_ids if mail_id]
    bounced = OutgoingMail.objects.filter(mail_id__in=ids).order_by("-pk").first() if ids else None
    if bounced is None and (outgoing_id := own_mail_id(report.extdesk_header)) is not None:
        # A relay that rewrote the Message-ID still quotes our own header.
        bounced = OutgoingMail.objects.filter(pk=outgoing_id).first()
    detail = " ".join(part for part in (report.action, report.status, report.diagnostic) if part)
    detail = detail or "a delivery report without details"
    ticket_id = None
    if bounced is not None and report.action.lower() in ("failed", ""):
        OutgoingMail.objects.filter(pk=bounced.pk).update(bounced_at=timezone.now(), bounce=detail[:1000])
        ticket_id = (MailReference.objects.filter(mail_id=bounced.mail_id)
                     .values_list("ticket_id", flat=True).first())
    _keep_original(record, raw, written)
    about = f"about outgoing mail {bounced.pk}" if bounced is not None else "about no mail this helpdesk sent"
    _finish(record, Outcome.BOUNCE, f"{detail} ({about})", bounced=bounced, ticket_id=ticket_id)


def _refuse_stranger(record: InboundMail, parsed: ParsedMail) -> None:
    """EXTDESK_MAIL_UNKNOWN_SENDERS=reject: nothing of the mail is kept; the sender is told, once a day."""
    if parsed.automatic or routing.refusal_explained_recently(parsed.sender_address):
        reason = f"unknown sender; not answered ({parsed.automatic or 'told so within the last day'})"
    else:
        notices.unknown_sender_refused(parsed.sender_address, parsed.subject, parsed.message_id)
        reason = routing.REFUSAL_EXPLAINED
    _finish(record, Outcome.REFUSED, reason)


def _store_ticket(record: InboundMail, parsed: ParsedMail, raw: bytes, written: list[str],
                  sender: Sender) -> None:
    contact = sender.contact or _guest(sender)
    files, refused = _attachments(parsed.attachments)
    ticket = helpdesk.create_ticket(
        contact=contact, subject=_subject(parsed.subject), body=_body(parsed.text, refused, contact),
        attachments=files, channel=Channel.EMAIL,
    )
    message = ticket.messages.get()
    _thread(record, parsed, raw, written, ticket, message)
    _copy_named(parsed, sender, ticket, contact)
    if parsed.automatic:
        reason = f"no acknowledgement: {parsed.automatic}"
    elif settings.EXTDESK_MAIL_ACKNOWLEDGE:
        notifications.acknowledge(ticket.pk, refused=refused)
        reason = ""
    else:
        if refused:
            notifications.attachments_refused(message.pk, refused)
        reason = ""
    _finish(record, Outcome.TICKET, reason, contact=contact, ticket=ticket, message=message)


def _store_reply(record: InboundMail, parsed: ParsedMail, raw: bytes, written: list[str],
                 sender: Sender, ticket: Ticket) -> None:
    files, refused = _attachments(parsed.attachments)
    body = _body(parsed.new_text or parsed.text, refused, sender.contact)
    reason = f"no mail sent for it: {parsed.automatic}" if parsed.automatic else ""
    if sender.staff is not None:
        # Staff's own automatic answer (out of office) must not reach the
        # customer: it is kept as a note for staff.
        message = helpdesk.reply(ticket, author=sender.staff, body=body, attachments=files,
                                 internal=bool(parsed.automatic), channel=Channel.EMAIL)
    else:
        # Someone copied on the ticket whom the helpdesk did not know yet answers as a guest.
        contact = sender.contact or _guest(sender)
        if ticket.status == Status.CLOSED:
            if parsed.automatic:
                # An out-of-office answer to the closing notice must not reopen the ticket.
                _keep_original(record, raw, written)
                return _finish(record, Outcome.DROPPED, f"{parsed.automatic}, on closed ticket #{ticket.pk}",
                               contact=contact, ticket=ticket)
            # Answering a closed ticket's mail reopens it, as its Reopen button would.
            helpdesk.reopen_by_customer(ticket, contact=contact)
        _copy_named(parsed, sender, ticket, contact)
        message = helpdesk.reply(ticket, author=contact, body=body, attachments=files,
                                 channel=Channel.EMAIL, notify=not parsed.automatic)
    _thread(record, parsed, raw, written, ticket, message)
    if refused and not parsed.automatic:
        notifications.attachments_refused(message.pk, refused)
    _finish(record, Outcome.REPLY, reason, contact=message.author_contact, ticket=ticket, message=message)


def _copy_named(parsed: ParsedMail, sender: Sender, ticket: Ticket, contact: Contact) -> None:
    """The ticket's contact copied people on their mail (Cc, or To beside the helpdesk): so does the ticket.

    Never from an automatic mail; the sender, the helpdesk's and staff's
    addresses and anyone's but the ticket's contact are left out (helpdesk.copy_from_mail).
    """
    if parsed.automatic:
        return
    named = [address for address in (*parsed.cc_addresses, *parsed.to_addresses)
             if address.lower() != sender.address.lower()]
    helpdesk.copy_from_mail(ticket, named, contact=contact)


def _thread(record: InboundMail, parsed: ParsedMail, raw: bytes, written: list[str], ticket: Ticket,
            message: Message) -> None:
    """Keep the original and remember its Message-ID, so that answers to it thread here."""
    _keep_original(record, raw, written)
    if parsed.message_id:
        MailReference.objects.create(mail_id=mail_id_key(parsed.message_id), ticket=ticket, message=message,
                                     created_at=timezone.now())


def _guest(sender: Sender) -> Contact:
    """A new guest requester: the name and address from the mail, no account, no portal access."""
    now = timezone.now()
    return Contact.objects.create(platform_id=None, email=sender.address[:254],
                                  first_name=" ".join(sender.name.split())[:255], created_at=now,
                                  updated_at=now)


def _subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = subject[:MAX_SUBJECT_LENGTH - 1].rstrip() + "…"
    return subject or _NO_SUBJECT


def _body(text: str, refused: Sequence[RefusedAttachment], author: Contact | None) -> str:
    """The message's text, and the helpdesk's notes on it in its author's language (they read it
    in the portal; staff, who mail from their own address, in the site's)."""
    with notifications.in_language_of(author):
        text = text.replace("\x00", "").strip()
        notes = [_("[Attachment not stored: %(file)s]") % {"file": entry} for entry in refused]
        tail = ("\n\n" + "\n".join(notes)) if notes else ""
        room = MAX_BODY_LENGTH - len(tail)
        if len(text) > room:
            cut = "\n\n" + _("[The mail's text goes on; staff can read all of it in the original message.]")
            text = text[:room - len(cut)].rstrip() + cut
        return (text or _(_NO_TEXT)) + tail


class _MailPart(UploadedFile):
    """An attachment of a mail, decoded only when the store reads it.

    One attachment is decoded at a time and dropped once written, so a big
    mail's files are never all in memory at once.
    """

    def __init__(self, attachment: MailAttachment) -> None:
        super().__init__(file=None, name=attachment.filename, content_type=attachment.content_type,
                         size=attachment.size)
        self._attachment = attachment

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        data = self._attachment.payload()
        step = chunk_size or self.DEFAULT_CHUNK_SIZE
        for start in range(0, len(data), step):
            yield data[start:start + step]

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    def read(self, *args: object) -> bytes:
        return self._attachment.payload()

    def open(self, mode: str | None = None, *args: object, **kwargs: object) -> _MailPart:
        return self

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class RefusedAttachment:
    """An attachment left out of a stored mail: over ``max_bytes``, or past ``max_count`` files.

    Its ``str`` is the sentence for it in the active language ("big.iso (30.0 MB; the limit is
    10.0 MB)"), so each mail about it says it in its reader's.
    """

    name: str
    size: int
    max_bytes: int = 0
    max_count: int = 0

    def __str__(self) -> str:
        if self.max_bytes:
            return _("%(name)s (%(size)s; the limit is %(limit)s)") % {
                "name": self.name, "size": format_size(self.size), "limit": format_size(self.max_bytes)}
        return ngettext("%(name)s (only %(count)s file is kept from one mail)",
                        "%(name)s (only %(count)s files are kept from one mail)", self.max_count) % {
            "name": self.name, "count": self.max_count}


def _attachments(attachments: Sequence[MailAttachment]) -> tuple[list[UploadedFile], list[RefusedAttachment]]:
    """The attachments within the limits, and each one left out.

    Files the sender attached come before inline pictures (signature logos),
    so that the count limit keeps what matters.
    """
    max_count = settings.EXTDESK_ATTACHMENT_MAX_COUNT
    max_bytes = settings.EXTDESK_ATTACHMENT_MAX_BYTES
    kept: list[UploadedFile] = []
    refused: list[RefusedAttachment] = []
    for attachment in sorted(attachments, key=lambda a: a.inline):
        name = display_file_name(attachment.filename)
        if attachment.size == 0:
            continue
        if attachment.size > max_bytes:
            refused.append(RefusedAttachment(name, attachment.size, max_bytes=max_bytes))
        elif len(kept) >= max_count:
            refused.append(RefusedAttachment(name, attachment.size, max_count=max_count))
        else:
            kept.append(_MailPart(attachment))
    return kept, refused


# ---------------------------------------------------------------- held mail


def _held(inbound_id: int) -> InboundMail:
    record = InboundMail.objects.select_for_update().filter(pk=inbound_id).first()
    if record is None or record.outcome != Outcome.HELD:
        raise InvalidInput({"mail": _("This mail is no longer held: someone released or deleted it.")})
    return record


def release_held(inbound_id: int, *, by: User) -> InboundMail:
    """Staff release a held mail: it is stored as if it had just come in, without the holds."""
    _check_staff(by)
    with files_removed_on_failure() as written, transaction.atomic():
        record = _held(inbound_id)
        with record.raw.open("rb") as handle:
            raw = handle.read()
        parsed = parse(raw)
        record.decided_by, record.decided_at = by, timezone.now()
        _route(record, parsed, raw, written, hold=False)
    return record


def delete_held(inbound_id: int, *, by: User) -> None:
    """Staff delete a held mail: its original is removed; its record stays, so it is never taken in again."""
    _check_staff(by)
    with transaction.atomic():
        record = _held(inbound_id)
        name = record.raw.name
        _finish(record, Outcome.DELETED, record.reason, raw="", decided_by=by, decided_at=timezone.now())
        if name:
            transaction.on_commit(lambda: delete_files([name]))


def _check_staff(user: User) -> None:
    if not is_desk_user(user):
        raise NotAllowed("only active staff members may release or delete held mail")

