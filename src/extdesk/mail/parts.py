"""MIME parts of a parsed message: their structure and content, read without raising.

The email package's own accessors are avoided where they fail or copy:
``get_payload()`` decodes 8-bit text by the declared charset (and raises
ValueError for some labels), ``get_payload(decode=True)`` makes two full
copies of the encoded text before decoding, and the generator invents a
random boundary for a multipart that has none (and writes it into the
message). Content is decoded here in slices, so a 25 MiB attachment is
held once decoded, not three times.
"""

from __future__ import annotations

import binascii
import io
import re
from collections.abc import Iterator
from email.message import Message
from typing import Any

from . import fields

MAX_DEPTH = 40
_SLICE = 1 << 16
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64_ALPHABET)))
_BASE64_OR_LAYOUT = _BASE64_ALPHABET + b"= \t\r\n"
# RFC 2045 5.1: type "/" subtype, each a token.
_TYPE = re.compile(r"[a-z0-9!#$%&'*+\-.^_`|~]+/[a-z0-9!#$%&'*+\-.^_`|~]+")
# A boundary for writing a multipart whose own was never declared; fixed, so
# that an attachment's size and its payload() agree.
_WRITTEN_BOUNDARY = "extdesk-part"


def children(part: Message) -> list[Message] | None:
    """The parts inside a multipart or message/* part; None for a leaf."""
    if not part.is_multipart():
        return None
    payload: Any = part.get_payload()
    return [child for child in payload if isinstance(child, Message)]


def stored_text(part: Message) -> str:
    """A leaf's payload as the parser stored it (8-bit bytes as surrogate escapes)."""
    payload = getattr(part, "_payload", None)
    return payload if isinstance(payload, str) else ""


def content_type(part: Message) -> str:
    """Lowercase type/subtype; the type/subtype within a value with junk
    around it; text/plain (or the container's default) when there is none."""
    try:
        value = part.get_content_type()
    except Exception:
        return "application/octet-stream"
    if _TYPE.fullmatch(value):
        return value
    found = _TYPE.search(value)
    return found.group(0) if found else part.get_default_type()


def disposition(part: Message) -> str:
    """'inline', 'attachment' or '' (absent or unreadable)."""
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def has_filename(part: Message) -> bool:
    try:
        return bool(part.get_filename())
    except Exception:
        return False


def param(part: Message, name: str) -> str:
    """A Content-Type parameter's value ('' when absent or unreadable)."""
    try:
        value: Any = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value or "").strip()


def header(part: Message, name: str) -> str | None:
    """The first raw value of a header (folded, undecoded), None when absent."""
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def transfer_encoding(part: Message) -> str:
    value = header(part, "Content-Transfer-Encoding")
    return fields.unfold(value).strip().strip("\"'").lower() if value else ""


def raw_bytes(text: str) -> bytes:
    """A stored payload's bytes again: the parser read them as ASCII with
    surrogate escapes for the rest."""
    try:
        return text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def decoded_payload(part: Message, defects: list[str] | None = None) -> bytes:
    """A leaf part's content with its transfer encoding undone; for a
    message/* part, the enclosed message(s) as bytes. Never raises;
    problems are added to ``defects``."""
    # BytesIO, not b"".join: join first makes a list of every slice, holding
    # the content twice; BytesIO hands its buffer over without a copy.
    buffer = io.BytesIO()
    for chunk in decoded_chunks(part, defects):
        buffer.write(chunk)
    return buffer.getvalue()


def decoded_size(part: Message, defects: list[str] | None = None) -> int:
    """len(decoded_payload(part)) without holding the decoded content."""
    return sum(len(chunk) for chunk in decoded_chunks(part, defects))


def decoded_chunks(part: Message, defects: list[str] | None = None) -> Iterator[bytes]:
    """The decoded content in slices; problems are added to ``defects``."""
    inner = children(part)
    if inner is not None:
        for message in inner:
            yield from _written(message, 0)
        return
    text = stored_text(part)
    encoding = transfer_encoding(part)
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
        yield decoded if isinstance(decoded, bytes) else raw_bytes(text)
    else:
        for start in range(0, len(text), _SLICE):
            yield raw_bytes(text[start : start + _SLICE])


def _base64_chunks(text: str, defects: list[str] | None) -> Iterator[bytes]:
    carry = b""
    junk = False
    for start in range(0, len(text), _SLICE):
        piece = raw_bytes(text[start : start + _SLICE])
        junk = junk or bool(piece.translate(None, _BASE64_OR_LAYOUT))
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
        yield binascii.a2b_qp(raw_bytes(text[start:end]))
        start = end


def _written(message: Message, depth: int, newline: bytes | None = None) -> Iterator[bytes]:
    """A (sub)message as bytes: headers as stored, the body as received, and
    the line ends the parser took away written as the message has them."""
    if newline is None:
        newline = _line_end(message)
    for name, value in message.raw_items():
        yield raw_bytes(f"{name}: {value}") + newline
    yield newline
    inner = children(message)
    if inner is None:
        text = stored_text(message)
        for start in range(0, len(text), _SLICE):
            yield raw_bytes(text[start : start + _SLICE])
        return
    if depth >= MAX_DEPTH:
        return
    if content_type(message).startswith("message/"):
        for child in inner:
            yield from _written(child, depth + 1, newline)
        return
    try:
        boundary = message.get_boundary() or _WRITTEN_BOUNDARY
    except Exception:
        boundary = _WRITTEN_BOUNDARY
    delimiter = raw_bytes(f"--{boundary}")
    if isinstance(message.preamble, str):
        yield raw_bytes(message.preamble) + newline
    for child in inner:
        yield delimiter + newline
        yield from _written(child, depth + 1, newline)
        yield newline
    yield delimiter + b"--" + newline
    if isinstance(message.epilogue, str):
        yield raw_bytes(message.epilogue)


def _line_end(message: Message) -> bytes:
    """CRLF when the message's stored text shows it was written with CRLF."""
    for _, value in message.raw_items():
        if "\n" in str(value):
            return b"\r\n" if "\r\n" in str(value) else b"\n"
    leaf = message
    for _ in range(MAX_DEPTH):
        inner = children(leaf)
        if not inner:
            break
        leaf = inner[0]
    text = stored_text(leaf)
    first = text.find("\n", 0, 65536)
    return b"\r\n" if first > 0 and text[first - 1] == "\r" else b"\n"


def _note(defects: list[str] | None, defect: str) -> None:
    if defects is not None and defect not in defects:
        defects.append(defect)
