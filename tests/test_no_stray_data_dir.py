"""Only `extdesk serve` creates a data directory: every other command, run
from the wrong directory, says where it looked and how to point it at the
right one, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.database_independent

COMMANDS = [
    (("createstaff", "alice", "--password-stdin"), 2),
    (("manage", "migrate", "--no-input"), 2),
    (("manage", "check"), 2),
    (("send-queued-mail",), 2),
    (("fetch-mail",), 2),
    (("backup", "somewhere"), 2),
    # An MTA's pipe: a configuration problem is a temporary failure, so the mail is kept.
    (("receive-mail",), 75),
]


def _run(cwd, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    environment.update(EXTDESK_SECRET="stray-secret-0123456789", **env)
    return subprocess.run([sys.executable, "-m", "extdesk.cli", *args], cwd=cwd, env=environment,
                          input="s3cret-Passw0rd!\n", capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, code", COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_a_command_run_elsewhere_creates_nothing_and_says_where_it_looked(tmp_path, args, code):
    done = _run(tmp_path, *args)
    assert done.returncode == code, done.stderr
    assert f"no data directory at {tmp_path / 'extdesk-data'}" in done.stderr
    assert "EXTDESK_DATA_DIR" in done.stderr and "current directory" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_named_data_directory_that_is_missing_is_named(tmp_path):
    missing = tmp_path / "elsewhere"
    done = _run(tmp_path, "createstaff", "alice", "--password-stdin", EXTDESK_DATA_DIR=str(missing))
    assert done.returncode == 2
    assert f"EXTDESK_DATA_DIR={missing}" in done.stderr
    assert not missing.exists()


@pytest.mark.parametrize("args, code", [(("createstaff", "alice", "--password-stdin"), 2),
                                        (("receive-mail",), 75), (("send-queued-mail",), 2)])
def test_an_empty_data_directory_gets_no_empty_database(tmp_path, args, code):
    data = tmp_path / "data"
    data.mkdir()
    done = _run(tmp_path, *args, EXTDESK_DATA_DIR=str(data))
    assert done.returncode == code, done.stderr
    assert f"no database at {data / 'extdesk.sqlite3'}" in done.stderr
    assert not (data / "extdesk.sqlite3").exists()
