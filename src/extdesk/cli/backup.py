"""``extdesk backup DIR`` / ``extdesk restore DIR`` for the SQLite default.

The database is copied with SQLite's online backup API inside one read
transaction, so the copy is a consistent snapshot even while the server is
writing (WAL mode: readers do not block writers). Attachments are files
that are never changed once written, so they are copied after the snapshot:
every file the snapshot refers to is in the backup.

A PostgreSQL database is backed up with ``pg_dump`` (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path

from extdesk.private_files import DIRECTORY_MODE, FILE_MODE, write_private_copy

from .errors import BackupError, StartupError, fail
from .setup import start_django

DATABASE_FILE = "extdesk.sqlite3"
# The stored files beside the database: tickets' attachments and the knowledge base's images
# (extdesk.kb.storage.IMAGES_DIR, which a test keeps equal to this name).
FILE_DIRS = ("attachments", "kb-images")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup", help="copy the SQLite database and attachments into a directory (safe while serving)"
    )
    backup.add_argument("directory", help="new or empty directory to write the backup into")
    backup.set_defaults(handler=run_backup)
    restore = subparsers.add_parser(
        "restore", help="replace the SQLite database and add the attachments from a backup directory"
    )
    restore.add_argument("directory", help="a directory written by `extdesk backup`")
    restore.set_defaults(handler=run_restore)


def _sqlite_path() -> Path:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        raise BackupError(
            "the database is PostgreSQL: back it up with pg_dump and restore it with "
            "pg_restore (see docs/reliability.md); copy the attachments directory as well"
        )
    return Path(database["NAME"])


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def _check_database(path: Path) -> None:
    """Raise BackupError unless ``path`` is a sound Extdesk SQLite database."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path} is not an SQLite database")
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} is damaged: integrity check says {result}")
    if "django_migrations" not in tables:
        raise BackupError(f"{path} is not an Extdesk database (it has no django_migrations table)")


def _copy_new_files(source: Path, destination: Path) -> int:
    """Copy the files under ``source`` that ``destination`` lacks; return how many."""
    copied = 0
    if not source.is_dir():
        return copied
    for path in source.rglob("*"):
        if path.is_file():
            target = destination / path.relative_to(source)
            if not target.exists():
                # Not copy2: a file made public by an older version would stay so.
                write_private_copy(path, target)
                copied += 1
    return copied


def backup(live: Path, data_dir: Path, directory: Path) -> tuple[int, int]:
    """Write the backup; return (database pages, stored files) copied."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} exists and is not an empty directory")
    if not live.is_file():
        raise BackupError(f"there is no database at {live} yet (start the server once)")
    directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    # A copy of the whole database: as private as the data directory, also
    # when the (empty) directory was made beforehand.
    os.chmod(directory, DIRECTORY_MODE)
    partial = directory / f".{DATABASE_FILE}.partial"
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
    os.chmod(partial, FILE_MODE)
    source = _connect(live)
    target = sqlite3.connect(partial)
    try:
        # One step (pages=-1): the whole copy is read in one read transaction,
        # hence one consistent snapshot.
        source.backup(target, pages=-1)
        pages = target.execute("PRAGMA page_count").fetchone()[0]
        # The copy must stand alone, without a -wal file beside it.
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        source.close()
    _check_database(partial)
    os.replace(partial, directory / DATABASE_FILE)
    files = sum(_copy_new_files(data_dir / name, directory / name) for name in FILE_DIRS)
    return pages, files


def restore(live: Path, data_dir: Path, directory: Path) -> tuple[int, int]:
    """Replace the live database by the backup's; return (pages, files) copied."""
    saved = directory / DATABASE_FILE
    _check_database(saved)
    live.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{saved}?mode=ro", uri=True)
    target = _connect(live)
    try:
        # Through the backup API, into the live file: running servers see
        # the restored content on their next transaction, no file is swapped
        # under their open connections.
        source.backup(target, pages=-1)
        pages = target.execute("PRAGMA page_count").fetchone()[0]
        # The server runs SQLite in WAL mode; a restore into a new file
        # starts it so.
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        target.close()
        source.close()
    files = sum(_copy_new_files(directory / name, data_dir / name) for name in FILE_DIRS)
    return pages, files


def _run(args: argparse.Namespace, action: Callable[[Path, Path, Path], tuple[int, int]]) -> int:
    try:
        # A restore may fill a new data directory; a backup only reads an existing one.
        start_django(announce_secret=False, create=action is restore)
        from django.conf import settings

        pages, files = action(_sqlite_path(), Path(settings.DATA_DIR), Path(args.directory).absolute())
    except (StartupError, BackupError) as exc:
        return fail(str(exc))
    except (OSError, sqlite3.Error) as exc:
        return fail(f"{args.command} failed: {exc}", code=1)
    print(f"extdesk: {args.command}: {pages} database pages, {files} stored file(s) (attachments, article "
          f"images); directory {Path(args.directory).absolute()}", file=sys.stderr)
    return 0


def run_backup(args: argparse.Namespace) -> int:
    return _run(args, backup)


def run_restore(args: argparse.Namespace) -> int:
    return _run(args, restore)
