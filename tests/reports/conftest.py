from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from extdesk.helpdesk.models import Ticket
from tests.helpdesk.factories import make_contact

_subjects = itertools.count(1)


@pytest.fixture
def contact(db):
    return make_contact("acme", with_user=False)


@pytest.fixture
def tickets(contact):
    """Make tickets directly (bulk_create), their SLA fields given as the SLA services would keep them."""

    def make(*specs: dict) -> list[Ticket]:
        rows = []
        for spec in specs:
            created = spec.pop("created_at")
            assert isinstance(created, datetime)
            rows.append(Ticket(subject=f"Ticket {next(_subjects)}", contact=contact, created_at=created,
                               updated_at=created, last_activity_at=created, **spec))
        return Ticket.objects.bulk_create(rows)

    return make
