"""The outbox's settings from the environment (no Django import: read by settings.py).

``EXTDESK_MAIL_MAX_ATTEMPTS`` (default 10): tries before a message is marked
failed (it is kept, and can be retried from the admin).
``EXTDESK_MAIL_RETRY_SECONDS`` (default 60): wait before the first retry;
each further retry waits twice as long as the one before, at most 6 hours.
"""

from __future__ import annotations

from collections.abc import Mapping

from extdesk.config import int_setting


def outbox_settings(env: Mapping[str, str]) -> dict:
    return {
        "EXTDESK_MAIL_MAX_ATTEMPTS": int_setting(env, "EXTDESK_MAIL_MAX_ATTEMPTS", 10),
        "EXTDESK_MAIL_RETRY_SECONDS": int_setting(env, "EXTDESK_MAIL_RETRY_SECONDS", 60),
    }
