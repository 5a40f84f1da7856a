"""``extdesk receive-mail`` as an MTA runs it: a real process, the message on standard input,
the exit status read as sysexits."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.mail.messages import mail
from tests.support.server import fresh_postgres_database, postgres_url, server_env

pytestmark = pytest.mark.slow

EX_OK, EX_DATAERR, EX_TEMPFAIL = 0, 65, 75

COUNT_TICKETS = """
import django
django.setup()
from extdesk.helpdesk.models import Ticket
from extdesk.mail.models import InboundMail
print(Ticket.objects.count(), InboundMail.objects.count())
"""


def _extdesk(env: dict[str, str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extdesk.cli", *args], env=env, input=stdin,
                          capture_output=True, timeout=120)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_postgres_database()) if postgres_url() else None
        (tmp_path / "data").mkdir()  # only `extdesk serve` creates a data directory
        environment = server_env(tmp_path / "data", database_url, EXTDESK_EMAIL_URL="console://")
        migrated = _extdesk(environment, "manage", "migrate", "--no-input")
        assert migrated.returncode == 0, migrated.stderr
        yield environment


def _counts(env: dict[str, str]) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", COUNT_TICKETS], capture_output=True, text=True, timeout=120,
                         env={**env, "DJANGO_SETTINGS_MODULE": "extdesk.conf.settings"})
    assert out.returncode == 0, out.stderr
    tickets, records = out.stdout.split()
    return int(tickets), int(records)


def test_a_mail_on_standard_input_is_stored_and_exits_zero(env):
    done = _extdesk(env, "receive-mail", stdin=mail(sender="stranger@example.net"))
    assert done.returncode == EX_OK, done.stderr
    assert b"new ticket #1" in done.stdout
    assert _counts(env) == (1, 1)
    # The MTA delivering it again (a retry after a lost answer) stores nothing more.
    message = mail(sender="stranger@example.net", message_id="same@x.example")
    again = _extdesk(env, "receive-mail", stdin=message)
    repeat = _extdesk(env, "receive-mail", stdin=message)
    assert again.returncode == repeat.returncode == EX_OK
    assert b"already stored" in repeat.stdout
    assert _counts(env) == (2, 2)


@pytest.mark.parametrize("data, why", [
    (b"", b"empty"),
    (b"\x00\x01\x02\x03garbage\xff\xfe", b"not a mail"),
])
def test_input_that_is_not_a_mail_exits_65_with_one_line(env, data, why):
    done = _extdesk(env, "receive-mail", stdin=data)
    assert done.returncode == EX_DATAERR
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "not a mail" in lines[0]
    assert "Traceback" not in done.stderr.decode()
    assert _counts(env) == (0, 0)


def test_a_mail_over_the_size_limit_exits_65(env):
    done = _extdesk({**env, "EXTDESK_MAIL_MAX_BYTES": "65536"}, "receive-mail",
                    stdin=mail(body="x" * 100_000))
    assert done.returncode == EX_DATAERR
    assert b"EXTDESK_MAIL_MAX_BYTES=65536" in done.stderr
    assert _counts(env) == (0, 0)


def test_an_unreachable_database_exits_75_and_the_retry_stores_the_mail_once(env, tmp_path):
    message = mail(sender="stranger@example.net", message_id="retry@x.example")
    if postgres_url():
        down = {**env, "EXTDESK_DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"}
    else:
        down = {**env, "EXTDESK_DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"}
    failed = _extdesk(down, "receive-mail", stdin=message)
    assert failed.returncode == EX_TEMPFAIL
    error = failed.stderr.decode()
    assert "tries again" in error and "Traceback" not in error and len(error.strip().splitlines()) == 1
    assert _counts(env) == (0, 0)
    for _ in range(2):
        stored = _extdesk(env, "receive-mail", stdin=message)
        assert stored.returncode == EX_OK, stored.stderr
    assert _counts(env) == (1, 1)


def test_a_bad_setting_exits_75_so_the_mta_keeps_the_mail(env):
    done = _extdesk({**env, "EXTDESK_MAIL_UNKNOWN_SENDERS": "maybe"}, "receive-mail", stdin=mail())
    assert done.returncode == EX_TEMPFAIL
    assert b"EXTDESK_MAIL_UNKNOWN_SENDERS" in done.stderr
    assert _counts(env) == (0, 0)
