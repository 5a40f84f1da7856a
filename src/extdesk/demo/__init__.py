"""The demo (``extdesk serve --demo``): a seeded provider, and /platform/ playing its control panel."""

from __future__ import annotations

import os


def demo_mode() -> bool:
    """True in the process tree of ``extdesk serve --demo`` (the workers inherit the variable)."""
    return os.environ.get("EXTDESK_DEMO") == "1"
