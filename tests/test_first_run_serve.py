"""A newcomer's first `extdesk serve`: it says what to do next, its URLs
follow --host/--port, a busy port is one line, and every --help describes
its command."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from extdesk.cli import build_parser
from extdesk.client.errors import TransportError
from extdesk.client.helpdesk import HelpdeskClient
from tests.support.server import free_port

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    # As a newcomer runs it: no EXTDESK_* settings at all.
    return {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")} | {"PYTHONUNBUFFERED": "1"}


def test_a_busy_port_is_one_line_before_anything_serves(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "extdesk.cli", "serve", "--port", str(port)],
                              cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.splitlines() == [
        f"extdesk: port {port} on 127.0.0.1 is in use; choose another with --port"]
    assert list(tmp_path.iterdir()) == []


def test_the_first_start_says_what_to_do_next_and_its_urls_follow_the_port(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "extdesk.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=tmp_path, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        lines: list[str] = []
        while not any("createstaff" in line for line in lines):
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
        said = "".join(lines)
        base = f"http://127.0.0.1:{port}"
        assert f"public URL {base}," in said
        assert "1 worker x 4 threads" in said
        assert f"SOAP URL {base}/soap/" in said
        assert f"shared secret in {tmp_path / 'extdesk-data' / 'secret'}" in said
        assert "extdesk createstaff NAME" in said
        deadline = time.monotonic() + 30
        while True:
            try:
                wsdl = requests.get(f"{base}/soap/?wsdl", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        # The workers got the same public URL: the WSDL sends the platform here.
        assert f'location="{base}/soap/"' in wsdl.text

        secret = (tmp_path / "extdesk-data" / "secret").read_text().strip()
        with HelpdeskClient(f"https://127.0.0.1:{port}/soap/", secret, retries=0) as client, \
                pytest.raises(TransportError) as refused:
            client.greet()
        message = str(refused.value)
        assert "SSLError" not in message
        assert "scheme" in message and "http://" in message and "certificate" in message
        assert "host name" in message
    finally:
        process.terminate()
        process.wait(timeout=30)


def _subcommands(parser: argparse.ArgumentParser, prefix: str):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _subcommands(sub, f"{prefix} {name}")


def test_every_help_has_a_description_line():
    commands = dict(_subcommands(build_parser(), "extdesk"))
    assert "extdesk client sync" in commands and "extdesk manage" in commands
    for name, parser in commands.items():
        text = parser.format_help()
        paragraphs = text.split("\n\n")
        assert len(paragraphs) > 2 and paragraphs[1].strip()[0].isupper(), (name, text)
    serve_help = commands["extdesk serve"].format_help()
    assert "(default: 8000)" in serve_help and "(default: 127.0.0.1)" in serve_help
