"""Turning configuration and startup problems into one clear line."""

from __future__ import annotations

import sys

EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"extdesk: {message}", file=sys.stderr)
    return code
