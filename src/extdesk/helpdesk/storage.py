"""Where attachments live: ``$EXTDESK_DATA_DIR/attachments/``, under random names.

Files are not transactional, so the writes that store them use
:func:`files_removed_on_failure`: a write that fails (a refused input, a
database error, even at the commit) deletes the files it had stored.
What only a crash can leave behind, extdesk.helpdesk.services.sweep_orphans
deletes. This module knows files only, never the rows that name them.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from extdesk.private_files import DIRECTORY_MODE, FILE_MODE


def attachment_storage() -> FileSystemStorage:
    # A callable, so the path comes from the running configuration (and not
    # from whatever data dir was current when a migration was written).
    # No base_url: files are only ever served through the permission-checked view.
    # Explicit modes: Django's default chmods every upload to 0644, readable
    # by every local user, whatever the umask.
    return FileSystemStorage(location=Path(settings.DATA_DIR) / "attachments", base_url=None,
                             file_permissions_mode=FILE_MODE, directory_permissions_mode=DIRECTORY_MODE)


def attachment_upload_to(instance: object, filename: str) -> str:
    """A random stored name; the customer's file name is kept in the database only."""
    now = timezone.now()
    return f"{now:%Y/%m}/{secrets.token_hex(16)}"


def write_file(content: File, written: list[str]) -> str:
    """Store ``content`` under a new random name, which is returned and added to ``written``.

    The name is added before the first byte is written: a write that fails
    midway (disk full, an upload that cannot be read) leaves a partial file,
    and that one must be deleted too.
    """
    name = attachment_upload_to(None, "")
    written.append(name)
    written[-1] = attachment_storage().save(name, content)
    return written[-1]


def delete_files(names: Iterable[str]) -> None:
    storage = attachment_storage()
    for name in names:
        storage.delete(name)


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """Delete the files written inside the block (their names in the list it gives) if the block fails.

    Put it outside the ``transaction.atomic()`` block, so that a failing
    commit is a failure of the block too.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        delete_files(written)
        raise


def stored_files_older_than(age: timedelta) -> list[str]:
    """The stored names of the files last written more than ``age`` ago."""
    root = Path(attachment_storage().location)
    cutoff = time.time() - age.total_seconds()
    names = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                names.append(path.relative_to(root).as_posix())
        except FileNotFoundError:
            continue  # deleted while the sweep walked the directory
    return names
