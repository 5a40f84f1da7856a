"""Reads of contacts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from django.db.models import F
from django.db.models.functions import Lower

from .models import Contact


def iter_platform_ids(chunk_size: int = 20_000) -> Iterator[int]:
    """Every synchronised platform id, ascending, without building models (guests have none)."""
    ids = (
        Contact.objects.filter(platform_id__isnull=False).order_by("platform_id")
        .values_list("platform_id", flat=True)
        .iterator(chunk_size=chunk_size)
    )
    return cast(Iterator[int], ids)


def get_contact_by_platform_id(platform_id: int) -> Contact | None:
    return Contact.objects.filter(platform_id=platform_id).first()


def contact_by_address(address: str) -> Contact | None:
    """Who writes from this e-mail address, whatever its case: the synchronised contact with it (the
    lowest platform id of several), else the guest who wrote in from it before; one index probe."""
    return (Contact.objects.alias(email_lower=Lower("email"))
            .filter(email_lower=address.strip().lower())
            .order_by(F("platform_id").asc(nulls_last=True), "pk").first())
