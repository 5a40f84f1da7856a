"""Queueing and sending mail.

A message is queued in the transaction of the change it reports, so a
rolled-back change queues nothing and a committed one never loses its mail;
it is sent right after the commit, and whatever could not be sent then is
retried by ``extdesk send-queued-mail`` with a growing delay.

Delivery is at least once: a sender that dies after the mail server accepted
a message but before recording it leaves the message to be sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .identity import OWN_MAIL_HEADER, closing, make_mail_id, own_mail_header, sender
from .models import OutgoingMail
from .selectors import due_ids

log = logging.getLogger("extdesk.mail")

# How long a sender holds a message it took: well beyond the SMTP timeout, so
# that nobody else takes it while it is being sent.
CLAIM_SECONDS = 600
MAX_RETRY_DELAY = timedelta(hours=6)
_ERROR_LENGTH = 1000


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    given_up: int = 0
    # Not due any more when its turn came: sent or taken by another sender meanwhile.
    skipped: int = 0

    def count(self, outcome: str) -> None:
        field = outcome.replace(" ", "_")
        setattr(self, field, getattr(self, field) + 1)

    def __str__(self) -> str:
        return (f"sent {self.sent}, to retry {self.retrying}, given up {self.given_up}, "
                f"taken by another sender {self.skipped}")


# RFC 3834's answers to "is this mail a person's?": a notice, or an answer to a mail that came in.
AUTO_SUBMITTED_VALUES = ("auto-generated", "auto-replied")
# Headers the outbox writes itself: a caller's would be sent twice, or replace the outbox's.
_OWN_HEADERS = frozenset(name.lower() for name in (
    "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Reply-To", "Auto-Submitted",
    OWN_MAIL_HEADER, "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
))
# Everything str.splitlines() breaks at: the email package folds and parses
# on some of these besides CR and LF, so none may reach a header.
_LINE_BREAKS = frozenset("\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _checked_headers(headers: Sequence[tuple[str, str]]) -> list[list[str]]:
    """The caller's headers as stored pairs; ValueError for one that could inject or clash."""
    checked: list[list[str]] = []
    seen: set[str] = set()
    for name, value in headers:
        if not name or not all(33 <= ord(c) <= 126 and c != ":" for c in name):
            raise ValueError(f"{name!r} is not a header name")
        if name.lower() in _OWN_HEADERS:
            raise ValueError(f"the outbox sets {name} itself")
        if name.lower() in seen:
            raise ValueError(f"header {name} given twice")
        if any(c in _LINE_BREAKS for c in value):
            raise ValueError(f"the value of header {name} holds a line break")
        seen.add(name.lower())
        checked.append([name, value])
    return checked


def enqueue(subject: str, body: str, recipients: Iterable[str], about: str, *,
            cc: Iterable[str] = (), headers: Sequence[tuple[str, str]] = (),
            auto_submitted: str = "auto-generated") -> OutgoingMail | None:
    """Queue a message (in the caller's transaction) and send it once that commits.

    Its Message-ID is fixed now (``mail_id``), so the caller can record what
    replies to it will name. ``headers`` (threading: In-Reply-To,
    References) are sent as given, after Reply-To (the helpdesk's address),
    ``Auto-Submitted: <auto_submitted>`` and X-Extdesk-Mail, which marks it
    as this installation's own should it come back. A header with a line
    break in its value, or one the outbox writes itself, is a ValueError.
    The body ends with the brand's name (EXTDESK_BRAND_NAME) as its closing line.
    Each recipient once, whatever the case of its spelling (two staff
    members sharing a mailbox get one mail); ``cc`` get a copy (the Cc header,
    and RCPT TO): once each, and not when already a recipient; without
    recipients nothing is queued.
    """
    if auto_submitted not in AUTO_SUBMITTED_VALUES:
        raise ValueError(f"Auto-Submitted must be one of {', '.join(AUTO_SUBMITTED_VALUES)}")
    extra = _checked_headers(headers)
    seen: set[str] = set()
    to = sorted(_once(recipients, seen))
    if not to:
        log.info("no recipient for %s", about)
        return None
    copies = _once(cc, seen)
    # The subject is the helpdesk's own text around a ticket's subject; a
    # line break there would fail every sending attempt, so it becomes a space.
    subject = " ".join(subject.replace("\x00", "").split())
    now = timezone.now()
    stored = [
        *extra,
        ["Reply-To", settings.DEFAULT_FROM_EMAIL],
        ["Auto-Submitted", auto_submitted],
    ]
    mail = OutgoingMail.objects.create(
        recipients=to, cc=copies, subject=subject, body=closing(body), about=about[:200],
        mail_id=make_mail_id(), headers=stored, created_at=now, next_attempt_at=now,
    )
    # The header names the row, so its id is known only now.
    mail.headers = [*stored, [OWN_MAIL_HEADER, own_mail_header(mail.pk)]]
    mail.save(update_fields=["headers"])
    # robust: whatever goes wrong (the database gone too) is logged and the message stays queued;
    # the change is committed and its request must not fail now.
    transaction.on_commit(lambda: deliver(mail.pk), robust=True)
    return mail


def _once(addresses: Iterable[str], seen: set[str]) -> list[str]:
    """``addresses`` without the empty ones and those in ``seen`` (lower-cased), which it extends."""
    kept: list[str] = []
    for address in addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            kept.append(address)
    return kept


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: doubling from EXTDESK_MAIL_RETRY_SECONDS."""
    first = settings.EXTDESK_MAIL_RETRY_SECONDS
    return min(timedelta(seconds=first * 2 ** min(attempts - 1, 20)), MAX_RETRY_DELAY)


def _claim(mail_id: int, now: datetime) -> bool:
    """Take the message if it is still due; one conditional UPDATE, so only one sender wins."""
    taken = OutgoingMail.objects.filter(
        pk=mail_id, sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    return taken == 1


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or "no detail"
    return f"{type(exc).__name__}: {text}"[:_ERROR_LENGTH]


def deliver(mail_id: int) -> str:
    """Try to send one message now, if it is due and nobody else has it.

    Returns "sent", "retrying", "given up" or "skipped" (not due, or taken by
    another sender).
    """
    if not _claim(mail_id, timezone.now()):
        return "skipped"
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        _message(mail).send()
    except Exception as exc:
        return _record_failure(mail, exc)
    OutgoingMail.objects.filter(pk=mail.pk).update(sent_at=timezone.now(), last_error="")
    return "sent"


def _message(mail: OutgoingMail) -> EmailMessage:
    headers = {name: value for name, value in mail.headers}
    # Mail queued before Message-IDs were fixed at queue time gets Django's own.
    if mail.mail_id:
        headers["Message-ID"] = f"<{mail.mail_id}>"
    return EmailMessage(subject=mail.subject, body=mail.body, from_email=sender(),
                        to=mail.recipients, cc=mail.cc, headers=headers)


def _record_failure(mail: OutgoingMail, exc: Exception) -> str:
    error = _describe(exc)
    now = timezone.now()
    maximum = settings.EXTDESK_MAIL_MAX_ATTEMPTS
    # The body is never logged: it is a customer's conversation.
    if mail.attempts >= maximum:
        OutgoingMail.objects.filter(pk=mail.pk).update(failed_at=now, last_error=error)
        log.error("could not send mail %d about %s to %s (attempt %d of %d; giving up, kept as failed): %s",
                  mail.pk, mail.about, ", ".join(mail.recipients), mail.attempts, maximum, error)
        return "given up"
    retry_at = now + retry_delay(mail.attempts)
    OutgoingMail.objects.filter(pk=mail.pk).update(next_attempt_at=retry_at, last_error=error)
    log.error("could not send mail %d about %s to %s (attempt %d of %d; next try at %s): %s",
              mail.pk, mail.about, ", ".join(mail.recipients), mail.attempts, maximum,
              f"{retry_at:%Y-%m-%d %H:%M:%S}Z", error)
    return "retrying"


def send_due(batch: int = 100) -> SendReport:
    """Send every message that is due now; a batch at a time, until none is left."""
    report = SendReport()
    tried: set[int] = set()
    while True:
        ids = [pk for pk in due_ids(timezone.now(), batch) if pk not in tried]
        if not ids:
            return report
        for mail_id in ids:
            tried.add(mail_id)
            report.count(deliver(mail_id))


def retry_now(mail_ids: Iterable[int]) -> SendReport:
    """Make unsent messages (failed ones too) due at once, and try them."""
    ids = list(mail_ids)
    OutgoingMail.objects.filter(pk__in=ids, sent_at__isnull=True).update(
        failed_at=None, next_attempt_at=timezone.now()
    )
    report = SendReport()
    for mail_id in ids:
        report.count(deliver(mail_id))
    return report
