"""The sync state file and the choice of whom to push."""

from __future__ import annotations

import json

import pytest

from extdesk.client.errors import StateError
from extdesk.client.persons import Person
from extdesk.client.state import SyncState, default_state_path, locked
from extdesk.client.sync import plan_sync

URL = "https://helpdesk.example.com/soap/"


def _people(n: int, name: str = "N") -> list[Person]:
    return [Person(i, f"p{i}@example.com", last_name=f"{name}{i}") for i in range(1, n + 1)]


def test_state_round_trips_and_is_replaced_whole(tmp_path):
    path = tmp_path / "sub" / "state.json"
    state = SyncState.load(path, URL)
    assert len(state) == 0 and not path.exists()
    people = _people(3)
    state.record(people)
    state.save()
    again = SyncState.load(path, URL)
    assert [again.digest(p.id) for p in people] == [p.digest for p in people]
    assert json.loads(path.read_text())["url"] == URL
    # Written through a temporary file renamed over the old one: no leftovers.
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_state_of_another_helpdesk_is_set_aside(tmp_path):
    path = tmp_path / "state.json"
    state = SyncState(path, "http://other.example.com/soap/")
    state.record(_people(2))
    state.save()
    loaded = SyncState.load(path, URL)
    assert len(loaded) == 0
    assert loaded.other_url == "http://other.example.com/soap/"


@pytest.mark.parametrize("content", ["{not json", '{"format": "something"}',
                                     '{"format": "extdesk-client-sync-state", "version": 1, "url": "u", '
                                     '"persons": {"x": 1}}'])
def test_a_damaged_state_file_is_reported(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(StateError, match=str(path)):
        SyncState.load(path, URL)


def test_two_syncs_cannot_hold_the_same_state(tmp_path):
    path = tmp_path / "state.json"
    with locked(path), pytest.raises(StateError, match="another sync"), locked(path):
        pass
    with locked(path):
        pass


def test_default_state_path_is_per_helpdesk(tmp_path):
    env = {"XDG_STATE_HOME": str(tmp_path)}
    first = default_state_path(URL, env)
    assert first.parent == tmp_path / "extdesk" and "helpdesk.example.com" in first.name
    assert default_state_path("https://helpdesk.example.com:8443/soap/", env) != first


def test_plan_pushes_missing_changed_and_unknown_but_not_unchanged(tmp_path):
    people = _people(6)
    state = SyncState(tmp_path / "s.json", URL)
    state.record(people[:4])
    edited = Person(2, "p2@example.com", last_name="Edited")
    source = [people[0], edited, *people[2:]]
    # Held: 1-3 and 5 (5 pushed by someone else: unknown content), 9 (not in the source).
    plan = plan_sync(source, [1, 2, 3, 5, 9], state)
    assert [p.id for p in plan.missing] == [4, 6]
    assert [p.id for p in plan.changed] == [2, 5]
    assert plan.unchanged == 2 and plan.held == 5 and plan.not_in_source == 1 and plan.source == 6
    everyone = plan_sync(source, [1, 2, 3, 5, 9], state, push_all=True)
    assert sorted(p.id for p in everyone.to_push) == [1, 2, 3, 4, 5, 6]
