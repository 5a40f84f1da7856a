"""``extdesk serve`` starts the worker beside the server and stops it with itself (unless --no-worker)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import free_port, live_server, server_env

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def _wait_gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _worker_pid(log: Path) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = log.read_text()
        match = re.search(r"periodic duties run in `extdesk worker` \(process (\d+);", text)
        if match and "extdesk worker: running as" in text:
            return int(match[1])
        time.sleep(0.1)
    raise AssertionError(f"no worker started:\n{log.read_text()}")


def test_serve_runs_the_worker_and_stops_it_with_itself(tmp_path):
    with live_server(tmp_path, workers=1, duty_worker=True) as server:
        pid = _worker_pid(server.log_path)
        assert b"\0worker\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
        assert _alive(pid)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        assert _wait_gone(pid, seconds=5)
    assert "extdesk worker: stopped" in server.log_path.read_text()


def test_serve_without_worker(tmp_path):
    with live_server(tmp_path, workers=1, serve_args=("--no-worker",)) as server:
        time.sleep(1)
        assert "extdesk worker" not in server.log_path.read_text()



def test_serve_refuses_a_wrong_worker_interval_at_start(tmp_path):
    env = server_env(tmp_path / "data", None, EXTDESK_WORKER_EVERY="escalate=fast")
    done = subprocess.run([sys.executable, "-m", "extdesk.cli", "serve", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "extdesk: EXTDESK_WORKER_EVERY: escalate='fast': not a whole number of seconds\n"
