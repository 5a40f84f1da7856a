"""Housekeeping done in passing: at most once per interval per process."""

from __future__ import annotations

import time


class Periodic:
    """``due(every)`` is True at the first call, then at most once per ``every`` seconds.

    For pruning that rides along with requests: each worker prunes now and
    then, and the database's own statement is what makes it safe to race.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: float | None = None

    def due(self, every: float) -> bool:
        now = time.monotonic()
        if self._last is not None and now - self._last < every:
            return False
        self._last = now
        return True
