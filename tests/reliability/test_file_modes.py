"""The data directory is the running user's alone: directories 0700, files 0600, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.reliability.customer import Customer
from tests.reliability.soap_calls import contact, value
from tests.support.server import live_server_any_db, postgres_url, server_env

pytestmark = pytest.mark.slow


@contextmanager
def umask(mask: int) -> Iterator[None]:
    """The umask an operator's shell might well have: group and others may read."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    """The permission bits of ``root`` and of everything under it, by relative path."""
    found = {".": stat.S_IMODE(root.lstat().st_mode)}
    for path in root.rglob("*"):
        found[path.relative_to(root).as_posix()] = stat.S_IMODE(path.lstat().st_mode)
    return found


def wider_than_private(root: Path) -> dict[str, str]:
    wrong = {}
    for name, mode in modes(root).items():
        wanted = 0o700 if (root / name).is_dir() else 0o600
        if mode & ~wanted or mode & 0o077:
            wrong[name] = oct(mode)
    return wrong


def extdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extdesk.cli", *args], env=env, capture_output=True,
                          text=True, timeout=180, check=False)


def test_the_real_server_keeps_its_data_private_under_umask_022(tmp_path):
    with umask(0o022), live_server_any_db(tmp_path) as server:
        # live_server made the data directory, and the log in it, under 022.
        value(server.soap_url, server.secret, "alter_contacts", [contact(5), contact(6)])
        customer = Customer(server.base_url)
        customer.log_in(value(server.soap_url, server.secret, "init_session", 5, "127.0.0.1", "add"))
        customer.new_ticket("Printer", "See the file.",
                            files=[("attachments", ("notes.txt", b"private bytes", "text/plain"))])
        data = server.data_dir
        found = modes(data)
        attachments = [name for name in found if name.startswith("attachments/")
                       and (data / name).is_file()]
        assert len(attachments) == 1
        if postgres_url() is None:
            # Written while serving in WAL mode: the database and both of its companions.
            for name in ("extdesk.sqlite3", "extdesk.sqlite3-wal", "extdesk.sqlite3-shm"):
                assert found[name] == 0o600, name
        assert found["."] == 0o700
        assert found[attachments[0]] == 0o600
        assert wider_than_private(data) == {}


def test_a_data_directory_left_readable_is_made_private_at_startup(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)  # only `extdesk serve` creates a data directory
    env = server_env(data, None)
    with umask(0o022):
        done = extdesk(env, "manage", "migrate", "--verbosity", "0")
        assert done.returncode == 0, done.stderr
        assert wider_than_private(data) == {}
        # As an older version, or a careless copy, left it.
        data.chmod(0o755)
        (data / "extdesk.sqlite3").chmod(0o644)
        (data / "django-secret-key").chmod(0o644)
        (data / "attachments").mkdir(mode=0o755)
        done = extdesk(env, "manage", "check")
        assert done.returncode == 0, done.stderr
    assert modes(data)["."] == 0o700
    assert modes(data)["extdesk.sqlite3"] == 0o600
    assert modes(data)["django-secret-key"] == 0o600
    assert modes(data)["attachments"] == 0o700
    assert wider_than_private(data) == {}


def test_a_backup_is_private_even_of_files_that_were_not(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)  # only `extdesk serve` creates a data directory
    env = server_env(data, None)
    with umask(0o022):
        assert extdesk(env, "manage", "migrate", "--verbosity", "0").returncode == 0
        old = data / "attachments" / "2026" / "11"
        old.mkdir(parents=True)
        (old / "a1b2").write_bytes(b"attached bytes")
        (old / "a1b2").chmod(0o644)
        target = tmp_path / "backup"
        target.mkdir(mode=0o755)
        done = extdesk(env, "backup", str(target))
        assert done.returncode == 0, done.stderr
    assert (target / "attachments" / "2026" / "11" / "a1b2").read_bytes() == b"attached bytes"
    assert (target / "attachments" / "2026" / "11" / "a1b2").stat().st_mtime == (
        (old / "a1b2").stat().st_mtime)
    assert modes(target)["."] == 0o700
    assert modes(target)["extdesk.sqlite3"] == 0o600
    assert wider_than_private(target) == {}


def test_commands_run_in_process_leave_the_callers_umask_alone():
    from extdesk.private_files import private_umask

    with umask(0o022):
        with private_umask():
            assert os.umask(0o077) == 0o077
        assert os.umask(0o022) == 0o022
