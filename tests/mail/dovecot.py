"""The real Dovecot of the IMAP tests (benchmarks/dovecot.py, shared with the mail benchmark), as fixtures.

Import the fixtures into a test module: ``from tests.mail.dovecot import dovecot``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
from benchmarks.dovecot import PASSWORD, Dovecot, available

from extdesk.config import Inbox, mail_in

__all__ = ["PASSWORD", "Dovecot", "dovecot", "inbox", "trusting"]

@pytest.fixture
def dovecot(tmp_path, certificate) -> Iterator[Dovecot]:
    """A running Dovecot of the test's own: an empty INBOX, the test certificate."""
    if not available():
        pytest.skip("needs Dovecot (/usr/sbin/dovecot, Debian's dovecot-imapd; scripts/test installs it)")
    cert, key = certificate
    server = Dovecot(tmp_path / "dovecot", cert, key)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def inbox(server: Dovecot, **url: object) -> Inbox:
    """The mailbox as EXTDESK_INBOX_URL names it (``server.url(**url)``), parsed by the settings' parser."""
    (parsed,) = mail_in({"EXTDESK_INBOX_URL": server.url(**url)}).inboxes  # type: ignore[arg-type]
    return parsed


def trusting(server: Dovecot) -> ssl.SSLContext:
    """A client context that trusts the test certificate, verifying as strictly as the default."""
    return ssl.create_default_context(cafile=str(server.cert))
