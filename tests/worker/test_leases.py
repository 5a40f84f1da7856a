"""Duty leases and the worker's loop, in process: claims, renewal, take-over, failures, stopping."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from extdesk.worker import services
from extdesk.worker.duties import Duty
from extdesk.worker.models import DutyLease
from extdesk.worker.runner import StopRequest, Worker
from extdesk.worker.schedule import DEFAULT_INTERVALS, ScheduleError, intervals

pytestmark = pytest.mark.django_db
LEASE = timedelta(seconds=60)


def test_a_due_free_duty_is_claimed_by_one_holder_only():
    services.ensure_leases(["escalate"])
    assert services.claim("escalate", "host-a", lease=LEASE)
    assert not services.claim("escalate", "host-b", lease=LEASE)
    assert not services.claim("escalate", "host-b", lease=LEASE, only_when_due=False)
    lease = DutyLease.objects.get(name="escalate")
    assert lease.claimed_by == "host-a" and lease.claimed_until > timezone.now()


def test_a_released_duty_waits_for_its_interval():
    services.ensure_leases(["escalate"])
    assert services.claim("escalate", "host-a", lease=LEASE)
    assert services.release("escalate", "host-a", every=timedelta(minutes=5), outcome="2 notified",
                            failed=False)
    assert not services.claim("escalate", "host-b", lease=LEASE)
    lease = DutyLease.objects.get(name="escalate")
    assert (lease.claimed_by, lease.claimed_until, lease.last_outcome) == ("", None, "2 notified")
    assert timedelta(minutes=4) < lease.due_at - timezone.now() <= timedelta(minutes=5)
    assert services.next_chance("escalate") == lease.due_at
    # Once due, anyone takes it; and --once takes it before it is due.
    assert services.claim("escalate", "host-b", lease=LEASE, now=lease.due_at)
    services.release("escalate", "host-b", every=timedelta(minutes=5), outcome="", failed=False)
    assert services.claim("escalate", "host-c", lease=LEASE, only_when_due=False)


def test_an_expired_claim_is_taken_over_and_the_old_holder_cannot_renew_or_release_it():
    services.ensure_leases(["send-mail"])
    now = timezone.now()
    assert services.claim("send-mail", "dead-host", lease=LEASE, only_when_due=False,
                          now=now - timedelta(minutes=5))
    assert services.claim("send-mail", "live-host", lease=LEASE)
    assert not services.renew("send-mail", "dead-host", lease=LEASE)
    assert not services.release("send-mail", "dead-host", every=LEASE, outcome="late", failed=False)
    assert DutyLease.objects.get(name="send-mail").claimed_by == "live-host"
    assert services.renew("send-mail", "live-host", lease=timedelta(minutes=10))
    assert DutyLease.objects.get(name="send-mail").claimed_until > now + timedelta(minutes=9)


def test_ensure_leases_keeps_existing_rows():
    services.ensure_leases(["prune-audit"])
    DutyLease.objects.filter(name="prune-audit").update(last_outcome="kept")
    services.ensure_leases(["prune-audit", "prune-nonces"])
    assert DutyLease.objects.get(name="prune-audit").last_outcome == "kept"
    assert DutyLease.objects.filter(name="prune-nonces").exists()


def _worker(*duties: Duty, stop: StopRequest | None = None) -> tuple[Worker, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    worker = Worker(duties, {duty.name: 60 for duty in duties}, stop=stop or StopRequest(),
                    holder="test-host", out=out, err=err)
    worker.prepare()
    return worker, out, err


def test_a_failing_duty_is_one_line_and_the_others_still_run():
    ran = []

    def broken(stopping):
        raise RuntimeError("the mail server said no\nsecond line")

    worker, out, err = _worker(Duty("send-mail", broken),
                               Duty("escalate", lambda stopping: ran.append("escalate") or "3 notified"),
                               Duty("auto-close", lambda stopping: ran.append("auto-close") or None))
    assert worker.run_once() is False
    assert ran == ["escalate", "auto-close"]
    assert err.getvalue() == ("extdesk worker: send-mail failed (trying again in 60 s): "
                              "RuntimeError: the mail server said no second line\n")
    assert out.getvalue() == "extdesk worker: escalate: 3 notified\n"
    failed = DutyLease.objects.get(name="send-mail")
    assert failed.last_failed and failed.last_outcome.startswith("RuntimeError") and failed.claimed_by == ""
    # Retried after its interval, like any other run.
    assert timedelta(seconds=55) < failed.due_at - timezone.now() <= timedelta(seconds=60)
    assert DutyLease.objects.get(name="auto-close").last_outcome == "nothing to do"


def test_once_skips_a_duty_another_worker_is_running():
    worker, out, _err = _worker(Duty("escalate", lambda stopping: "ran"))
    assert services.claim("escalate", "other-host", lease=LEASE)
    assert worker.run_once() is True
    assert out.getvalue() == "extdesk worker: escalate skipped: another worker is running it\n"


def test_a_stop_lets_the_duty_in_hand_finish_and_runs_no_other():
    stop = StopRequest()
    ran = []

    def long_duty(stopping):
        stop(15, None)  # SIGTERM arrives while it works
        ran.append(("first", stopping()))
        return "finished"

    worker, _out, _err = _worker(Duty("send-mail", long_duty),
                                 Duty("escalate", lambda stopping: ran.append("second")), stop=stop)
    worker.run_forever()
    assert ran == [("first", True)]
    lease = DutyLease.objects.get(name="send-mail")
    assert lease.last_outcome == "finished" and lease.claimed_by == ""
    with pytest.raises(KeyboardInterrupt):
        stop(15, None)  # a second signal ends it at once


def test_the_loop_runs_each_duty_when_due_and_waits_for_the_others_turns():
    stop = StopRequest()
    runs = []

    def counted(stopping):
        runs.append("escalate")
        if len(runs) == 2:
            stop(15, None)

    worker, _out, _err = _worker(Duty("escalate", counted), stop=stop)
    worker.intervals["escalate"] = 1
    # Another worker holds the turn for a moment: this one waits for it, then takes the next.
    services.claim("escalate", "other-host", lease=timedelta(seconds=1))
    worker.run_forever()
    assert runs == ["escalate", "escalate"]


def test_intervals_from_the_environment_and_the_flags():
    chosen = intervals({"EXTDESK_WORKER_EVERY": "escalate=30, prune-audit=7200"}, ["escalate=15"])
    assert chosen == {**DEFAULT_INTERVALS, "escalate": 15, "prune-audit": 7200}


@pytest.mark.parametrize("env, flags, message", [
    ({"EXTDESK_WORKER_EVERY": "escalate"}, [], "EXTDESK_WORKER_EVERY: 'escalate' is not DUTY=SECONDS"),
    ({}, ["mail=10"], "--every: no duty is called 'mail'; the duties are send-mail, fetch-mail,"),
    ({}, ["escalate=soon"], "--every: escalate='soon': not a whole number of seconds"),
    ({}, ["escalate=0"], "--every: escalate=0: must be between 1 and 604800 seconds"),
    ({"EXTDESK_WORKER_EVERY": "auto-close=700000"}, [], "auto-close=700000: must be between 1 and 604800"),
])
def test_wrong_intervals_are_named(env, flags, message):
    with pytest.raises(ScheduleError) as error:
        intervals(env, flags)
    assert message in str(error.value)


@pytest.mark.django_db(transaction=True)
def test_a_long_run_keeps_its_claim_past_the_lease():
    seen = []

    def long_duty(stopping):
        time.sleep(2.5)  # past the 1.5 s lease: only the renewals keep it
        seen.append(services.claim("sweep-attachments", "other-host", lease=LEASE, only_when_due=False))

    worker = Worker([Duty("sweep-attachments", long_duty)], {"sweep-attachments": 60}, stop=StopRequest(),
                    holder="test-host", lease=timedelta(seconds=1.5), out=io.StringIO())
    worker.prepare()
    assert worker.run_once() is True
    assert seen == [False]
    assert DutyLease.objects.get(name="sweep-attachments").claimed_by == ""
