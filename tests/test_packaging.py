"""The built wheel alone is a working server: templates, static files, the
WSDL's schema and the migrations are all in it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.database_independent]

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_serves_pages_the_wsdl_and_static_files(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                            str(ROOT)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("extdesk-*.whl")
    target = tmp_path / "installed"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                                str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr

    # Outside the checkout, the installed copy first on the path (the
    # dependencies come from this environment).
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    env.update(PYTHONPATH=str(target), PYTHONUNBUFFERED="1")
    where = subprocess.run([sys.executable, "-c", "import extdesk; print(extdesk.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(target)), where

    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "extdesk.cli", "serve", "--port", str(port),
                                "--workers", "1"], cwd=elsewhere, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                home = requests.get(f"{base}/", timeout=5)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        assert home.status_code == 200 and "control panel" in home.text
        # The wheel carries the .po catalogues; the server compiled them at start.
        german = requests.get(f"{base}/", headers={"Accept-Language": "de"}, timeout=10)
        assert german.status_code == 200 and "<h2>Kunden</h2>" in german.text
        assert list((target / "extdesk" / "locale").glob("*/LC_MESSAGES/django.mo"))
        wsdl = requests.get(f"{base}/soap/?wsdl", timeout=10)
        assert wsdl.status_code == 200 and "init_session" in wsdl.text
        css = requests.get(f"{base}/static/extdesk/app.css", timeout=10)
        assert css.status_code == 200 and "demo-banner" in css.text
        login = requests.get(f"{base}/desk/login/", timeout=10)
        assert login.status_code == 200 and "Password" in login.text
        assert (elsewhere / "extdesk-data" / "extdesk.sqlite3").exists()  # migrated from the wheel's files
    finally:
        process.terminate()
        process.wait(timeout=30)
