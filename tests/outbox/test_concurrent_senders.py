"""Two ``extdesk send-queued-mail`` processes at once, after an outage: every message goes out once."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from tests.outbox.smtp import smtp_server
from tests.support.server import free_port, fresh_postgres_database, postgres_url, server_env

MESSAGES = 40

ENQUEUE = f"""
from django.db import transaction
from extdesk.outbox.services import enqueue
with transaction.atomic():
    for n in range({MESSAGES}):
        enqueue(f"message {{n}}", f"body {{n}}", [f"person{{n}}@example.com"], f"test message {{n}}")
"""


def _extdesk(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "extdesk.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out + err


def test_two_senders_at_once_deliver_each_queued_message_exactly_once(tmp_path: Path):
    port = free_port()
    database = fresh_postgres_database() if postgres_url() else nullcontext(None)
    with database as url:
        env = server_env(tmp_path / "data", url, EXTDESK_EMAIL_URL=f"smtp://127.0.0.1:{port}",
                         EXTDESK_MAIL_RETRY_SECONDS="1")
        # Only `extdesk serve` makes a missing data directory.
        (tmp_path / "data").mkdir()
        _finish(_extdesk(env, "manage", "migrate", "-v", "0"))
        # Nothing listens yet: every message's first try, right after the commit, fails.
        queued = _finish(_extdesk(env, "manage", "shell", "-c", ENQUEUE))
        assert queued.count("could not send mail") == MESSAGES
        # Each delivery takes a while, so that the two senders work through the queue side by side.
        with smtp_server(port, delay=0.05) as received:
            time.sleep(1.2)
            senders = [_extdesk(env, "send-queued-mail") for _ in range(2)]
            outputs = [_finish(sender) for sender in senders]

    subjects = sorted(m["Subject"] for m in received.messages)
    assert subjects == sorted(f"message {n}" for n in range(MESSAGES))
    assert sorted(received.recipients) == sorted([f"person{n}@example.com"] for n in range(MESSAGES))
    sent = [int(re.search(r"sent (\d+),", out).group(1)) for out in outputs]
    assert sum(sent) == MESSAGES, outputs
