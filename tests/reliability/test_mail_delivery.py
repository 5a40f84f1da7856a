"""Mail delivered exactly once through failures: the IMAP server going away mid-fetch, ``extdesk
fetch-mail`` killed mid-batch, the database going away, the same message by pipe and by IMAP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.mail.dovecot import child_env, dovecot, extdesk, inbox, rows
from tests.mail.messages import mail
from tests.reliability.tcp_proxy import TcpProxy
from tests.support.server import postgres_url

__all__ = ["child_env", "dovecot"]

pytestmark = pytest.mark.slow
MESSAGES = 300


def _people(count: int) -> list[bytes]:
    # One sender each: a single sender opening this many tickets in an hour would be held.
    return [mail(sender=f"Person {n} <person{n}@example.com>", subject=f"message {n}",
                 message_id=f"m{n}@client.example.com") for n in range(count)]


def _records(env: dict[str, str]) -> int:
    return rows(env, "SELECT COUNT(*) FROM mail_inboundmail")[0][0]


def _assert_each_exactly_once(env: dict[str, str], count: int) -> None:
    expected = [f"message {n}" for n in range(count)]
    tickets = sorted(subject for (subject,) in rows(env, "SELECT subject FROM helpdesk_ticket"))
    assert tickets == sorted(expected)
    records = sorted(subject for (subject,) in rows(env, "SELECT subject FROM mail_inboundmail"))
    assert records == sorted(expected)
    # One message (the mail's own text) on each ticket: no reply stored twice either.
    per_ticket = rows(env, "SELECT ticket_id, COUNT(*) FROM helpdesk_message GROUP BY ticket_id")
    assert sorted(n for _, n in per_ticket) == [1] * count


def _wait(condition: Callable[[], bool], timeout: float = 120, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "extdesk.cli", "fetch-mail", *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _end(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def test_imap_server_stopped_mid_fetch_and_restarted_every_message_exactly_once(dovecot, child_env, tmp_path):
    dovecot.drop(_people(MESSAGES))
    log = tmp_path / "fetch-mail.log"
    looping = _start(child_env, log, "--loop", "1")
    try:
        _wait(lambda: _records(child_env) >= 40)
        dovecot.stop()
        stopped_at = _records(child_env)
        assert stopped_at < MESSAGES, "the fetch ended before the server was stopped"
        # A round or two meets the closed port.
        _wait(lambda: log.read_text().count("connection failed") >= 2, timeout=30)
        dovecot.start()
        _wait(lambda: dovecot.count(criteria="UNSEEN") == 0)
        assert _end(looping) == 0, log.read_text()
    finally:
        _end(looping)
    _assert_each_exactly_once(child_env, MESSAGES)
    output = log.read_text()
    assert f"extdesk: {inbox(dovecot).label}: connection failed: " in output
    assert "Traceback" not in output


def test_fetch_mail_killed_mid_batch_then_run_again_every_message_exactly_one_ticket(dovecot, child_env,
                                                                                    tmp_path):
    dovecot.drop(_people(MESSAGES))
    killed = _start(child_env, tmp_path / "killed.log")
    try:
        # Into the second batch of 50.
        _wait(lambda: _records(child_env) >= 70)
        killed.kill()
        killed.wait()
    finally:
        _end(killed)
    assert killed.returncode == -signal.SIGKILL
    assert 70 <= _records(child_env) < MESSAGES, "the fetch ended before it was killed"

    rerun = extdesk(child_env, "fetch-mail")

    assert rerun.returncode == 0, rerun.stderr
    _assert_each_exactly_once(child_env, MESSAGES)
    assert dovecot.count(criteria="UNSEEN") == 0


def test_the_same_message_by_pipe_and_by_imap_or_twice_by_the_mta_is_stored_once(dovecot, child_env):
    pipe_first, imap_first, twice = (
        mail(sender=f"Person {n} <person{n}@example.com>", subject=f"message {n}") for n in range(3))
    trace = b"Received: from mx.example.com by mail.example.com; Tue, 1 Dec 2026 09:00:00 +0000\r\n"
    second_trace = b"Received: from mx2.example.com by mail.example.com; Tue, 1 Dec 2026 09:00:05 +0000\r\n"

    piped = extdesk(child_env, "receive-mail", stdin=pipe_first)
    assert piped.returncode == 0, piped.stderr
    # Dovecot gives them back with CRLF line ends and the MTA's trace headers on top.
    dovecot.append([trace + pipe_first, trace + imap_first, trace + twice, second_trace + twice])
    fetched = extdesk(child_env, "fetch-mail")
    assert fetched.returncode == 0, fetched.stderr
    assert "4 waiting, 2 stored (2 ticket), 2 already stored" in fetched.stdout
    piped_again = extdesk(child_env, "receive-mail", stdin=imap_first)
    assert piped_again.returncode == 0, piped_again.stderr
    assert "already stored" in piped_again.stdout

    _assert_each_exactly_once(child_env, 3)
    assert dovecot.count(criteria="UNSEEN") == 0


@pytest.mark.skipif(postgres_url() is None, reason="needs the PostgreSQL run: a database server to lose")
def test_database_outage_mid_fetch_leaves_the_rest_unread_and_the_loop_resumes_exactly_once(
        dovecot, child_env, tmp_path):
    parts = urlsplit(child_env["EXTDESK_DATABASE_URL"])
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    proxied = dict(child_env, EXTDESK_DATABASE_URL=urlunsplit(
        parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}")))
    dovecot.drop(_people(MESSAGES))
    log = tmp_path / "fetch-mail.log"
    looping = _start(proxied, log, "--loop", "1")
    try:
        _wait(lambda: _records(child_env) >= 40)
        proxy.stop()
        cut_at = _records(child_env)
        assert cut_at < MESSAGES, "the fetch ended before the database went away"
        _wait(lambda: "trying again in 1 s" in log.read_text(), timeout=60)
        time.sleep(1.5)
        assert _records(child_env) == cut_at
        unseen = dovecot.count(criteria="UNSEEN")
        assert unseen >= MESSAGES - cut_at
        proxy.start()
        _wait(lambda: dovecot.count(criteria="UNSEEN") == 0)
        assert _end(looping) == 0, log.read_text()
    finally:
        _end(looping)
        proxy.stop()
    _assert_each_exactly_once(child_env, MESSAGES)
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("processed", ["", "Done"], ids=["flagging", "moving"])
def test_two_fetch_mail_runs_at_once_store_each_message_exactly_once(dovecot, child_env, tmp_path, processed):
    # cron starting a run while the last one is still going.
    dovecot.drop(_people(200))
    child_env["EXTDESK_INBOX_URL"] = dovecot.url(processed=processed)
    runs = [_start(child_env, tmp_path / f"run{n}.log") for n in range(2)]
    try:
        codes = [run.wait(timeout=300) for run in runs]
    finally:
        for run in runs:
            _end(run)
    assert codes == [0, 0], [(tmp_path / f"run{n}.log").read_text()[-2000:] for n in range(2)]
    _assert_each_exactly_once(child_env, 200)
    if processed:
        assert dovecot.count("INBOX") == 0
        # Dovecot's MOVE is a copy and an expunge: both runs may have copied one.
        assert dovecot.count("Done") >= 200
    else:
        assert dovecot.count(criteria="UNSEEN") == 0
