"""Where attachments live: ``$EXTDESK_DATA_DIR/attachments/``, under random names."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils import timezone


def attachment_storage() -> FileSystemStorage:
    # A callable, so the path comes from the running configuration (and not
    # from whatever data dir was current when a migration was written).
    # No base_url: files are only ever served through the permission-checked view.
    return FileSystemStorage(location=Path(settings.DATA_DIR) / "attachments", base_url=None)


def attachment_upload_to(instance: object, filename: str) -> str:
    """A random stored name; the customer's file name is kept in the database only."""
    now = timezone.now()
    return f"{now:%Y/%m}/{secrets.token_hex(16)}"
