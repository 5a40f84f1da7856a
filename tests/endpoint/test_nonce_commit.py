"""The nonce-and-audit commit on the driver's connection against the plain one through Django."""

from __future__ import annotations

import time

import pytest
from django.db import DatabaseError, connection

from extdesk.audit import services as audit
from extdesk.audit.models import AuditEntry
from extdesk.endpoint import services
from extdesk.endpoint.models import UsedNonce

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(execute):
    audit.write_soap_call("192.0.2.1", "greet", 3, 200, "ok", execute)


def _state() -> tuple:
    nonces = sorted(UsedNonce.objects.values_list("nonce", "expires_at"))
    entries = sorted(AuditEntry.objects.values_list("kind", "address", "operation", "outcome", "status",
                                                    "records", "count"))
    return nonces, entries


@pytest.mark.parametrize("commit", ["_commit_on_driver", "_commit_through_django"])
def test_both_commits_write_the_nonce_and_the_entry_and_refuse_a_replay(commit, monkeypatch):
    chosen = getattr(services, commit)
    monkeypatch.setattr(services, "_commit_on_driver", chosen)
    now = int(time.time())
    assert not connection.in_atomic_block
    assert services.consume_nonce_with("n-1", now, 300, _entry) is True
    assert services.consume_nonce_with("n-1", now, 300, _entry) is False  # replay: nothing written
    assert services.consume_nonce("n-2", now, 300) is True
    nonces, entries = _state()
    assert nonces == [("n-1", now + 300), ("n-2", now + 300)]
    assert entries == [("soap", "192.0.2.1", "greet", "ok", 200, 3, 1)]


@pytest.mark.parametrize("commit", ["_commit_on_driver", "_commit_through_django"])
def test_a_failing_entry_undoes_the_nonce_in_both(commit, monkeypatch):
    monkeypatch.setattr(services, "_commit_on_driver", getattr(services, commit))

    def broken(execute):
        execute("INSERT INTO no_such_table VALUES (%s)", [1])

    with pytest.raises(DatabaseError):
        services.consume_nonce_with("n-3", int(time.time()), 300, broken)
    assert _state() == ([], [])
    # The connection is usable afterwards.
    assert services.consume_nonce("n-4", int(time.time()), 300) is True
