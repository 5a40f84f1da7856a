"""Header field values of an incoming message, read without ever raising.

The values come as the email package stores them (``Message.raw_items``):
folded, RFC 2047 encoded words undecoded, 8-bit bytes as surrogate escapes.
Text is decoded here rather than by the email package's header objects so
that one decoder handles every charset, adjacent encoded words that split a
multibyte character, bad base64 and raw UTF-8 alike.
"""

from __future__ import annotations

import binascii
import functools
import re
from datetime import UTC, datetime
from email import utils
from email.headerregistry import AddressHeader, HeaderRegistry

from . import charsets

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t]*")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]+")
_WHITESPACE = re.compile(r"\s+")
_BRACKETED = re.compile(r"<([^<>]*)>")
_ID_JUNK = re.compile(r"[\s<>]+")
_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")

# The email package's own address grammar (RFC 5322 with the obsolete forms);
# a header it cannot read falls back to the older, laxer email.utils reader.
_REGISTRY = HeaderRegistry()
# Longer values go to the lax readers only: the email package's header parser
# takes time growing with the square of the length for some input. One line
# of a header may be 998 characters (RFC 5322 2.1.1).
MAX_PARSED_LENGTH = 998


def unfold(value: str) -> str:
    """One line: folding undone (RFC 5322 2.2.3), stray line breaks removed."""
    return _LINE_BREAK.sub("", _FOLD.sub("", value))


def decode_text(value: str, defects: list[str] | None = None) -> str:
    """An unstructured header value as text: unfolded, encoded words decoded
    in their charsets, raw 8-bit read as UTF-8 or windows-1252, control
    characters removed."""
    # Tabs are whitespace in a header; as control characters they would go below.
    value = unfold(value).replace("\t", " ")
    pieces: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent encoded words not yet decoded
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        if pending and _BETWEEN_WORDS.fullmatch(between):
            # RFC 2047 6.2: whitespace between adjacent encoded words is not text.
            between = ""
        else:
            _flush(pending, pieces, defects)
            pieces.append(charsets.unescape_surrogates(between))
        charset, encoding, encoded = match.groups()
        data = _word_bytes(encoding, encoded, defects)
        if data is None:
            _flush(pending, pieces, defects)
            pieces.append(charsets.unescape_surrogates(match.group(0)))
        elif pending and pending[-1][0].lower() == charset.lower():
            # Mailers split a multibyte character across two encoded words;
            # the bytes are only decodable together.
            pending[-1] = (pending[-1][0], pending[-1][1] + data)
        else:
            pending.append((charset, data))
        position = match.end()
    _flush(pending, pieces, defects)
    pieces.append(charsets.unescape_surrogates(value[position:]))
    return without_controls("".join(pieces))


def decode_line(value: str, defects: list[str] | None = None) -> str:
    """decode_text with every run of whitespace made one space (subjects)."""
    return _WHITESPACE.sub(" ", decode_text(value, defects)).strip()


def without_controls(text: str, *, keep: str = "") -> str:
    """Text without control characters (C0, DEL, C1) except those in
    ``keep``, and with lone surrogates (no database stores them) replaced."""
    if text.isprintable():
        return text
    pattern = _controls(keep)
    text = pattern.sub("", text)
    return _SURROGATES.sub("\ufffd", text)


@functools.lru_cache(maxsize=8)
def _controls(keep: str) -> re.Pattern[str]:
    removed = "".join(chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)] if chr(code) not in keep)
    return re.compile("[" + re.escape(removed) + "]")


_SURROGATES = re.compile("[\ud800-\udfff]")


def _word_bytes(encoding: str, encoded: str, defects: list[str] | None) -> bytes | None:
    raw = _to_bytes(encoded)
    if encoding in "qQ":
        # header=True: "_" is a space in the Q encoding (RFC 2047 4.2).
        return binascii.a2b_qp(raw, header=True)
    cleaned = _BASE64_JUNK.sub(b"", raw)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        data = binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except binascii.Error:
        _note(defects, "an encoded word with bad base64 was kept as written")
        return None
    if cleaned + b"=" * (-len(cleaned) % 4) != raw:
        _note(defects, "an encoded word had bad base64 padding or characters")
    return data


def _to_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _flush(pending: list[tuple[str, bytes]], pieces: list[str], defects: list[str] | None) -> None:
    for charset, data in pending:
        text, defect = charsets.decode(data, charset)
        if defect:
            _note(defects, f"header: {defect}")
        pieces.append(text)
    pending.clear()


def _note(defects: list[str] | None, defect: str) -> None:
    if defects is not None and defect not in defects:
        defects.append(defect)


def message_id(value: str | None) -> str:
    """A Message-ID without angle brackets and whitespace ('' for none)."""
    if not value:
        return ""
    value = unfold(value)
    found = _BRACKETED.search(value)
    candidate = found.group(1) if found else value
    return _clean_id(candidate)


def message_ids(values: list[str]) -> list[str]:
    """The ids of In-Reply-To or References headers, in order, each once.

    The ids in angle brackets; anything between them (comments, quoted
    dates some old mailers put in In-Reply-To) is ignored. A value without
    any brackets is read as ids separated by whitespace or commas."""
    found: list[str] = []
    for value in values:
        value = unfold(value)
        ids = _BRACKETED.findall(value)
        if not ids:
            ids = [token for token in re.split(r"[\s,]+", value) if "@" in token]
        for candidate in ids:
            cleaned = _clean_id(candidate)
            if cleaned and cleaned not in found:
                found.append(cleaned)
    return found


def _clean_id(value: str) -> str:
    # No id contains whitespace or angle brackets (RFC 5322 3.6.4); stray
    # ones are what is left of a broken header, not of the id.
    return without_controls(_ID_JUNK.sub("", value))


def addresses(values: list[str], defects: list[str] | None = None) -> list[tuple[str, str]]:
    """(display name, address) of every mailbox in the headers, in order;
    the address as written but stripped, the name decoded."""
    found: list[tuple[str, str]] = []
    for value in values:
        value = unfold(value)
        lax = {address.strip(): name for name, address in _lax_addresses(value)}
        parsed = _strict_addresses(value) if len(value) <= MAX_PARSED_LENGTH else None
        if parsed is None:
            parsed = _lax_addresses(value)
        for name, address in parsed:
            address = without_controls(charsets.unescape_surrogates(address)).strip()
            if address in ("<>", '""'):
                address = ""
            if not name:
                # "addr (Name)": the new parser has no name, the old one takes the comment.
                name = lax.get(address, "")
            found.append((decode_line(name, defects).strip('"').strip(), address))
    return found


def _strict_addresses(value: str) -> list[tuple[str, str]] | None:
    try:
        header = _REGISTRY("to", value)
        if not isinstance(header, AddressHeader):
            return None
        return [(address.display_name, address.addr_spec) for address in header.addresses]
    except Exception:
        # The email package's parser fails in many ways on broken input
        # (IndexError, HeaderParseError, ...); the lax reader does not.
        return None


def _lax_addresses(value: str) -> list[tuple[str, str]]:
    try:
        return utils.getaddresses([value])
    except Exception:
        # RecursionError for thousands of nested comment parentheses.
        return []


def usable(address: str) -> bool:
    """Whether an address can be written to: a local part and a domain."""
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and not any(ch.isspace() for ch in address)


def date(value: str | None) -> datetime | None:
    """An aware datetime; a date without a zone (-0000) is taken as UTC."""
    if not value:
        return None
    try:
        parsed = utils.parsedate_to_datetime(unfold(value).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
