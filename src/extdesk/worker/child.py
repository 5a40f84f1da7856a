"""``extdesk worker`` as a child of ``extdesk serve``: started beside the server, stopped with it.

So that a helpdesk started with ``extdesk serve`` alone (the embedded default) needs no cron.
The child runs in a session of its own: a Ctrl-C at the terminal reaches the server, which then
stops the worker itself (SIGTERM: the duty in hand is finished). If the server dies without
stopping it, the worker notices its parent gone (``--parent-pid``) and stops too. A worker that
crashes is started again after a pause.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

# A worker that exited with an error is started again after this many seconds.
RESTART_AFTER = 5.0
# Seconds a stopping worker may take to finish its duty before it is killed.
STOP_TIMEOUT = 30.0


class WorkerProcess:
    def __init__(self, extra_args: Sequence[str] = (), *, restart_after: float = RESTART_AFTER) -> None:
        self._command = [sys.executable, "-m", "extdesk.cli", "worker", "--parent-pid", str(os.getpid()),
                         *extra_args]
        self._restart_after = restart_after
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self._watcher.start()

    def _spawn(self) -> None:
        with self._lock:
            if not self._stopping.is_set():
                self._process = subprocess.Popen(self._command, start_new_session=True)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            status = process.wait()
            if self._stopping.is_set():
                return
            if status == 0:
                # Stopped on purpose (someone sent it SIGTERM): left stopped.
                print("extdesk: the worker stopped; periodic duties wait for `extdesk worker`",
                      file=sys.stderr, flush=True)
                return
            print(f"extdesk: the worker exited with status {status}; starting it again in "
                  f"{self._restart_after:.0f} s", file=sys.stderr, flush=True)
            if self._stopping.wait(self._restart_after):
                return
            self._spawn()

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Ask the worker to stop and wait for it (killed after ``timeout``); its exit status."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join()
        return process.returncode
