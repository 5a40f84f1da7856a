from __future__ import annotations

import pytest

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Status
from tests.helpdesk.factories import make_contact, make_staff, make_ticket


@pytest.fixture
def contact(db):
    return make_contact("acme", email="ann@example.com")


@pytest.fixture
def agent(db):
    return make_staff("agent", first_name="Alex", last_name="Agent", password=None)


@pytest.fixture
def resolved(contact, agent):
    """A ticket answered by ``agent`` and resolved by them."""
    ticket = make_ticket(contact, subject="DNS is slow")
    services.reply(ticket, author=agent, body="Fixed the resolver.")
    services.update_properties(ticket, actor=agent, status=Status.RESOLVED)
    return ticket
