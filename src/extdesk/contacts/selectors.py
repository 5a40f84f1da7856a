"""Reads of contacts."""

from __future__ import annotations

from collections.abc import Iterator

from .models import Contact


def iter_platform_ids(chunk_size: int = 20_000) -> Iterator[int]:
    """Every synchronised platform id, ascending, without building models."""
    return (
        Contact.objects.order_by("platform_id")
        .values_list("platform_id", flat=True)
        .iterator(chunk_size=chunk_size)
    )


def get_contact_by_platform_id(platform_id: int) -> Contact | None:
    return Contact.objects.filter(platform_id=platform_id).first()
