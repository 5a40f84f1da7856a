"""Reads of incoming mail for the desk: the held list, one mail's record, its original and headers."""

from __future__ import annotations

from collections.abc import Iterable
from email import policy
from email.parser import BytesHeaderParser

from django.core.files.base import File
from django.core.paginator import Page, Paginator

from .models import InboundMail, Outcome

HELD_PER_PAGE = 50
# The header section of a mail is read up to this size: real ones are a
# few kilobytes, and a page of headers beyond this helps nobody.
HEADER_BYTES = 1024 * 1024


def held_mail(page: int | str = 1, per_page: int = HELD_PER_PAGE) -> Page:
    """A page of the mail held for staff, newest first (a page number out of range gives the last)."""
    held = (InboundMail.objects.filter(outcome=Outcome.HELD).select_related("contact", "ticket")
            .order_by("-received_at", "-id"))
    return Paginator(held, per_page).get_page(page)


def held_count() -> int:
    return InboundMail.objects.filter(outcome=Outcome.HELD).count()


def inbound_mail(pk: int) -> InboundMail:
    """One incoming mail with who and what it concerns; InboundMail.DoesNotExist if there is none."""
    related = ("contact", "ticket", "message", "decided_by", "bounced")
    return InboundMail.objects.select_related(*related).get(pk=pk)


def inbound_for_messages(message_ids: Iterable[int]) -> dict[int, InboundMail]:
    """The incoming mail that brought each of these messages, by message id (those that came by mail)."""
    ids = list(message_ids)
    if not ids:
        return {}
    found = InboundMail.objects.filter(message_id__in=ids).only("pk", "message_id", "raw", "outcome")
    return {mail.message_id: mail for mail in found if mail.message_id is not None}


def open_original(inbound: InboundMail) -> File | None:
    """The stored original (.eml) opened for reading, or None when it is not kept (or missing)."""
    name = inbound.raw.name
    if not name:
        return None
    try:
        return inbound.raw.storage.open(name, "rb")
    except FileNotFoundError:
        return None


def original_bytes(inbound: InboundMail) -> bytes | None:
    """The stored original (.eml), or None when it is not kept."""
    handle = open_original(inbound)
    if handle is None:
        return None
    with handle:
        return handle.read()


def _header_section(handle: File) -> bytes:
    lines: list[bytes] = []
    size = 0
    for line in handle:
        if line in (b"\r\n", b"\n") or size > HEADER_BYTES:
            break
        lines.append(line)
        size += len(line)
    return b"".join(lines)


def _shown(name: str, value: str) -> str:
    """A header's value as a person reads it: encoded words decoded, folding undone."""
    # The parser keeps 8-bit bytes as surrogates; most such headers are raw
    # UTF-8, and what is not becomes U+FFFD instead of breaking the page.
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        text = str(policy.default.header_fetch_parse(name, value))
    except Exception:
        # A header the email package cannot make sense of is shown as it came.
        text = value
    return " ".join(text.split())


def original_headers(inbound: InboundMail) -> list[tuple[str, str]] | None:
    """Every header of the stored original, in order, as (name, value); None when it is not kept."""
    handle = open_original(inbound)
    if handle is None:
        return None
    with handle:
        section = _header_section(handle)
    parsed = BytesHeaderParser(policy=policy.default).parsebytes(section)
    return [(name, _shown(name, value)) for name, value in parsed.raw_items()]
