"""Two workers running the SLA duties at the same moment (two processes, one database): each step once.

The database is this run's: SQLite in a fresh data directory, or a fresh
PostgreSQL database when the run targets PostgreSQL (EXTDESK_DATABASE_URL).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from tests.support.server import fresh_postgres_database, postgres_url, server_env

TICKETS = 30

SEED = f"""
from datetime import timedelta
from django.utils import timezone
from extdesk.helpdesk.models import Priority, Status, Ticket
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
make_staff("agent", email="agent@example.com", password=None)
customer = make_contact("acme")
for n in range({TICKETS}):
    make_ticket(customer, subject=f"Urgent {{n}}", priority=Priority.URGENT)
    resolved = make_ticket(customer, subject=f"Resolved {{n}}")
    Ticket.objects.filter(pk=resolved.pk).update(status=Status.RESOLVED,
                                                 resolved_at=timezone.now() - timedelta(days=30))
now = timezone.now()
# 48 of the urgent hour's 60 minutes counted: the warning falls due, whatever the day and hour.
Ticket.objects.filter(status=Status.NEW).update(sla_elapsed_seconds=48 * 60, sla_clock_since=now,
                                                next_escalation_at=now)
"""

WORKER = """
import time
from extdesk.sla.duties import auto_close, escalate
while time.time() < {start}:
    time.sleep(0.002)
print("escalated", escalate(), "closed", auto_close())
"""

COUNT = """
import json
from extdesk.helpdesk.models import Escalation, EventKind, Ticket, TicketEvent
from extdesk.outbox.models import OutgoingMail
print(json.dumps({
    "warning mails": OutgoingMail.objects.filter(subject__contains="First response due soon").count(),
    "closing mails": OutgoingMail.objects.filter(about__startswith="the automatic closing").count(),
    "warned": Ticket.objects.filter(first_response_escalation=Escalation.WARNED).count(),
    "closed": Ticket.objects.filter(status="closed").count(),
    "closing events": TicketEvent.objects.filter(kind=EventKind.AUTO_CLOSED).count(),
}))
"""


def _extdesk(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "extdesk.cli", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[2])


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return out


def test_two_workers_at_once_escalate_and_close_each_ticket_once(tmp_path: Path):
    database = fresh_postgres_database() if postgres_url() else nullcontext(None)
    with database as url:
        data = tmp_path / "data"
        data.mkdir()
        env = server_env(data, url, EXTDESK_EMAIL_URL=f"file://{tmp_path / 'mail'}",
                         EXTDESK_AUTO_CLOSE_DAYS="7")
        _finish(_extdesk(env, "manage", "migrate", "-v", "0"))
        _finish(_extdesk(env, "manage", "shell", "-c", SEED))
        # Both start their duties at the same instant, once their interpreters are up.
        start = time.time() + 4
        workers = [_extdesk(env, "manage", "shell", "-c", WORKER.format(start=start)) for _ in range(2)]
        outputs = [_finish(worker) for worker in workers]
        counts = json.loads(_finish(_extdesk(env, "manage", "shell", "-c", COUNT)).strip().splitlines()[-1])

    done = [re.search(r"escalated (\d+) closed (\d+)", out) for out in outputs]
    assert all(done), outputs
    assert sum(int(m.group(1)) for m in done) == TICKETS
    assert sum(int(m.group(2)) for m in done) == TICKETS
    assert counts == {"warning mails": TICKETS, "closing mails": TICKETS, "warned": TICKETS,
                      "closed": TICKETS, "closing events": TICKETS}
