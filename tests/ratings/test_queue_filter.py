"""The desk queue's rating filter: good, bad, none, in a constant number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from extdesk.helpdesk import services as helpdesk_services
from extdesk.helpdesk.models import Status
from extdesk.ratings import selectors, services
from tests.helpdesk.factories import make_ticket

pytestmark = pytest.mark.django_db


def _numbers(response, status: int = 200) -> list[int]:
    assert response.status_code == status
    return sorted(int(n) for n in re.findall(r'<td class="number">#(\d+)</td>', response.content.decode()))


def _resolved_and_rated(contact, agent, subject: str, choice: str | None):
    ticket = make_ticket(contact, subject)
    helpdesk_services.update_properties(ticket, actor=agent, status=Status.RESOLVED)
    if choice:
        services.rate(selectors.current_resolution(ticket.pk).pk, contact=contact, choice=choice)
    return ticket


def test_the_queue_filters_by_rating(client, contact, agent):
    good = _resolved_and_rated(contact, agent, "Good one", "good")
    bad = _resolved_and_rated(contact, agent, "Bad one", "bad")
    unrated = _resolved_and_rated(contact, agent, "Unrated", None)
    still_open = make_ticket(contact, "Open")
    client.force_login(agent)
    assert _numbers(client.get("/desk/", {"status": "all", "rating": "good"})) == [good.pk]
    assert _numbers(client.get("/desk/", {"status": "all", "rating": "bad"})) == [bad.pk]
    assert _numbers(client.get("/desk/", {"status": "all", "rating": "none"})) == [unrated.pk, still_open.pk]
    assert _numbers(client.get("/desk/", {"status": "all"})) == sorted([good.pk, bad.pk, unrated.pk,
                                                                        still_open.pk])
    assert "Rated good" in client.get("/desk/").content.decode()


def test_a_wrong_rating_value_is_reported_and_left_out(client, contact, agent):
    ticket = _resolved_and_rated(contact, agent, "Any", "good")
    client.force_login(agent)
    response = client.get("/desk/", {"status": "all", "rating": "great"})
    assert "Select a valid choice" in response.content.decode()
    assert _numbers(response, 400) == [ticket.pk]


def test_the_rating_filter_costs_no_query_per_ticket(client, contact, agent):
    client.force_login(agent)

    def queries(params) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/desk/", params).status_code == 200
        return len(captured)

    views = [{"status": "all", "rating": choice} for choice in ("good", "bad", "none")]
    for i in range(3):
        _resolved_and_rated(contact, agent, f"Case {i}", ("good", "bad", None)[i])
    before = [queries(params) for params in views]
    for i in range(12):
        _resolved_and_rated(contact, agent, f"More {i}", ("good", "bad", None)[i % 3])
    assert [queries(params) for params in views] == before
    # The same as without the filter: it is part of the page's queries, not one more.
    assert before == [queries({"status": "all"})] * 3
