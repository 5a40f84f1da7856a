"""Fixtures of the IMAP tests: a real Dovecot (benchmarks/dovecot.py, shared with the mail benchmark),
and a migrated database for ``extdesk`` child processes.

Import the fixtures into a test module: ``from tests.mail.dovecot import dovecot``.
"""

from __future__ import annotations

import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from benchmarks.dovecot import PASSWORD, Dovecot, available

from extdesk.config import Inbox, mail_in
from tests.support.server import fresh_postgres_database, postgres_url, server_env

__all__ = ["PASSWORD", "Dovecot", "available", "child_env", "dovecot", "extdesk", "inbox", "rows", "trusting"]


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
    (parsed,) = mail_in({"EXTDESK_INBOX_URL": server.url(**url)}).inboxes
    return parsed


def trusting(server: Dovecot) -> ssl.SSLContext:
    """A client context that trusts the test certificate, verifying as strictly as the default."""
    return ssl.create_default_context(cafile=str(server.cert))


@pytest.fixture
def child_env(tmp_path: Path, dovecot: Dovecot) -> Iterator[dict[str, str]]:
    """The environment of an ``extdesk`` child: its own migrated database (a SQLite file, or a fresh
    PostgreSQL database on the PostgreSQL run), the Dovecot's INBOX over imaps://, the test CA trusted."""
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database()) if postgres_url() else None
        env = server_env(tmp_path / "data", database_url, EXTDESK_EMAIL_URL="console://",
                         EXTDESK_MAIL_ACKNOWLEDGE="false", EXTDESK_INBOX_URL=dovecot.url(),
                         SSL_CERT_FILE=str(dovecot.cert))
        (tmp_path / "data").mkdir()  # only `extdesk serve` creates a data directory
        migrated = extdesk(env, "manage", "migrate", "--no-input", "-v", "0")
        assert migrated.returncode == 0, migrated.stderr
        yield env


def extdesk(env: dict[str, str], *args: str, stdin: bytes = b"",
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``extdesk *args`` to its end; its output as text."""
    done = subprocess.run([sys.executable, "-m", "extdesk.cli", *args], env=env, input=stdin,
                          capture_output=True, timeout=timeout, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(errors="replace"),
                                       done.stderr.decode(errors="replace"))


def rows(env: dict[str, str], query: str) -> list[tuple]:
    """The rows of ``query`` on the child's database, read beside it (no Django in this process's way)."""
    url = env.get("EXTDESK_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            return connection.execute(query).fetchall()
    connection = sqlite3.connect(f"file:{Path(env['EXTDESK_DATA_DIR']) / 'extdesk.sqlite3'}?mode=ro",
                                 uri=True, timeout=30)
    try:
        return connection.execute(query).fetchall()
    finally:
        connection.close()
