"""Attachments of an incoming message: names, types, and content decoded on demand.

A MailAttachment keeps a reference to its MIME part, not the decoded bytes:
the caller writes one attachment at a time to storage and drops it, so a
25 MiB mail is held once as parsed text and once per attachment being
stored, never all decoded at the same time. Decoding works in slices for
the same reason (the email package's get_payload(decode=True) makes two
more full copies of the encoded text first).
"""

from __future__ import annotations

import binascii
import io
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from typing import Any

from . import fields

_SLICE = 1 << 16
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64_ALPHABET)))
_BASE64_OR_LAYOUT = _BASE64_ALPHABET + b"= \t\r\n"
_NOT_BASE64_OR_LAYOUT = bytes(sorted(set(range(256)) - set(_BASE64_OR_LAYOUT)))

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
MAX_FILENAME = 200

# Extensions for parts without a name, where the built-in table has none or
# another first choice; the built-in table (not the machine's mime.types)
# keeps default names the same on every server.
_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "image/jpeg": ".jpg",
    "application/octet-stream": ".bin",
    "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
}
_BUILT_IN_TYPES = mimetypes.MimeTypes(filenames=())
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class MailAttachment:
    """One attachment: what it is called and is, and its content on request.

    ``filename`` is safe as the last component of a path (no separators, no
    control characters, at most MAX_FILENAME characters); ``content_type``
    is lowercase type/subtype; ``size`` is the decoded size in bytes, which
    is ``len(payload())``; ``inline`` tells that the sender meant it to be
    shown in the text (Content-Disposition inline, or a Content-ID without
    disposition); ``content_id`` is the Content-ID without angle brackets."""

    filename: str
    content_type: str
    size: int
    inline: bool
    content_id: str
    _part: Message = field(repr=False, compare=False)

    def payload(self) -> bytes:
        """The decoded content, decoded now (each call decodes again)."""
        return decoded_payload(self._part)


def decoded_payload(part: Message) -> bytes:
    """A leaf part's content with its transfer encoding undone; for a
    message/* part, the enclosed message(s) as bytes. Never raises."""
    return b"".join(decoded_chunks(part))


def decoded_size(part: Message, defects: list[str] | None = None) -> int:
    """len(decoded_payload(part)) without holding the decoded content."""
    return sum(len(chunk) for chunk in decoded_chunks(part, defects))


def decoded_chunks(part: Message, defects: list[str] | None = None) -> Iterator[bytes]:
    """The decoded content in slices; problems are added to ``defects``."""
    payload: Any = part.get_payload()
    if isinstance(payload, list):
        yield from (_message_bytes(inner) for inner in payload if isinstance(inner, Message))
        return
    # The stored text, not get_payload()'s: for 8-bit text that one is already
    # decoded by the declared charset with replacement.
    text = getattr(part, "_payload", None)
    if not isinstance(text, str):
        return
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        yield from _base64_chunks(text, defects)
    elif encoding == "quoted-printable":
        yield from _quoted_printable_chunks(text)
    elif encoding in ("x-uuencode", "uuencode", "uue", "x-uue"):
        # Rare enough to leave to the email package, whole.
        try:
            decoded = part.get_payload(decode=True)
        except Exception:
            decoded = None
        yield decoded if isinstance(decoded, bytes) else _raw_bytes(text)
    else:
        for start in range(0, len(text), _SLICE):
            yield _raw_bytes(text[start : start + _SLICE])


def _transfer_encoding(part: Message) -> str:
    for name, value in part.raw_items():
        if name.lower() == "content-transfer-encoding":
            return fields.unfold(str(value)).strip().strip("\"'").lower()
    return ""


def _raw_bytes(text: str) -> bytes:
    # The parser read the bytes as ASCII with surrogate escapes for the rest.
    try:
        return text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _base64_chunks(text: str, defects: list[str] | None) -> Iterator[bytes]:
    carry = b""
    junk = False
    for start in range(0, len(text), _SLICE):
        piece = _raw_bytes(text[start : start + _SLICE])
        junk = junk or bool(piece.translate(None, _NOT_BASE64_OR_LAYOUT))
        data = carry + piece.translate(None, _NOT_BASE64)
        whole = len(data) - len(data) % 4
        if whole:
            yield binascii.a2b_base64(data[:whole])
        carry = data[whole:]
    if len(carry) == 1:
        # One character is not a byte; base64 that ends so was cut off.
        _note(defects, "base64 content ends in the middle of a byte")
    elif carry:
        yield binascii.a2b_base64(carry + b"=" * (4 - len(carry)))
    if junk:
        _note(defects, "base64 content contains characters that are not base64; they were ignored")


def _quoted_printable_chunks(text: str) -> Iterator[bytes]:
    start = 0
    while start < len(text):
        end = min(len(text), start + _SLICE)
        if end < len(text):
            newline = text.rfind("\n", start, end)
            if newline >= start:
                end = newline + 1
            else:
                # No line end in a whole slice: do not cut an "=XX" in two.
                escape = text.rfind("=", max(start, end - 2), end)
                if escape > start:
                    end = escape
        yield binascii.a2b_qp(_raw_bytes(text[start:end]))
        start = end


def _message_bytes(message: Message) -> bytes:
    buffer = io.BytesIO()
    try:
        # compat32 writes the headers as they were stored, without refolding.
        BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(message)
    except Exception:
        # The generator has failed on broken structure before; keep the headers then.
        buffer = io.BytesIO()
        for name, value in message.raw_items():
            buffer.write(_raw_bytes(f"{name}: {value}\n"))
    return buffer.getvalue()


def _note(defects: list[str] | None, defect: str) -> None:
    if defects is not None and defect not in defects:
        defects.append(defect)


class Namer:
    """Names attachments as they are found, numbering unnamed images the
    way Outlook does (image001.png, image002.jpg, ...)."""

    def __init__(self) -> None:
        self.images = 0

    def name(self, part: Message, content_type: str) -> str:
        if content_type in TNEF_TYPES:
            # Outlook's rich-text wrapper: whatever it is called, tools know it as winmail.dat.
            return "winmail.dat"
        given = _given_name(part)
        if given:
            return given
        extension = _EXTENSIONS.get(content_type) or _BUILT_IN_TYPES.guess_extension(content_type) or ""
        if content_type.startswith("image/"):
            self.images += 1
            return f"image{self.images:03d}{extension}"
        if content_type in ("message/rfc822", "message/global"):
            subject = _enclosed_subject(part)
            if subject:
                return _safe_name(subject[:100] + extension)
        stem = {"message/rfc822": "message", "message/global": "message",
                "message/delivery-status": "delivery-status",
                "message/disposition-notification": "disposition-notification",
                "text/rfc822-headers": "original-headers"}.get(content_type, "attachment")
        return stem + extension


def _given_name(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        return ""
    # Outlook and Gmail write RFC 2047 words in quoted parameters, against
    # the RFC; some write raw 8-bit names. decode_text reads both.
    return _safe_name(fields.decode_text(str(name)))


def _safe_name(name: str) -> str:
    name = fields.without_controls(name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("", name).strip()
    if name.strip(".") == "":
        return ""
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME]
    return name


def _enclosed_subject(part: Message) -> str:
    payload: Any = part.get_payload()
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], Message):
        return ""
    for name, value in payload[0].raw_items():
        if name.lower() == "subject":
            return fields.decode_line(str(value))
    return ""
