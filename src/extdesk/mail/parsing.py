"""One incoming e-mail message read into what the helpdesk needs of it.

``parse`` is the entry point of the mail channel's reading side. It raises
NotAMail only for input that is no RFC 5322 message at all; anything a mail
program could send (broken MIME, unknown charsets, bad base64, undecodable
headers) becomes a ParsedMail, with what was wrong listed in ``defects``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from email.feedparser import BytesFeedParser
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy, compat32
from typing import Any

from . import attachments, charsets, classify, dedup, fields, flowed, html, parts, quotes, reports, setaside
from .attachments import MailAttachment
from .exceptions import NotAMail
from .reports import OWN_HEADER, DeliveryReport

__all__ = ["DeliveryReport", "MailAttachment", "ParsedMail", "own_mail_token", "parse"]

_FEED_SLICE = 1 << 16
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"
# A message broken in every part would otherwise list thousands.
_MAX_DEFECTS = 50
_BLANK = re.compile(rb"\s*\Z")
_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_SENDER_HEADER = re.compile(rb"(?im)^(?:from|sender|return-path)[ \t]*:")
_TOKEN_ID = re.compile(r"[0-9]{1,18}")
_BOUNDARY_PARAMETER = re.compile(rb"(?i)\bboundary\*?[ \t]*=")
# A boundary parameter (also in RFC 2231 form) or a closing delimiter line.
_BOUNDARY_EVENT = re.compile(
    rb'(?im)\bboundary\*?[ \t]*=[ \t]*("[^"\r\n]{1,200}"|[^\s;"]{1,200})|^--(\S{1,72})[ \t]*\r?$')
# RFC 2046 5.1.1: a boundary line is "--" and 1 to 70 of these characters.
_BOUNDARY_LINE = re.compile(r"^--([0-9A-Za-z'()+_,\-./:=?]{1,70})[ \t]*\r?$", re.MULTILINE)


class _TolerantPolicy(EmailPolicy):
    """email.policy.default, except that a header its parser cannot read is
    handed out as compat32 would (the raw string) instead of raising.

    The default policy builds a header object on every access, also while
    the parser looks for boundaries, and its header parser has raised
    IndexError, AttributeError and others on broken headers."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if len(value) > fields.MAX_PARSED_LENGTH:
            # The default policy's parser takes time growing with the square
            # of the length for some input (4000 quotes: about a second).
            return compat32.header_fetch_parse(name, value[:_MAX_LEGACY_LENGTH])
        return _parsed_header(name, value)


def _parse_header(name: str, value: str) -> Any:
    try:
        return EmailPolicy.header_fetch_parse(_POLICY, name, value)
    except Exception:
        return compat32.header_fetch_parse(name, value)


# The email package parses a header again on every access, and the walk over
# the parts asks for each Content-Type many times; header objects are
# immutable, so one parse per distinct value serves them all.
_parsed_header = functools.lru_cache(maxsize=512)(_parse_header)
# compat32's parameter reader is quadratic too, if cheaper; no Content-Type a
# mail program writes is longer.
_MAX_LEGACY_LENGTH = 16384

_POLICY = _TolerantPolicy()


@dataclass(frozen=True)
class ParsedMail:
    """An incoming message as the helpdesk reads it. Every text field is
    decoded, free of control characters and '' when the message has none."""

    message_id: str
    """Message-ID without angle brackets and whitespace."""
    in_reply_to: list[str]
    """Ids in In-Reply-To, normalised like message_id, in order, each once."""
    references: list[str]
    """Ids in References, the same way."""
    sender_address: str
    """From's address as written (stripped); Sender's, then Return-Path's
    when From has no usable one."""
    sender_name: str
    """From's display name, decoded."""
    reply_to_address: str
    """The first usable Reply-To address."""
    to_addresses: list[str]
    cc_addresses: list[str]
    subject: str
    """Decoded, whitespace runs made one space."""
    date: datetime | None
    """The Date header, timezone-aware; None when absent or unreadable."""
    text: str
    """The readable body: the text/plain part(s), else the HTML part as text;
    LF line ends, format=flowed unwrapped."""
    new_text: str
    """``text`` without quoted history and signature (quotes.new_text)."""
    attachments: list[MailAttachment]
    automatic: str
    """Why no automatic answer may be sent to this mail ('' when one may)."""
    is_spam: bool
    report: DeliveryReport | None
    """What the mail reports when it is a bounce or read receipt."""
    extdesk_header: str
    """The top-level X-Extdesk-Mail value, stripped ('' when absent)."""
    headers: list[tuple[str, str]]
    """Every top-level header as (name, decoded value), in order."""
    defects: list[str]
    """What was wrong with the message, one short sentence each."""
    dedup_key: str
    """Hex SHA-256, the same for one message however delivered (dedup.py)."""


def own_mail_token(value: str) -> tuple[str, int | None]:
    """An X-Extdesk-Mail value split into (installation token, outgoing mail
    id); the id is None when absent or not a number, the token '' for an
    empty value."""
    words = value.split()
    if not words:
        return "", None
    number = int(words[1]) if len(words) > 1 and _TOKEN_ID.fullmatch(words[1]) else None
    return words[0], number


def parse(raw: bytes, *, max_bytes: int | None = None) -> ParsedMail:
    """Read one RFC 5322 message. Raises NotAMail for input that is none
    (empty, no header block, no From/Sender/Return-Path, NUL bytes among the
    headers, or larger than ``max_bytes``)."""
    if raw.startswith(_BYTE_ORDER_MARK):
        # Saved by a Windows editor; no MTA sends it, but it is still a mail.
        raw = raw[len(_BYTE_ORDER_MARK) :]
    _check_is_mail(raw, max_bytes)
    defects: list[str] = []
    # The key first: its slices are gone before the parsed tree is built.
    key_id = fields.message_id(_first_raw_header(raw, b"message-id"))
    key = dedup.dedup_key(raw, key_id)
    message = _message_tree(raw, defects)
    _collect_tree_defects(message, defects)
    _recover_boundaries(message, defects)

    headers = [(name, fields.decode_text(str(value), defects)) for name, value in message.raw_items()]
    sender_address, sender_name = _sender(message, defects)
    date_value = _raw_first(message, "Date")
    date = fields.date(date_value)
    if date_value is not None and date is None:
        defects.append("the Date header is not a date")
    subject = fields.decode_line(_raw_first(message, "Subject") or "", defects)

    body = _Body(defects)
    body.walk(message)
    text = body.text(message)
    return ParsedMail(
        message_id=fields.message_id(_raw_first(message, "Message-ID")),
        in_reply_to=fields.message_ids(_raw_all(message, "In-Reply-To")),
        references=fields.message_ids(_raw_all(message, "References")),
        sender_address=sender_address,
        sender_name=sender_name,
        reply_to_address=_first_usable(fields.addresses(_raw_all(message, "Reply-To"), defects)),
        to_addresses=_usable_addresses(message, "To", defects),
        cc_addresses=_usable_addresses(message, "Cc", defects),
        subject=subject,
        date=date,
        text=text,
        new_text=quotes.new_text(text, subject),
        attachments=body.attachments,
        automatic=classify.automatic_reason(headers, sender_address),
        is_spam=classify.is_spam(headers),
        report=reports.delivery_report(message, sender_address=sender_address, subject=subject,
                                       text=text),
        extdesk_header=fields.without_controls(fields.unfold(_raw_first(message, OWN_HEADER) or "")).strip(),
        headers=headers,
        defects=defects if len(defects) <= _MAX_DEFECTS else [
            *defects[:_MAX_DEFECTS], f"and {len(defects) - _MAX_DEFECTS} more problems"],
        dedup_key=key,
    )


def _check_is_mail(raw: bytes, max_bytes: int | None) -> None:
    if max_bytes is not None and len(raw) > max_bytes:
        raise NotAMail(f"the message is {len(raw)} bytes, more than the limit of {max_bytes}")
    if _BLANK.match(raw):
        raise NotAMail("the input is empty")
    header_end, _ = dedup.split_header_block(raw)
    start = dedup.after_mbox_line(raw)
    block = memoryview(raw)[start:header_end]
    if not _HEADER_LINE.match(block):
        raise NotAMail("the input does not begin with a header block")
    if raw.find(b"\0", start, header_end) >= 0:
        raise NotAMail("the header block contains NUL bytes: binary data, not a mail")
    if not _SENDER_HEADER.search(block):
        raise NotAMail("the input has no From, Sender or Return-Path header")


def _first_raw_header(raw: bytes, name: bytes) -> str | None:
    """One header's raw value read from the bytes, before the tree exists."""
    header_end, _ = dedup.split_header_block(raw)
    found = re.search(rb"(?im)^" + re.escape(name) + rb"[ \t]*:(.*(?:\r?\n[ \t].*)*)",
                      memoryview(raw)[:header_end])
    return found.group(1).decode("ascii", "surrogateescape") if found else None


def _message_tree(raw: bytes, defects: list[str]) -> Message:
    """The MIME tree, by the default policy where it can read the message."""
    aside = setaside.SetAside(raw)
    depth = _boundary_depth(aside.reduced)
    if depth > parts.MAX_DEPTH:
        # The email package's time grows with the nesting for every line, and
        # it recurses once per level; no mail program nests this deep.
        defects.append(f"multiparts nested {depth} deep; the body is kept as one text")
    else:
        for policy in (_POLICY, compat32):
            parser = BytesFeedParser(policy=policy)
            try:
                # In slices: parsebytes() would first decode a copy of the whole message.
                for start in range(0, len(aside.reduced), _FEED_SLICE):
                    parser.feed(aside.reduced[start : start + _FEED_SLICE])
                message = parser.close()
            except Exception as problem:
                # A parser bug on broken input; compat32 reads headers more simply.
                defects.append(f"the MIME structure could not be read ({type(problem).__name__})")
                continue
            aside.restore(message)
            return message
    # The headers at least; the body stays one text part.
    message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    message.set_payload(raw[dedup.split_header_block(raw)[1] :].decode("ascii", "surrogateescape"))
    return message


def _boundary_depth(data: bytes) -> int:
    """How deep the declared multipart boundaries nest, read from the lines
    alone (a boundary is open from its declaration to its closing line)."""
    declarations = len(_BOUNDARY_PARAMETER.findall(data))
    if declarations <= parts.MAX_DEPTH:
        return declarations  # they cannot nest deeper than there are of them
    open_boundaries: list[bytes] = []
    deepest = 0
    for match in _BOUNDARY_EVENT.finditer(data):
        declared, delimiter = match.group(1), match.group(2)
        if declared is not None:
            open_boundaries.append(declared.strip(b'"').rpartition(b"'")[2])
            deepest = max(deepest, len(open_boundaries))
        elif delimiter is not None and delimiter.endswith(b"--"):
            closed = delimiter[:-2]
            if closed in open_boundaries:
                del open_boundaries[open_boundaries.index(closed):]
    return deepest


def _recover_boundaries(part: Message, defects: list[str], depth: int = 0) -> None:
    """Multiparts whose boundary was never declared, or declared wrong, read
    by the first boundary-like line of their text (the email package keeps
    such a part as one text, MIME lines and base64 included)."""
    inner_parts = parts.children(part)
    if inner_parts is not None:
        if depth < parts.MAX_DEPTH:
            for child in inner_parts:
                _recover_boundaries(child, defects, depth + 1)
        return
    if not parts.content_type(part).startswith("multipart/"):
        return
    text = parts.stored_text(part)
    found = _BOUNDARY_LINE.search(text)
    if found is None:
        return
    boundary = found.group(1)
    head = f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'.encode("ascii")
    try:
        inner = _message_tree(head + parts.raw_bytes(text), [])
    except Exception:
        return
    children: list[Message | str] = list(parts.children(inner) or [])
    if children:
        part.set_payload(children)
        defects.append(f"a multipart's boundary was missing or wrong; read by the line --{boundary}")


def _collect_tree_defects(message: Message, defects: list[str], where: str = "message",
                          depth: int = 0) -> None:
    for defect in getattr(message, "defects", []):
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__).lower().removesuffix(" defect")
        # The email package's detail may quote the broken line, bytes and all.
        detail = fields.decode_line(str(defect))
        if detail and detail.lower() not in words:
            words = f"{words}: {detail[:120]}"
        text = f"{where}: {words}"
        if text not in defects:
            defects.append(text)
    if depth >= parts.MAX_DEPTH:
        return
    for index, child in enumerate(parts.children(message) or [], 1):
        place = f"part {index}" if where == "message" else f"{where}.{index}"
        _collect_tree_defects(child, defects, place, depth + 1)


def _raw_all(message: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def _raw_first(message: Message, name: str) -> str | None:
    values = _raw_all(message, name)
    return values[0] if values else None


def _first_usable(found: list[tuple[str, str]]) -> str:
    return next((address for _, address in found if fields.usable(address)), "")


def _usable_addresses(message: Message, name: str, defects: list[str]) -> list[str]:
    found: list[str] = []
    for _, address in fields.addresses(_raw_all(message, name), defects):
        if fields.usable(address) and address not in found:
            found.append(address)
    return found


def _sender(message: Message, defects: list[str]) -> tuple[str, str]:
    from_values = _raw_all(message, "From")
    from_entries = fields.addresses(from_values, defects)
    name = next((entry_name for entry_name, _ in from_entries if entry_name), "")
    for header in ("From", "Sender", "Return-Path"):
        entries = from_entries if header == "From" else fields.addresses(_raw_all(message, header), defects)
        for entry_name, address in entries:
            if fields.usable(address):
                return address, name or entry_name
        if header == "From" and from_values:
            defects.append("the From header has no usable address")
    return "", name


class _Body:
    """One walk over the tree: which leaves are the text, which attachments."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[MailAttachment] = []
        self._namer = attachments.Namer()
        self._texts: dict[int, str] = {}
        self._inline_text_files: list[Message] = []

    def walk(self, part: Message, depth: int = 0, *, root: bool = True) -> None:
        content_type = parts.content_type(part)
        children = parts.children(part)
        if content_type.startswith("message/") or (children is None and not self._is_text(part, root)):
            self._attach(part, content_type)
            return
        if children is None:
            return
        if depth >= parts.MAX_DEPTH:
            self.defects.append(f"parts nested deeper than {parts.MAX_DEPTH} levels were left out")
            return
        for child in children:
            self.walk(child, depth + 1, root=False)

    def _is_text(self, part: Message, root: bool) -> bool:
        """Whether a leaf is (a candidate for) the readable text."""
        if self._kind(part) is None:
            return False
        disposition = parts.disposition(part)
        if disposition == "attachment":
            return False
        # A named text part is a file (notes.txt) unless it is the whole message.
        return root or not parts.has_filename(part)

    @staticmethod
    def _kind(part: Message) -> str | None:
        content_type = parts.content_type(part)
        if content_type == "text/html":
            return "html"
        if content_type == "text/plain" or content_type.startswith("multipart/"):
            # A multipart whose boundary never came is one text (the parser kept it whole).
            return "plain"
        return None

    def _attach(self, part: Message, content_type: str) -> None:
        content_id_value = part.get("Content-ID")
        content_id = fields.message_id(str(content_id_value)) if content_id_value is not None else ""
        disposition = parts.disposition(part)
        if disposition != "attachment" and content_type == "text/plain":
            self._inline_text_files.append(part)
        self.attachments.append(MailAttachment(
            filename=self._namer.name(part, content_type),
            content_type=content_type,
            size=parts.decoded_size(part, self.defects),
            inline=disposition == "inline" or (not disposition and bool(content_id)),
            content_id=content_id,
            _part=part,
        ))

    def text(self, message: Message) -> str:
        for want in ("plain", "html"):
            found = self._bodies(message, want, root=True)
            if found:
                return "\n\n".join(found)
        # A mail whose only text is named text files not marked as attachments
        # (notes.txt shown in the mail program's window) reads as them; they
        # stay attachments too.
        named = (self._leaf_text(part) for part in self._inline_text_files)
        return "\n\n".join(text for text in named if text.strip())

    def _bodies(self, part: Message, want: str, *, root: bool = False, depth: int = 0) -> list[str]:
        """The non-blank texts of kind ``want`` below ``part``: all of them in
        a multipart/mixed (or related, signed, report), the first
        alternative that has one in a multipart/alternative."""
        children = parts.children(part)
        content_type = parts.content_type(part)
        if children is not None:
            if content_type.startswith("message/") or depth >= parts.MAX_DEPTH:
                return []
            if content_type == "multipart/alternative":
                for child in children:
                    found = self._bodies(child, want, depth=depth + 1)
                    if found:
                        return found
                return []
            return [text for child in children for text in self._bodies(child, want, depth=depth + 1)]
        if self._kind(part) != want or not self._is_text(part, root):
            return []
        text = self._leaf_text(part)
        return [text] if text.strip() else []

    def _leaf_text(self, part: Message) -> str:
        cached = self._texts.get(id(part))
        if cached is not None:
            return cached
        data = parts.decoded_payload(part, self.defects)
        try:
            charset = part.get_content_charset()
        except Exception:
            charset = None
        text, defect = charsets.decode(data, charset)
        del data
        if defect:
            self.defects.append(f"{parts.content_type(part)}: {defect}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if self._kind(part) == "html":
            text = html.html_to_text(text)
        elif parts.param(part, "format").lower() == "flowed":
            text = flowed.unflow(text, delsp=parts.param(part, "delsp").lower() == "yes")
        text = fields.without_controls(text, keep="\t\n").strip("\n").rstrip()
        self._texts[id(part)] = text
        return text

