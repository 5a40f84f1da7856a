"""The platform's synchronisation: push the persons a helpdesk lacks or holds out of date.

The helpdesk is asked which ids it holds (list_contacts); a person is pushed
when the helpdesk lacks it, or when its content differs from what the state
file says was last pushed (a person the helpdesk holds but the state does not
know is pushed too: it may differ). Batches are recorded in the state as the
helpdesk acknowledges them, so an interrupted sync resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from .helpdesk import HelpdeskClient
from .persons import Person
from .progress import NoProgress, Progress
from .state import SyncState

# Saving the state after every batch would rewrite a large file many times a
# second; a person acknowledged but not yet saved is merely pushed again.
STATE_SAVE_INTERVAL = 2.0


@dataclass(frozen=True)
class SyncPlan:
    source: int
    held: int
    missing: list[Person]
    changed: list[Person]
    unchanged: int
    not_in_source: int

    @property
    def to_push(self) -> list[Person]:
        return self.missing + self.changed


@dataclass(frozen=True)
class SyncResult:
    plan: SyncPlan
    pushed: int
    reported_changed: int
    batches: int
    seconds: float


def plan_sync(
    persons: Iterable[Person], held_ids: Iterable[int], state: SyncState, *, push_all: bool = False
) -> SyncPlan:
    """Which persons to push; ``push_all`` re-pushes everyone the helpdesk holds as well."""
    held = set(held_ids)
    missing: list[Person] = []
    changed: list[Person] = []
    unchanged = 0
    source_ids: set[int] = set()
    for person in persons:
        source_ids.add(person.id)
        if person.id not in held:
            missing.append(person)
        elif push_all or state.digest(person.id) != person.digest:
            changed.append(person)
        else:
            unchanged += 1
    return SyncPlan(
        source=len(source_ids), held=len(held), missing=missing, changed=changed,
        unchanged=unchanged, not_in_source=len(held - source_ids),
    )


def sync(
    client: HelpdeskClient,
    persons: list[Person],
    state: SyncState,
    *,
    push_all: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    save_interval: float = STATE_SAVE_INTERVAL,
) -> SyncResult:
    """Bring the helpdesk's contacts in step with ``persons``; the state is saved as it goes.

    A fault, a transport failure or an interruption stops the sync with the
    state holding every batch the helpdesk acknowledged.
    """
    started = time.monotonic()
    plan = plan_sync(persons, client.list_contacts(), state, push_all=push_all)
    if dry_run:
        return SyncResult(plan, 0, 0, 0, time.monotonic() - started)
    progress = progress or NoProgress()
    to_push = plan.to_push
    pushed = reported = batches = 0
    last_save = time.monotonic()
    progress.start(len(to_push))
    try:
        for batch in client.batches(to_push):
            reported += client.push_batch(batch)
            state.record(batch)
            pushed += len(batch)
            batches += 1
            progress.advance(pushed)
            if time.monotonic() - last_save >= save_interval:
                state.save()
                last_save = time.monotonic()
        # Every source person is now held as it is; the rest is history.
        state.keep_only({person.id for person in persons})
    finally:
        progress.finish()
        if state.dirty:
            state.save()
    return SyncResult(plan, pushed, reported, batches, time.monotonic() - started)
