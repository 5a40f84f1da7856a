"""deploy/: each example is referenced from docs/deployment.md, and each
command the units run is one the command line accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from extdesk.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent


def test_every_deploy_file_is_referenced_and_every_reference_exists():
    docs = (ROOT / "docs" / "deployment.md").read_text()
    referenced = set(re.findall(r"\(\.\./(deploy/[^)#]+)\)", docs))
    for path in referenced:
        assert (ROOT / path).exists(), path
    for path in (ROOT / "deploy").rglob("*"):
        if path.is_file():
            relative = path.relative_to(ROOT).as_posix()
            assert relative in referenced or path.parent.relative_to(ROOT).as_posix() + "/" in referenced, \
                relative


def test_the_units_run_commands_the_command_line_accepts():
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert len(units) == 2
    commands = {}
    for unit in units:
        (line,) = [ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart=")]
        argv = shlex.split(line.removeprefix("ExecStart="))
        assert argv[0].endswith("/bin/extdesk")
        args = build_parser().parse_args(argv[1:])
        commands[args.command] = args
    assert commands.keys() == {"serve", "worker"}
    # The worker unit runs the duties: the server must not start a second worker of its own.
    assert commands["serve"].no_worker
    assert not commands["worker"].once
    script = (ROOT / "deploy" / "postfix" / "receive-mail").read_text()
    assert "exec /opt/extdesk/.venv/bin/extdesk receive-mail" in script
