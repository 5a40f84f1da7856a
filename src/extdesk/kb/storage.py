"""Where article images live: ``$EXTDESK_DATA_DIR/kb-images/``, under random names.

A directory of its own beside the ticket attachments: the attachment sweep
(extdesk.helpdesk.services.sweep_orphans) deletes every file there that no
ticket attachment names. Names, file modes and size limits are the
attachments' (extdesk.helpdesk.storage, extdesk.helpdesk.services).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage

from extdesk.private_files import DIRECTORY_MODE, FILE_MODE

IMAGES_DIR = "kb-images"


def image_storage() -> FileSystemStorage:
    # A callable, as attachment_storage is: the path comes from the running configuration. No
    # base_url: images are served through the permission-checked view only.
    return FileSystemStorage(location=Path(settings.DATA_DIR) / IMAGES_DIR, base_url=None,
                             file_permissions_mode=FILE_MODE, directory_permissions_mode=DIRECTORY_MODE)
