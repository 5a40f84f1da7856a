"""The commands and the suite behave the same in a terminal, as a background
job, under nohup and with no terminal at all.

A shell starts a background job (``cmd &``) with SIGINT ignored, and nohup
ignores SIGHUP; Python keeps an inherited "ignore", so a command that did
not restore Ctrl-C itself could never be interrupted that way.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parent.parent
SLEEPER = "print('ready', flush=True); import time; time.sleep(60)"


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_interrupts_a_command_started_with_sigint_ignored(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    env.update(EXTDESK_DATA_DIR=str(data), EXTDESK_SECRET="signal-secret-0123456789")
    process = subprocess.Popen(
        [sys.executable, "-m", "extdesk.cli", "manage", "shell", "--no-imports", "-c", SLEEPER],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_ignore_sigint,
    )
    try:
        first = process.stdout.readline().strip()
        if first == "ready":
            # Pressed again while it has not ended (a loaded machine may be slow to
            # act on the first): an ignored SIGINT would never end it.
            for _attempt in range(20):
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=1)
                    break
                except subprocess.TimeoutExpired:
                    continue
    finally:
        if process.poll() is None:
            process.kill()
        _out, err = process.communicate()
    assert first == "ready", err
    # Interrupted, not killed by the test's clean-up: Django's shell may end
    # by re-raising the signal (-SIGINT) where other commands return 130.
    assert process.returncode in (130, -signal.SIGINT), (process.returncode, err)


# Each way a newcomer might start the tests without a terminal in front of them.
WAYS = {
    "background job": "{cmd} > {log} 2>&1 & wait $!",
    "nohup": "nohup {cmd} > {log} 2>&1",
    "no terminal": "setsid {cmd} > {log} 2>&1 < /dev/null",
}


@pytest.mark.skipif(os.environ.get("EXTDESK_INNER_RUN") == "1", reason="already the inner run")
@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_test_file_passes_started_without_a_terminal(tmp_path, way):
    if way == "no terminal" and not shutil.which("setsid"):
        pytest.skip("setsid is not installed")
    test = f"{Path(__file__).resolve()}::test_ctrl_c_interrupts_a_command_started_with_sigint_ignored"
    cmd = " ".join([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test])
    log = tmp_path / "log"
    env = {**os.environ, "EXTDESK_INNER_RUN": "1"}
    # From another directory, with no terminal: nothing may depend on either.
    done = subprocess.run(["bash", "-c", WAYS[way].format(cmd=cmd, log=log)], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    output = log.read_text(errors="replace") if log.exists() else ""
    assert done.returncode == 0, output + done.stderr
    assert "1 passed" in output, output
