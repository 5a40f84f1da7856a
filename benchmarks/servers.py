"""Starting the real server (``extdesk serve``) and the floor's bare WSGI
server on a throwaway data directory and database, and reading their memory.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .client import LOOPBACK

SECRET = "benchmark-secret-" + "0123456789abcdef"
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@contextmanager
def postgres_database(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A fresh database ``extdesk_bench_<random>``; dropped afterwards."""
    import psycopg

    name = f"extdesk_bench_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise SystemExit(f"cannot create a database on {admin_url} ({exc}); "
                         "measure SQLite alone with --database sqlite") from None
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        with suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen within {timeout} s:\n{log.read_text()}")


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    data_dir: Path
    log: Path

    def workers(self) -> list[int]:
        """Process ids of the server's workers (children of the main process)."""
        children: list[int] = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with suppress(OSError):
                children += [int(pid) for pid in (task / "children").read_text().split()]
        return children

    def reset_peak_rss(self) -> None:
        # Writing 5 to clear_refs resets the kernel's high-water mark (VmHWM).
        for pid in self.workers():
            with suppress(OSError), open(f"/proc/{pid}/clear_refs", "w") as handle:
                handle.write("5")

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far (user + system).

        On a shared machine wall-clock time also counts waiting for a core;
        CPU time is what the server itself spent.
        """
        ticks = 0
        for pid in self.workers():
            with suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The largest worker's peak resident set since the last reset, in MiB."""
        peak = 0
        for pid in self.workers():
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        return peak / 1024


@contextmanager
def _running(command: list[str], env: dict[str, str], data_dir: Path, port: int) -> Iterator[Server]:
    log = data_dir / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(port, process, log)
        yield Server(process, port, data_dir, log)
    except BaseException:
        # The data directory goes away with the run: show why the server failed.
        print(f"--- last lines of the server log ({' '.join(command[2:4])}):\n"
              + "\n".join(log.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_environment(data_dir: Path, database_url: str | None, port: int,
                       max_body_bytes: int) -> dict[str, str]:
    """The environment ``extdesk serve`` runs in (and the page figures are taken in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    env.update(
        EXTDESK_DATA_DIR=str(data_dir),
        EXTDESK_SECRET=SECRET,
        EXTDESK_BASE_URL=f"http://{LOOPBACK}:{port}",
        EXTDESK_MAX_BODY_BYTES=str(max_body_bytes),
    )
    if database_url:
        env["EXTDESK_DATABASE_URL"] = database_url
    return env


@contextmanager
def extdesk_server(data_dir: Path, database_url: str | None, workers: int,
                   max_body_bytes: int) -> Iterator[Server]:
    """``extdesk serve`` on a free loopback port with its own data dir."""
    port = free_port()
    env = server_environment(data_dir, database_url, port, max_body_bytes)
    command = [sys.executable, "-m", "extdesk.cli", "serve", "--host", LOOPBACK,
               "--port", str(port), "--workers", str(workers)]
    with _running(command, env, data_dir, port) as server:
        yield server


@contextmanager
def hello_server(data_dir: Path, workers: int) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.hello", str(port), str(workers)]
    with _running(command, dict(os.environ), data_dir, port) as server:
        yield server
