"""Running the real server (``extdesk serve``) for end-to-end tests.

The server gets its own data directory and its own database: a SQLite file,
or a fresh PostgreSQL database when the run targets PostgreSQL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

SECRET = "live-server-secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url() -> str | None:
    """The PostgreSQL URL this run targets, or None for SQLite."""
    url = os.environ.get("EXTDESK_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped afterwards."""
    import psycopg

    base = postgres_url()
    assert base, "needs EXTDESK_DATABASE_URL=postgres://..."
    parts = urlsplit(base)
    name = f"extdesk_live_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LiveServer:
    process: subprocess.Popen
    base_url: str
    secret: str
    data_dir: Path
    env: dict[str, str]
    log_path: Path

    @property
    def soap_url(self) -> str:
        return f"{self.base_url}/soap/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    env.update(
        EXTDESK_DATA_DIR=str(data_dir),
        EXTDESK_SECRET=SECRET,
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["EXTDESK_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60,
                  verify: bool | str = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        with suppress(requests.RequestException):
            if requests.get(f"{url}/soap/?wsdl", timeout=2, verify=verify).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not come up within {timeout} s:\n{log_path.read_text()}")


@contextmanager
def live_server(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
    serve_args: tuple[str, ...] = (),
    scheme: str = "http",
    verify: bool | str = True,
    data_dir: Path | None = None,
    duty_worker: bool = False,
) -> Iterator[LiveServer]:
    """Start ``extdesk serve`` on a free loopback port; stop it afterwards.

    Two servers given the same ``data_dir`` (or ``database_url``) share one
    database, as two app servers behind a load balancer would. Without
    ``duty_worker`` the server starts no worker (``--no-worker``): a test
    sees only what it does itself, never a duty running beside it.
    """
    port = free_port()
    data_dir = data_dir or tmp_path / f"server-{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"{scheme}://127.0.0.1:{port}"
    env = server_env(data_dir, database_url, EXTDESK_BASE_URL=base_url, **(extra_env or {}))
    log_path = data_dir / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "extdesk.cli", "serve", "--port", str(port),
             "--workers", str(workers), *(() if duty_worker else ("--no-worker",)), *serve_args],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(base_url, process, log_path, verify=verify)
        yield LiveServer(process, base_url, env["EXTDESK_SECRET"], data_dir, env, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def live_server_any_db(tmp_path: Path, **kwargs) -> Iterator[LiveServer]:
    """A live server on this run's database kind, with a database of its own."""
    if postgres_url():
        with fresh_postgres_database() as url, live_server(tmp_path, database_url=url,
                                                           **kwargs) as server:
            yield server
    else:
        with live_server(tmp_path, **kwargs) as server:
            yield server
