"""Errors of the mail channel."""

from __future__ import annotations


class NotAMail(Exception):
    """The input is not an RFC 5322 message at all; the text says why, in one line."""


class CannotStoreNow(Exception):
    """The message could not be stored now (database unreachable, disk full); it must be kept and retried."""
