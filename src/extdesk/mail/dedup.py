"""A key that is the same for one message however it reached us.

A message can arrive twice: piped in by the MTA and fetched again over
IMAP, or redelivered after a timeout. On the way the MTA and the delivery
agent add or change trace headers (Received, Return-Path, Delivered-To,
mailbox status headers, spam-filter verdicts) and may turn CRLF line ends
into LF; a mailbox adds an mbox "From " line. None of that is the
message, so the key hashes the Message-ID together with everything else:
the remaining headers in order, unfolded, and the body, with line ends
made LF and trailing line ends dropped.

The Message-ID alone would not do: senders reuse one for different
messages (broken scripts, "resend" buttons, a forged id), and a reply
mistaken for a duplicate is lost. Two messages with one Message-ID and
different content therefore get different keys.
"""

from __future__ import annotations

import hashlib
import re

# Headers added or changed between the sender and the mailbox (lowercase).
TRACE_HEADERS = frozenset({
    "received", "return-path", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to",
    "x-envelope-from", "x-rcpt-to", "x-delivered-to", "status", "x-status", "x-uid", "x-uidl",
    "x-keywords", "x-imapbase", "x-imap", "content-length", "lines", "x-mozilla-status",
    "x-mozilla-status2", "x-mozilla-keys", "received-spf", "authentication-results", "x-sieve",
    "x-greylist", "x-original-arrival-time",
})
TRACE_PREFIXES = ("arc-", "x-spam-", "x-virus-", "x-rspamd-", "x-dspam-")

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_SLICE = 1 << 20


def split_header_block(raw: bytes) -> tuple[int, int]:
    """(end of the header block, start of the body) in ``raw``; a leading
    mbox "From " line belongs to neither."""
    start = after_mbox_line(raw)
    if raw.startswith(b"\n", start):
        return start, start + 1
    if raw.startswith(b"\r\n", start):
        return start, start + 2
    found = _BLANK_LINE.search(raw, start)
    if found is None:
        return len(raw), len(raw)
    return found.start(), found.end()


def after_mbox_line(raw: bytes) -> int:
    """Where the message begins: after a leading mbox \"From \" line, if any."""
    if not raw.startswith(b"From "):
        return 0
    end = raw.find(b"\n")
    return len(raw) if end < 0 else end + 1


def dedup_key(raw: bytes, message_id: str) -> str:
    """The hex SHA-256 of the message as the sender wrote it (see the module)."""
    digest = hashlib.sha256(b"extdesk-mail-1\n")
    digest.update(message_id.encode("utf-8", "replace") + b"\n")
    start = after_mbox_line(raw)
    header_end, body_start = split_header_block(raw)
    for field in _header_fields(raw[start:header_end]):
        name = field.partition(b":")[0].strip().lower()
        decoded_name = name.decode("latin-1")
        if decoded_name in TRACE_HEADERS or decoded_name.startswith(TRACE_PREFIXES):
            continue
        digest.update(field + b"\n")
    digest.update(b"\n")
    end = len(raw)
    while end > body_start and raw[end - 1] in b"\r\n":
        end -= 1
    # In slices, so that a large message is not copied whole; a CR at the end
    # of a slice waits for the LF that may begin the next.
    view = memoryview(raw)
    carry = b""
    for position in range(body_start, end, _SLICE):
        piece = carry + bytes(view[position : min(end, position + _SLICE)])
        carry = b""
        if piece.endswith(b"\r") and position + _SLICE < end:
            piece, carry = piece[:-1], b"\r"
        digest.update(piece.replace(b"\r\n", b"\n"))
    digest.update(carry)
    return digest.hexdigest()


def _header_fields(block: bytes) -> list[bytes]:
    """Each header field unfolded into one line, trailing whitespace removed."""
    found: list[bytes] = []
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t") and found:
            found[-1] = found[-1] + line
        else:
            found.append(line)
    return [field.rstrip() for field in found]
