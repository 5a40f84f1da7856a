"""Delivery reports: which of our mails did not arrive, for whom, and why.

Read from a multipart/report (RFC 6522) with a message/delivery-status
part (RFC 3464) or a message/disposition-notification part (RFC 8098),
and from the bounces older MTAs write as plain text with the original
attached. The original is found by its Message-ID and by the
X-Extdesk-Mail header our outgoing mail carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from . import fields, parts

OWN_HEADER = "X-Extdesk-Mail"
# Headers of the original kept in DeliveryReport.original_headers.
ORIGINAL_HEADERS = ("Message-ID", OWN_HEADER, "Subject", "From", "To", "Date")
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_REPLY = re.compile(r"\b[45]\d\d[ -]")
_DELAYED = re.compile(r"\b(?:delayed|delay|warning|still\s+undelivered|not\s+(?:yet\s+)?been\s+delivered"
                      r"\s+yet|will\s+(?:retry|keep\s+trying))\b", re.IGNORECASE)
# "<user@example.com>: host said ..." (Postfix) or the address alone on its line (Exim, Sendmail).
_FAILED_RECIPIENT = re.compile(r'^\s*(?:<([^\s<>@"]+@[^\s<>@"]+)>\s*(?::.*)?|([^\s<>@"]+@[^\s<>@"]+))\s*$')
_COPIED_HEADER = re.compile(r"^[ \t>]*(Message-ID|X-Extdesk-Mail)[ \t]*:[ \t]*(\S.*?)\s*$",
                            re.IGNORECASE | re.MULTILINE)
_MAX_TEXT = 1000
_MAX_RECIPIENTS = 100


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery report says about one of the messages we sent.

    ``original_message_ids``: Message-IDs of the message the report is
    about (normalised like ParsedMail.message_id). ``original_headers``:
    those of ORIGINAL_HEADERS the attached original (or its copied headers)
    carries, by those names, decoded. ``recipients``: the addresses it
    reports on. ``action``: "failed", "delayed", "delivered", "relayed",
    "expanded" (RFC 3464), or for a read receipt the disposition
    ("displayed", "deleted", ...). ``status``: the enhanced status code
    ("5.1.1", '' if none). ``diagnostic``: the remote server's words.
    ``kind``: "delivery-status", "disposition-notification" (a read
    receipt), or "bounce" (an MTA's plain-text report, read from its text)."""

    original_message_ids: list[str]
    original_headers: dict[str, str]
    recipients: list[str]
    action: str
    status: str
    diagnostic: str
    kind: str = field(default="delivery-status")

    @property
    def extdesk_header(self) -> str:
        """The original's X-Extdesk-Mail value ('' when it carried none)."""
        return self.original_headers.get(OWN_HEADER, "")


def _children(part: Message) -> list[Message]:
    return parts.children(part) or []


def _report_part(message: Message, depth: int = 0) -> Message | None:
    """The multipart/report at the top or inside containers (not inside an
    attached message: a forwarded bounce is not ours to act on)."""
    content_type = parts.content_type(message)
    if content_type == "multipart/report":
        return message
    if not content_type.startswith("multipart/") or depth > parts.MAX_DEPTH:
        return None
    for child in _children(message):
        found = _report_part(child, depth + 1)
        if found is not None:
            return found
    return None


def _leaves(part: Message, depth: int = 0) -> list[Message]:
    """The parts below ``part``, not looking inside message/* parts."""
    found: list[Message] = []
    for child in _children(part):
        found.append(child)
        if parts.content_type(child).startswith("multipart/") and depth < parts.MAX_DEPTH:
            found.extend(_leaves(child, depth + 1))
    return found


def _field_blocks(part: Message) -> list[dict[str, str]]:
    """The field groups of a delivery-status or disposition part, each a dict
    of lowercase field name to its first value, unfolded."""
    children = _children(part)
    if children:
        # The email package reads each group of a delivery-status as a message of headers.
        return [_fields_of(child) for child in children]
    text = parts.decoded_payload(part).decode("utf-8", "replace")
    blocks: list[dict[str, str]] = []
    for group in re.split(r"\r?\n[ \t]*\r?\n", text):
        parsed = BytesHeaderParser(policy=compat32).parsebytes(group.strip().encode("utf-8"))
        block = _fields_of(parsed)
        if block:
            blocks.append(block)
    return blocks


def _fields_of(message: Message) -> dict[str, str]:
    block: dict[str, str] = {}
    for name, value in message.raw_items():
        block.setdefault(name.strip().lower(), fields.decode_line(str(value)))
    return block


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text[:_MAX_TEXT]


def _typed_address(value: str) -> str:
    """rfc822;user@example.com -> user@example.com."""
    kind, semicolon, address = value.partition(";")
    return (address if semicolon else kind).strip().strip("<>").strip()


def _original_headers(report: Message) -> dict[str, str]:
    for part in _leaves(report):
        content_type = parts.content_type(part)
        if content_type in ("message/rfc822", "message/global"):
            inner = _children(part)
            if inner:
                return _selected_headers(inner[0])
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            data = parts.decoded_payload(part).lstrip(b"\r\n")
            return _selected_headers(BytesHeaderParser(policy=compat32).parsebytes(data))
    return {}


def _selected_headers(message: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    wanted = {name.lower(): name for name in ORIGINAL_HEADERS}
    for name, value in message.raw_items():
        key = wanted.get(name.strip().lower())
        if key and key not in found:
            found[key] = fields.decode_line(str(value))[:_MAX_TEXT]
    return found


def _ids(headers: dict[str, str], *more: str) -> list[str]:
    ids: list[str] = []
    for value in (headers.get("Message-ID", ""), *more):
        normalised = fields.message_id(value)
        if normalised and normalised not in ids:
            ids.append(normalised)
    return ids


def delivery_report(message: Message, *, sender_address: str, subject: str,
                    text: str) -> DeliveryReport | None:
    """The report a message is, or None when it is none.

    ``text`` is the message's readable text (ParsedMail.text); a classic
    bounce's recipients, status and the copy of the original's headers
    some MTAs put in the text are read from it."""
    report = _report_part(message)
    if report is not None:
        found = _standard_report(report)
        if found is not None:
            return found
    local_part = sender_address.rpartition("@")[0].lower()
    if local_part in _BOUNCE_SENDERS:
        return _classic_bounce(message if report is None else report, subject, text)
    return None


def _standard_report(report: Message) -> DeliveryReport | None:
    headers = _original_headers(report)
    for part in _leaves(report):
        content_type = parts.content_type(part)
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            return _delivery_status(_field_blocks(part), headers)
        if content_type in ("message/disposition-notification", "message/global-disposition-notification"):
            return _disposition(_field_blocks(part), headers)
    return None


def _delivery_status(blocks: list[dict[str, str]], headers: dict[str, str]) -> DeliveryReport:
    recipients_blocks = [block for block in blocks
                         if {"final-recipient", "original-recipient", "action"} & block.keys()]
    recipients: list[str] = []
    for block in recipients_blocks:
        address = _typed_address(block.get("final-recipient") or block.get("original-recipient", ""))
        if address and address not in recipients and len(recipients) < _MAX_RECIPIENTS:
            recipients.append(address)
    chosen = next((block for block in recipients_blocks if block.get("action", "").lower() == "failed"),
                  recipients_blocks[0] if recipients_blocks else {})
    status = chosen.get("status", "")
    code = _STATUS.search(status)
    diagnostic = chosen.get("diagnostic-code", "")
    kind, semicolon, words = diagnostic.partition(";")
    if semicolon and kind.strip().lower() in ("smtp", "x-unix", "x-postfix", "x-local"):
        diagnostic = words
    return DeliveryReport(
        original_message_ids=_ids(headers),
        original_headers=headers,
        recipients=recipients,
        action=_short(chosen.get("action", "")).lower().split(" ")[0] if chosen.get("action") else "",
        status=code.group(1) if code else _short(status)[:32],
        diagnostic=_short(diagnostic),
    )


def _disposition(blocks: list[dict[str, str]], headers: dict[str, str]) -> DeliveryReport:
    merged: dict[str, str] = {}
    for block in blocks:
        for key, value in block.items():
            merged.setdefault(key, value)
    # Disposition: manual-action/MDN-sent-manually; displayed
    disposition = merged.get("disposition", "").partition(";")[2].strip().lower()
    action = disposition.split("/")[0].strip()
    recipient = _typed_address(merged.get("final-recipient") or merged.get("original-recipient", ""))
    return DeliveryReport(
        original_message_ids=_ids(headers, merged.get("original-message-id", "")),
        original_headers=headers,
        recipients=[recipient] if recipient else [],
        action=_short(action)[:40],
        status="",
        diagnostic=_short(merged.get("failure", "") or merged.get("error", "")),
        kind="disposition-notification",
    )


def _classic_bounce(message: Message, subject: str, text: str) -> DeliveryReport | None:
    headers = _original_headers(message)
    if not headers:
        # Some MTAs (qmail, old Exchange) copy the original below their text.
        for match in _COPIED_HEADER.finditer(text):
            name = OWN_HEADER if match.group(1).lower() == OWN_HEADER.lower() else "Message-ID"
            headers.setdefault(name, _short(match.group(2)))
    if not headers:
        return None
    recipients: list[str] = []
    diagnostic = ""
    for line in text.splitlines()[:400]:
        found = _FAILED_RECIPIENT.match(line)
        if found and not line.lstrip().startswith(">"):
            address = (found.group(1) or found.group(2)).rstrip(".,;:")
            if address not in recipients and len(recipients) < _MAX_RECIPIENTS:
                recipients.append(address)
        if not diagnostic and (_STATUS.search(line) or _SMTP_REPLY.search(line)):
            diagnostic = _short(line)
    status = _STATUS.search(diagnostic or text[:20000])
    delayed = _DELAYED.search(subject) or _DELAYED.search(text[:2000])
    return DeliveryReport(
        original_message_ids=_ids(headers),
        original_headers=headers,
        recipients=recipients,
        action="delayed" if delayed else "failed",
        status=status.group(1) if status else "",
        diagnostic=diagnostic,
        kind="bounce",
    )
