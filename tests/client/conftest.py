"""Fixtures of the client tests: helper servers and running ``extdesk client``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@dataclass
class PerlHelpdesk:
    url: str
    secret: str
    echo_file: Path

    def calls(self) -> list[dict]:
        import json

        if not self.echo_file.exists():
            return []
        return [json.loads(line) for line in self.echo_file.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def perl_helpdesk(tmp_path_factory) -> Iterator[PerlHelpdesk]:
    """The SOAP::Lite helpdesk of soaplite_server.pl on a free loopback port."""
    if shutil.which("perl") is None or subprocess.run(
        ["perl", "-MSOAP::Transport::HTTP", "-e1"], capture_output=True
    ).returncode:
        pytest.fail("needs perl with SOAP::Lite (Debian libsoap-lite-perl)")
    secret = "perl-helpdesk-secret-0123456789"
    echo_file = tmp_path_factory.mktemp("perl") / "echo.ndjson"
    process = subprocess.Popen(
        ["perl", str(HERE / "soaplite_server.pl"), secret, str(echo_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            pytest.fail(f"the Perl helpdesk did not start: {process.stderr.read()}")
        yield PerlHelpdesk(url, secret, echo_file)
    finally:
        process.kill()
        process.wait()


def run_client(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``extdesk client ARGS`` as a separate process with only ``env`` as its EXTDESK_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "extdesk.cli", "client", *args],
        env=clean, input=stdin, capture_output=True, text=True, timeout=timeout,
    )
