"""The duties' names and default intervals, and reading the intervals asked for (no Django needed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Seconds between two runs of each duty, on all hosts together.
DEFAULT_INTERVALS: dict[str, int] = {
    "send-mail": 30,
    "fetch-mail": 60,
    "escalate": 60,
    "auto-close": 600,
    "prune-audit": 3600,
    "prune-login-tokens": 3600,
    "prune-nonces": 600,
    "prune-sessions": 3600,
    "prune-presence": 600,
    "sweep-attachments": 86400,
}
MAX_INTERVAL = 7 * 86400
ENV_NAME = "EXTDESK_WORKER_EVERY"


class ScheduleError(ValueError):
    """An interval asked for is wrong; the message says which and why."""


def interval(item: str) -> tuple[str, int]:
    """``DUTY=SECONDS`` read and checked."""
    name, sep, raw = item.partition("=")
    name = name.strip()
    if not sep:
        raise ScheduleError(f"{item!r} is not DUTY=SECONDS (e.g. escalate=60)")
    if name not in DEFAULT_INTERVALS:
        raise ScheduleError(f"no duty is called {name!r}; the duties are {', '.join(DEFAULT_INTERVALS)}")
    try:
        seconds = int(raw.strip())
    except ValueError:
        raise ScheduleError(f"{name}={raw.strip()!r}: not a whole number of seconds") from None
    if not 1 <= seconds <= MAX_INTERVAL:
        raise ScheduleError(f"{name}={seconds}: must be between 1 and {MAX_INTERVAL} seconds (7 days)")
    return name, seconds


def intervals(env: Mapping[str, str], asked: Iterable[str] = ()) -> dict[str, int]:
    """Every duty's interval: the defaults, then ``EXTDESK_WORKER_EVERY`` (comma-separated
    DUTY=SECONDS), then each ``--every`` given; ScheduleError names a wrong one."""
    chosen = dict(DEFAULT_INTERVALS)
    from_env = [item for item in env.get(ENV_NAME, "").split(",") if item.strip()]
    for item in from_env:
        try:
            name, seconds = interval(item)
        except ScheduleError as exc:
            raise ScheduleError(f"{ENV_NAME}: {exc}") from None
        chosen[name] = seconds
    for item in asked:
        try:
            name, seconds = interval(item)
        except ScheduleError as exc:
            raise ScheduleError(f"--every: {exc}") from None
        chosen[name] = seconds
    return chosen
