"""Showing a push's progress: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from typing import Protocol, TextIO


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, done: int) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    """Shows nothing (quiet runs and library use)."""

    def start(self, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


class BarProgress:
    """A bar redrawn in place on an interactive terminal."""

    WIDTH = 30

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._total = 0

    def start(self, total: int) -> None:
        self._total = total
        self.advance(0)

    def advance(self, done: int) -> None:
        share = done / self._total if self._total else 1.0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self._out.write(f"\rpushing [{bar}] {share:4.0%} {done}/{self._total} persons")
        self._out.flush()

    def finish(self) -> None:
        self._out.write("\n")
        self._out.flush()


class LineProgress:
    """One plain line at most every ``interval`` seconds, and one at the end (logs, pipes)."""

    def __init__(self, out: TextIO, interval: float = 1.0) -> None:
        self._out = out
        self._interval = interval
        self._total = 0
        self._done = 0
        self._last_line = 0.0
        self._shown = 0

    def start(self, total: int) -> None:
        self._total = total
        self._last_line = time.monotonic()

    def advance(self, done: int) -> None:
        self._done = done
        if time.monotonic() - self._last_line >= self._interval:
            self._line()

    def finish(self) -> None:
        if self._shown != self._done:
            self._line()

    def _line(self) -> None:
        noun = "person" if self._total == 1 else "persons"
        print(f"pushed {self._done}/{self._total} {noun}", file=self._out, flush=True)
        self._last_line = time.monotonic()
        self._shown = self._done


def progress_for(out: TextIO, *, quiet: bool = False) -> Progress:
    if quiet:
        return NoProgress()
    return BarProgress(out) if out.isatty() else LineProgress(out)
