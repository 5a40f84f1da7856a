"""Keeping the data directory to the user that runs Extdesk.

The data directory holds the database (with its -wal and -shm files), the
attachments customers uploaded, the generated secrets and backups: nothing
another local user may read. Directories are 0700 and files 0600, whatever
umask the server was started with: the ``extdesk`` commands run under umask
077 (so SQLite, which gives its -wal and -shm files the database file's
mode, and every other writer create them private), attachments are written
with explicit modes, and a data directory left wider by an older version or
by hand is narrowed at startup.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


@contextmanager
def private_umask() -> Iterator[None]:
    """Run the block under umask 077; the caller's umask is back afterwards
    (a command run in-process, as the tests do, leaves no trace)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _narrow(path: Path) -> bool:
    """Take group and other permissions off ``path`` (never following a link); True if changed."""
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
        return False
    os.chmod(path, stat.S_IMODE(mode) & 0o700, follow_symlinks=False)
    return True


def narrow_data_dir(data_dir: Path) -> list[Path]:
    """Make ``data_dir`` and what it holds directly private; the paths changed.

    The top level only: the database, its -wal and -shm, the secrets and
    the attachments directory are there, and with the directory itself 0700
    nobody else reaches what lies deeper. A path that cannot be changed (not
    ours) is reported on stderr and left as it is: the server still starts.
    """
    changed: list[Path] = []
    if not data_dir.is_dir():
        return changed
    for path in [data_dir, *data_dir.iterdir()]:
        try:
            if _narrow(path):
                changed.append(path)
        except FileNotFoundError:
            continue  # removed while we looked
        except OSError as exc:
            print(f"extdesk: cannot make {path} private (mode 0700/0600): {exc.strerror}",
                  file=sys.stderr)
    return changed


def write_private_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to the new file ``target`` with mode 0600 (its
    directories 0700), whatever mode the source had."""
    target.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as data:
        shutil.copyfileobj(data, out, 1024 * 1024)
    # os.open's mode passes through the umask: only ever narrower, but exact here.
    os.chmod(target, FILE_MODE)
    # The time stays the source's (the orphan sweep goes by age), the mode does not.
    times = source.stat()
    os.utime(target, ns=(times.st_atime_ns, times.st_mtime_ns))
