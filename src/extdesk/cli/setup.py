"""Starting Django from the command line with a validated configuration."""

from __future__ import annotations

import sys
from pathlib import Path

from extdesk.config import Config, ConfigError, load_config
from extdesk.private_files import narrow_data_dir
from extdesk.soap.quoting import first_line

from .errors import StartupError


def start_django(*, announce_secret: bool = True, create: bool = False,
                 need_database_file: bool = True) -> Config:
    """Validate the configuration, then set Django up; StartupError if bad.

    Only ``extdesk serve`` (and a restore) passes ``create=True``: any other
    command run from the wrong directory would otherwise make a new data
    directory and an empty SQLite database there, and seem to work on it.
    ``need_database_file=False`` lets ``extdesk manage migrate`` set up the
    database in an existing data directory.
    """
    try:
        config = load_config(create=create)
    except ConfigError as exc:
        raise StartupError(str(exc)) from None
    # Before anything opens the database: a data directory (or a database
    # file) left readable to others by an older version is narrowed first.
    narrow_data_dir(config.data_dir)
    if announce_secret and config.secret_generated:
        print(
            f"extdesk: generated the shared secret in {config.secret_path} "
            "(readable by this user only); enter it in the platform's helpdesk setup",
            file=sys.stderr,
        )
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except (ImproperlyConfigured, ValueError) as exc:
        raise StartupError(str(exc)) from None
    if not create and need_database_file:
        _require_sqlite_file(config)
    return config


def _require_sqlite_file(config: Config) -> None:
    # Opening a SQLite file that is not there creates it, empty.
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return
    name = str(database["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return  # an in-memory database (the test run's) is not a file to find
    path = Path(name)
    if not path.exists():
        raise StartupError(
            f"no database at {path}: the data directory {config.data_dir} holds no helpdesk yet; "
            "set EXTDESK_DATA_DIR to the directory `extdesk serve` uses, or start `extdesk serve` "
            "once to set this one up"
        )


def check_database() -> None:
    """Connect once, so an unreachable database is reported, not traced."""
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        raise StartupError(f"cannot connect to the database: {first_line(exc)}") from None
    finally:
        connection.close()
