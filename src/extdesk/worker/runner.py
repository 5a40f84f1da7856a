"""The worker's loop: each duty in its turn, claimed in the database, until asked to stop."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TextIO

from django.db import close_old_connections, connection
from django.db.utils import Error as DatabaseError
from django.utils import timezone

from . import services
from .duties import Duty

# A claim lapses this long after its last renewal: a worker that died mid-duty holds it no longer.
LEASE = timedelta(seconds=60)
# A running duty renews its claim three times per lease, so that a long run keeps it.
RENEWALS_PER_LEASE = 3
# A database that could not be reached is tried again after this many seconds.
DATABASE_RETRY = 10.0


class StopRequest:
    """Set by SIGTERM or SIGINT, read between duties (and by a long duty between its items).

    A second signal ends the worker at once: the duty in hand is interrupted (its transaction
    rolled back) and its claim given back.
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


def _drop_stale_connection() -> None:
    """Close this thread's database connection if it broke or outlived CONN_MAX_AGE (a long-running
    process gets no request boundaries to do that); never inside a transaction of its caller's."""
    if not connection.in_atomic_block:
        close_old_connections()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Renewal(threading.Thread):
    """Renews a claim while its duty runs, on a database connection of its own (this thread's)."""

    def __init__(self, name: str, holder: str, lease: timedelta) -> None:
        super().__init__(name=f"renew-{name}", daemon=True)
        self._duty, self._holder, self._lease = name, holder, lease
        self._done = threading.Event()

    def run(self) -> None:
        try:
            while not self._done.wait(self._lease.total_seconds() / RENEWALS_PER_LEASE):
                try:
                    services.renew(self._duty, self._holder, lease=self._lease)
                except DatabaseError as exc:
                    # The claim may lapse; the duties claim their own rows, so an overlap stays safe.
                    print(f"extdesk worker: could not renew the claim on {self._duty}: {_one_line(exc)}",
                          file=sys.stderr, flush=True)
        finally:
            connection.close()

    def finish(self) -> None:
        self._done.set()
        self.join()


class Worker:
    """Runs ``duties``, each every ``intervals[name]`` seconds across all workers sharing the database."""

    def __init__(self, duties: Sequence[Duty], intervals: dict[str, int], *, stop: StopRequest,
                 holder: str | None = None, parent_pid: int | None = None, lease: timedelta = LEASE,
                 out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.duties = list(duties)
        self.intervals = intervals
        self.stop = stop
        self.holder = holder or services.holder_name()
        self.parent_pid = parent_pid
        self.lease = lease
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def _stopping(self) -> bool:
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            # Started by `extdesk serve`, which is gone: nobody would stop this worker otherwise.
            self.stop.requested = True
        return self.stop.requested

    def _say(self, text: str, *, error: bool = False) -> None:
        print(f"extdesk worker: {text}", file=self.err if error else self.out, flush=True)

    def prepare(self) -> None:
        """The lease rows of every duty (the table must exist: DatabaseError otherwise)."""
        services.ensure_leases(duty.name for duty in self.duties)

    def attempt(self, duty: Duty, *, only_when_due: bool = True) -> bool | None:
        """Run ``duty`` if its turn can be taken: True done, False failed, None not taken."""
        every = timedelta(seconds=self.intervals[duty.name])
        _drop_stale_connection()
        if not services.claim(duty.name, self.holder, lease=self.lease, only_when_due=only_when_due):
            return None
        renewal = _Renewal(duty.name, self.holder, self.lease)
        renewal.start()
        outcome, failed = "", False
        try:
            outcome = duty.run(self._stopping) or ""
        except KeyboardInterrupt:
            outcome, failed = "interrupted by a second stop signal", True
            raise
        except Exception as exc:
            outcome, failed = _one_line(exc), True
            self._say(f"{duty.name} failed (trying again in {every.total_seconds():.0f} s): {outcome}",
                      error=True)
        else:
            if outcome:
                self._say(f"{duty.name}: {outcome}")
        finally:
            renewal.finish()
            _drop_stale_connection()
            try:
                services.release(duty.name, self.holder, every=every, outcome=outcome or "nothing to do",
                                 failed=failed)
            except DatabaseError as exc:
                # The claim lapses by itself; the next run is then merely earlier.
                self._say(f"could not hand back {duty.name}: {_one_line(exc)}", error=True)
        return not failed

    def run_once(self) -> bool:
        """Every duty once, due or not (a duty another worker runs right now is skipped); all done?"""
        succeeded = True
        for duty in self.duties:
            if self._stopping():
                break
            try:
                result = self.attempt(duty, only_when_due=False)
            except DatabaseError as exc:
                self._say(f"{duty.name} not run: database error: {_one_line(exc)}", error=True)
                succeeded = False
                continue
            if result is None:
                self._say(f"{duty.name} skipped: another worker is running it")
            succeeded = succeeded and result is not False
        return succeeded

    def run_forever(self) -> None:
        """Each duty whenever it is due, until a stop is requested; the duty in hand is finished."""
        next_try = dict.fromkeys((duty.name for duty in self.duties), 0.0)
        while not self._stopping():
            for duty in self.duties:
                if self._stopping():
                    return
                if time.monotonic() < next_try[duty.name]:
                    continue
                next_try[duty.name] = time.monotonic() + self._wait_after(duty)
            self._sleep_until(min(next_try.values()))

    def _wait_after(self, duty: Duty) -> float:
        """Try ``duty``; the seconds until it is worth trying again."""
        every = float(self.intervals[duty.name])
        try:
            if self.attempt(duty) is not None:
                return every
            chance = services.next_chance(duty.name)
        except DatabaseError as exc:
            self._say(f"database error, trying {duty.name} again in {DATABASE_RETRY:.0f} s: {_one_line(exc)}",
                      error=True)
            _drop_stale_connection()
            return min(every, DATABASE_RETRY)
        if chance is None:
            # Its row was deleted (by hand): made again, due at once.
            services.ensure_leases([duty.name])
            return 0.0
        return min(every, max(1.0, (chance - timezone.now()).total_seconds()))

    def _sleep_until(self, deadline: float) -> None:
        # In short steps, so that a stop request (or the parent's end) ends the wait at once.
        while not self._stopping() and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
