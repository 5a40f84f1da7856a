"""``extdesk worker`` as run: --once, intervals refused, stopping on SIGTERM and SIGINT."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import free_port, server_env

ROOT = Path(__file__).resolve().parents[2]

SEED = """
from datetime import timedelta
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from extdesk.audit.models import AuditEntry
AuditEntry.objects.create(at=timezone.now() - timedelta(days=400), kind="soap", address="192.0.2.1",
                          outcome="ok", status=200)
AuditEntry.objects.create(at=timezone.now(), kind="soap", address="192.0.2.1", outcome="ok", status=200)
store = SessionStore()
store.create()
Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() - timedelta(days=1))
"""

REPORT = """
from django.contrib.sessions.models import Session
from extdesk.audit.models import AuditEntry
from extdesk.worker.models import DutyLease
print("counts", AuditEntry.objects.count(), Session.objects.count())
for lease in DutyLease.objects.order_by("name"):
    print("lease", lease.name, repr(lease.claimed_by), lease.last_failed, lease.last_outcome)
"""


def _run(env: dict[str, str], *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extdesk.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def _report(env: dict[str, str]) -> tuple[str, list[str]]:
    """The audit entry and session counts, and one line per lease."""
    lines = _run(env, "manage", "shell", "--no-imports", "-c", REPORT).stdout.splitlines()
    [counts] = [line.removeprefix("counts ") for line in lines if line.startswith("counts ")]
    return counts, [line.removeprefix("lease ") for line in lines if line.startswith("lease ")]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data directory with a migrated SQLite database, migrated once for these tests."""
    data = tmp_path_factory.mktemp("worker") / "data"
    data.mkdir()
    assert _run(server_env(data, None), "manage", "migrate", "-v", "0").returncode == 0
    return data


@pytest.fixture
def env(migrated: Path, tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite helpdesk of its own, mail written to files."""
    data = tmp_path / "data"
    shutil.copytree(migrated, data)
    return server_env(data, None, EXTDESK_EMAIL_URL=f"file://{tmp_path / 'mail'}")


def test_once_runs_every_duty_and_exits(env):
    assert _run(env, "manage", "shell", "--no-imports", "-c", SEED).returncode == 0
    done = _run(env, "worker", "--once")
    assert done.returncode == 0, done.stderr
    assert "extdesk worker: prune-audit: 1 audit entry deleted" in done.stdout
    counts, leases = _report(env)
    # The old audit entry and the expired session are gone; the recent entry stays.
    assert counts == "1 0"
    names = [line.split()[0] for line in leases]
    # No mailbox is configured: fetching mail is no duty here.
    assert names == sorted(["send-mail", "escalate", "auto-close", "prune-audit", "prune-login-tokens",
                            "prune-nonces", "prune-sessions", "prune-presence", "sweep-attachments"])
    assert all(" '' False " in line for line in leases), leases


def test_wrong_interval_is_one_line_and_nothing_runs(env):
    done = _run(env, "worker", "--once", "--every", "escalate=never")
    assert done.returncode == 2
    assert done.stderr == "extdesk: --every: escalate='never': not a whole number of seconds\n"
    assert _report(env)[1] == []


def test_no_database_is_one_line(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run(server_env(empty, None), "worker", "--once")
    assert done.returncode == 2
    assert done.stderr.startswith("extdesk: no database at ") and "Traceback" not in done.stderr


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_worker_cleanly(env, signum):
    # Started as a background job is: SIGINT ignored, which the worker must undo.
    process = subprocess.Popen([sys.executable, "-m", "extdesk.cli", "worker", "--every", "send-mail=1"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               preexec_fn=_ignore_sigint)
    try:
        assert process.stdout.readline().startswith("extdesk worker: running as ")
        time.sleep(1.5)  # a few rounds of send-mail
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert out.endswith("extdesk worker: stopped\n") and err == ""
    _counts, leases = _report(env)
    # Every turn handed back: another worker may take any duty at once.
    assert len(leases) == 9 and all(" '' False " in line for line in leases), leases


# A parent that starts the worker as `extdesk serve` does, then dies without stopping it.
ORPHANING_PARENT = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-m", "extdesk.cli", "worker", "--parent-pid", str(os.getpid())],
                         stdout=subprocess.PIPE, text=True)
assert child.stdout.readline().startswith("extdesk worker: running as ")
print(child.pid, flush=True)
os._exit(0)
"""


def test_a_worker_whose_parent_died_stops_too(env):
    parent = subprocess.run([sys.executable, "-c", ORPHANING_PARENT], env=env, capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    pid = int(parent.stdout.strip())
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "the orphaned worker kept running"


def test_fetch_mail_is_a_duty_once_a_mailbox_is_configured(env):
    # Nothing listens there: the mailbox cannot be read this time; the other duties still run.
    port = free_port()
    env = {**env, "EXTDESK_INBOX_URL": f"imap://user:secret@127.0.0.1:{port}/INBOX"}
    done = _run(env, "worker", "--once")
    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if line.startswith("extdesk worker: ")]
    assert failures == ["extdesk worker: fetch-mail failed (trying again in 60 s): DutyFailed: not every "
                        "mailbox was read or every message stored (fetch-mail status 75)"], done.stderr
    _counts, leases = _report(env)
    assert len(leases) == 10
    assert [line for line in leases if " True " in line] == [
        "fetch-mail '' True DutyFailed: not every mailbox was read or every message stored "
        "(fetch-mail status 75)"]
