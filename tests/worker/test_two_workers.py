"""Two worker processes contending for one duty on one database: never both at once.

The database is this run's kind: SQLite in a fresh data directory, or a fresh
PostgreSQL database when the run targets PostgreSQL (EXTDESK_DATABASE_URL).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from tests.support.server import fresh_postgres_database, postgres_url, server_env

# Each process asks for the duty's turn over and over (as --once does, due or not) for this long.
CONTEND_SECONDS = 2.0

CONTENDER = """
import io, json, time
from extdesk.worker.duties import Duty
from extdesk.worker.runner import StopRequest, Worker
runs = []
def duty(stopping):
    began = time.time()
    time.sleep(0.02)
    runs.append((began, time.time()))
worker = Worker([Duty("contended", duty)], {{"contended": 1}}, stop=StopRequest(), out=io.StringIO())
worker.prepare()
while time.time() < {start}:
    time.sleep(0.001)
while time.time() < {start} + {seconds}:
    worker.run_once()
print(json.dumps(runs))
"""


def _extdesk(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "extdesk.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2])


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def test_two_workers_never_run_the_same_duty_at_once(tmp_path: Path):
    database = fresh_postgres_database() if postgres_url() else nullcontext(None)
    with database as url:
        data = tmp_path / "data"
        data.mkdir()
        env = server_env(data, url)
        _finish(_extdesk(env, "manage", "migrate", "-v", "0"))
        # Both start at the same instant, once their interpreters are up.
        start = time.time() + 4
        script = CONTENDER.format(start=start, seconds=CONTEND_SECONDS)
        contenders = [_extdesk(env, "manage", "shell", "-c", script) for _ in range(2)]
        runs = [json.loads(_finish(process).strip().splitlines()[-1]) for process in contenders]

    every = sorted((began, ended, who) for who, mine in enumerate(runs) for began, ended in mine)
    assert len(every) >= 10, runs
    for (_began, ended, who), (next_began, _next_ended, next_who) in itertools.pairwise(every):
        assert next_began >= ended, f"worker {next_who} started while worker {who} still ran"
