"""The demo's seed: persons in accounts (non-Latin names too), a staff user, tickets in every
status; seeding twice is seeding once."""

from __future__ import annotations

import pytest

from extdesk.contacts.models import Contact
from extdesk.demo.seed import PERSONS, STAFF_USERNAME, seed
from extdesk.helpdesk.models import Status, Ticket

pytestmark = pytest.mark.django_db


def test_seeding_twice_is_seeding_once(django_user_model):
    password = seed()
    assert password and django_user_model.objects.get(username=STAFF_USERNAME).check_password(password)
    counts = (Contact.objects.count(), Ticket.objects.count())
    assert counts[0] == len(PERSONS) >= 30
    assert {t.status for t in Ticket.objects.all()} == set(Status.values)
    names = " ".join(c.display_name for c in Contact.objects.all())
    assert "Παπαδοπούλου" in names and "Смирнов" in names and "山田" in names
    assert any(c.accounts.count() > 1 for c in Contact.objects.all())

    assert seed() is None
    assert (Contact.objects.count(), Ticket.objects.count()) == counts
