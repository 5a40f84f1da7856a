"""The command line's errors, and turning them into one clear line."""

from __future__ import annotations

import sys

EXIT_CONFIG = 2


class StartupError(Exception):
    """Configuration or database problem, already phrased for the user."""


class BackupError(Exception):
    """What went wrong with a backup or restore, phrased for the user."""


def fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"extdesk: {message}", file=sys.stderr)
    return code
