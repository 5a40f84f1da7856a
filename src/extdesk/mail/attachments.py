"""Attachments of an incoming message: names, types, and content decoded on demand.

A MailAttachment keeps a reference to its MIME part, not the decoded bytes:
the caller writes one attachment at a time to storage and drops it, so a
25 MiB mail is held once as parsed text and once per attachment being
stored, never all decoded at the same time.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message

from . import fields, parts

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
_NAME_PARAMETER = re.compile(r'(?:^|;)\s*(?:file)?name\s*=\s*(?:"([^"]*)"|([^\s;"]+))', re.IGNORECASE)
_UNESCAPED_BACKSLASH = re.compile(r'\\[^"\\]')
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
        return parts.decoded_payload(self._part)


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
    name = _windows_path(part)
    if name is None:
        try:
            name = part.get_filename()
        except Exception:
            name = None
    if not name:
        # A name the email package cannot read as a parameter value (an
        # unquoted encoded word, say) is still the name the sender gave.
        name = _raw_name(part)
    # Outlook and Gmail write RFC 2047 words in quoted parameters, against
    # the RFC; some write raw 8-bit names. decode_text reads both.
    return _safe_name(fields.decode_text(str(name))) if name else ""


def _windows_path(part: Message) -> str | None:
    """A quoted name with backslashes as written: Windows programs send
    C:\\Users\\x.pdf unescaped, which the quoted-string rules read as C:Usersx.pdf."""
    for found in _name_parameters(part):
        if found.group(1) is not None and _UNESCAPED_BACKSLASH.search(found.group(1)):
            return found.group(1)
    return None


def _raw_name(part: Message) -> str:
    for found in _name_parameters(part):
        return found.group(1) if found.group(1) is not None else found.group(2)
    return ""


def _name_parameters(part: Message) -> list[re.Match[str]]:
    """filename= (then name=) parameters as written, Content-Disposition first."""
    found: list[re.Match[str]] = []
    for header in ("Content-Disposition", "Content-Type"):
        value = parts.header(part, header)
        if value:
            found.extend(_NAME_PARAMETER.finditer(fields.unfold(value)))
    return found


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
    inner = parts.children(part)
    subject = parts.header(inner[0], "Subject") if inner else None
    return fields.decode_line(subject) if subject else ""
