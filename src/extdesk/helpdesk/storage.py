"""Where attachments live: ``$EXTDESK_DATA_DIR/attachments/``, under random names.

Files are not transactional, so the writes that store them use
:func:`files_removed_on_failure`: a write that fails (a refused input, a
database error, even at the commit) deletes the files it had stored.
What only a crash can leave behind, :func:`sweep_orphans` deletes.
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

_SWEEP_BATCH = 500


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


def sweep_orphans(older_than: timedelta, *, dry_run: bool = False) -> list[str]:
    """Delete the stored files older than ``older_than`` that no attachment row names; their names.

    Only a crash between writing a file and committing its row (a killed
    worker, a power cut) leaves such a file. The age spares the files of
    uploads whose transaction is still running.
    """
    # Imported here: the models import this module for the file field's storage.
    from .models import Attachment

    root = Path(attachment_storage().location)
    cutoff = time.time() - older_than.total_seconds()
    candidates = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                candidates.append(path.relative_to(root).as_posix())
        except FileNotFoundError:
            continue  # deleted while the sweep walked the directory
    orphans: list[str] = []
    for start in range(0, len(candidates), _SWEEP_BATCH):
        batch = candidates[start:start + _SWEEP_BATCH]
        known = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
        orphans += [name for name in batch if name not in known]
    if not dry_run:
        delete_files(orphans)
    return orphans
