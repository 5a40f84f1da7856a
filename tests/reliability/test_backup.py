"""``extdesk backup`` / ``extdesk restore`` on the SQLite default, while serving."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.reliability.soap_calls import contact, value
from tests.support.server import live_server, postgres_url, server_env

pytestmark = pytest.mark.slow
IDS = range(1, 301)


def extdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "extdesk.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def rows(path: Path, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table, ordered."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables if table not in exclude
        }
    finally:
        connection.close()


def first_names(path: Path) -> dict[int, str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(connection.execute("SELECT platform_id, first_name FROM contacts_contact"))
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # SQLite whatever the run targets: this is the SQLite backup path.
    with live_server(tmp_path_factory.mktemp("backup")) as running:
        yield running


@pytest.mark.skipif(postgres_url() is not None, reason="the SQLite path; PostgreSQL is pg_dump's")
def test_backup_while_writing_is_a_consistent_snapshot_and_restores_equal(server, tmp_path):
    url, secret = server.soap_url, server.secret
    value(url, secret, "alter_contacts", [contact(i) for i in IDS])
    # Attachments are plain files in the data directory.
    (server.data_dir / "attachments" / "2026" / "11").mkdir(parents=True)
    (server.data_dir / "attachments" / "2026" / "11" / "a1b2").write_bytes(b"attached bytes")
    (server.data_dir / "kb-images" / "2026" / "12").mkdir(parents=True)
    (server.data_dir / "kb-images" / "2026" / "12" / "c3d4").write_bytes(b"an article's image")

    stop = threading.Event()
    versions: list[int] = []

    def writer() -> None:
        # Every call rewrites all ids at once: a consistent copy holds one
        # version for all of them.
        n = 0
        while not stop.is_set():
            n += 1
            value(url, secret, "alter_contacts", [contact(i, f"v{n}") for i in IDS])
            versions.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(versions) < 2:
            stop.wait(0.05)
        result = extdesk(server.env, "backup", str(tmp_path / "during"))
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert "2 stored file(s)" in result.stderr
    snapshot = set(first_names(tmp_path / "during" / "extdesk.sqlite3").values())
    assert len(snapshot) == 1, f"a half-written call in the backup: {sorted(snapshot)[:5]}"
    assert (tmp_path / "during" / "attachments" / "2026" / "11" / "a1b2").read_bytes() == b"attached bytes"

    # Quiet now: a backup equals the live database, row for row.
    live_db = server.data_dir / "extdesk.sqlite3"
    assert extdesk(server.env, "backup", str(tmp_path / "quiet")).returncode == 0
    saved = tmp_path / "quiet" / "extdesk.sqlite3"
    assert rows(saved) == rows(live_db)

    # Restored into a brand-new data directory: the same rows again.
    fresh = tmp_path / "fresh-data"
    restored = extdesk(server_env(fresh, None), "restore", str(tmp_path / "quiet"))
    assert restored.returncode == 0, restored.stderr
    assert rows(fresh / "extdesk.sqlite3") == rows(saved)
    assert (fresh / "attachments" / "2026" / "11" / "a1b2").read_bytes() == b"attached bytes"
    assert (fresh / "kb-images" / "2026" / "12" / "c3d4").read_bytes() == b"an article's image"

    # Restored under the running server: it serves the backup's contacts
    # at once, without a restart; later changes are gone.
    value(url, secret, "alter_contacts", [contact(9999, "after the backup")])
    assert 9999 in value(url, secret, "list_contacts")
    restored = extdesk(server.env, "restore", str(tmp_path / "quiet"))
    assert restored.returncode == 0, restored.stderr
    assert value(url, secret, "list_contacts") == list(IDS)
    # Nonces and audit entries keep being written; the contacts are the backup's.
    assert first_names(live_db) == first_names(saved)


@pytest.mark.skipif(postgres_url() is not None, reason="the SQLite path")
def test_bad_backup_and_restore_arguments_change_nothing(server, tmp_path):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    result = extdesk(server.env, "backup", str(occupied))
    assert result.returncode == 2 and "is not an empty directory" in result.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]

    before = rows(server.data_dir / "extdesk.sqlite3", exclude=("endpoint_usednonce", "audit_auditentry"))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "extdesk.sqlite3").write_bytes(b"this is not a database at all")
    for directory, message in [(tmp_path / "missing", "does not exist"),
                               (tmp_path / "junk", "is not an SQLite database")]:
        result = extdesk(server.env, "restore", str(directory))
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
    other = tmp_path / "other" / "extdesk.sqlite3"
    other.parent.mkdir()
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = extdesk(server.env, "restore", str(other.parent))
    assert result.returncode == 2 and "not an Extdesk database" in result.stderr
    after = rows(server.data_dir / "extdesk.sqlite3", exclude=("endpoint_usednonce", "audit_auditentry"))
    assert after == before


@pytest.mark.skipif(postgres_url() is None, reason="needs the PostgreSQL run")
def test_backup_of_postgresql_points_to_pg_dump(tmp_path):
    (tmp_path / "data").mkdir()  # only `extdesk serve` creates a data directory
    env = server_env(tmp_path / "data", postgres_url())
    result = extdesk(env, "backup", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "pg_dump" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_backup_copies_every_directory_of_stored_files():
    from extdesk.cli.backup import FILE_DIRS
    from extdesk.kb.storage import IMAGES_DIR

    assert {"attachments", IMAGES_DIR} == set(FILE_DIRS)
