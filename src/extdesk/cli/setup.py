"""Starting Django from the command line with a validated configuration."""

from __future__ import annotations

import sys

from extdesk.config import Config, ConfigError, load_config
from extdesk.private_files import narrow_data_dir

from .errors import StartupError


def start_django(*, announce_secret: bool = True) -> Config:
    """Validate the configuration, then set Django up; StartupError if bad."""
    try:
        config = load_config()
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
    return config


def check_database() -> None:
    """Connect once, so an unreachable database is reported, not traced."""
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StartupError(f"cannot connect to the database: {first_line}") from None
    finally:
        connection.close()
