"""Search in the desk's queue and the customer's ticket list, as the pages show it."""

from __future__ import annotations

import re

import pytest

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import Status
from extdesk.search import selectors as text_search
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff("agent", password=None)


@pytest.fixture
def desk(client, agent):
    client.force_login(agent)
    return client


def numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="number">#(\d+)</td>', response.content.decode())]


def test_desk_ranks_a_text_search_and_shows_the_snippet_under_the_subject(desk, agent):
    ann = make_contact("acme")
    weak = make_ticket(ann, "Question", "A word about the albatross, and many other words besides.")
    strong = make_ticket(ann, "Albatross", "The albatross, the albatross again.")
    make_ticket(ann, "Other", "Nothing.")
    services.reply(weak, author=agent, body="Noted: <img src=x onerror=alert(1)> albatross.", internal=True)
    response = desk.get("/desk/", {"q": "albatross", "status": "all"})
    html = response.content.decode()
    assert numbers(response) == [strong.pk, weak.pk]
    assert '<div class="search-snippet small">The <mark>albatross</mark>, the <mark>albatross</mark>' in html
    assert "<img" not in html
    # The sort menu says what the order is.
    assert re.search(r'<option value="relevance" selected>Best match</option>', html)


def test_desk_search_keeps_the_other_filters(desk, agent):
    ann = make_contact("acme")
    open_one = make_ticket(ann, "One", "The condor flies.")
    closed = make_ticket(ann, "Two", "The condor sleeps.")
    services.update_properties(closed, actor=agent, status=Status.CLOSED)
    assert numbers(desk.get("/desk/", {"q": "condor", "status": "closed"})) == [closed.pk]
    assert numbers(desk.get("/desk/", {"q": "condor", "status": "active"})) == [open_one.pk]
    services.update_properties(open_one, actor=agent, assignee=agent)
    assert numbers(desk.get("/desk/", {"q": "condor", "status": "all", "assignee": "me"})) == [open_one.pk]


def test_desk_search_in_another_order_when_one_is_chosen(desk):
    ann = make_contact("acme")
    strong = make_ticket(ann, "Crane crane", "Crane.")
    weak = make_ticket(ann, "Other", "A crane once, with plenty of other words around it.")
    assert numbers(desk.get("/desk/", {"q": "crane", "status": "all"})) == [strong.pk, weak.pk]
    by_number = desk.get("/desk/", {"q": "crane", "status": "all", "sort": "number"})
    assert numbers(by_number) == [weak.pk, strong.pk]


def test_portal_search_finds_bodies_with_escaped_snippets_and_never_notes(client, agent):
    ann = make_contact("acme")
    ticket = make_ticket(ann, "Website", "The <script>alert(1)</script> page shows a pelican error.")
    services.reply(ticket, author=agent, body="pelican and the secret plover", internal=True)
    client.force_login(ann.user)
    response = client.get("/tickets/", {"q": "pelican", "state": "all"})
    html = response.content.decode()
    assert numbers(response) == [ticket.pk]
    assert "<mark>pelican</mark>" in html
    assert "<script>alert" not in html
    assert "plover" not in html and "Internal note" not in html
    assert numbers(client.get("/tickets/", {"q": "plover", "state": "all"})) == []
    assert "1 ticket found" in html


def test_portal_search_by_number_and_subject_still_works(client):
    ann, bob = make_contact("acme"), make_contact("globex")
    mine = make_ticket(ann, "Invoice question", "words")
    theirs = make_ticket(bob, "Invoice question", "words")
    client.force_login(ann.user)
    assert numbers(client.get("/tickets/", {"q": f"#{mine.pk}", "state": "all"})) == [mine.pk]
    assert numbers(client.get("/tickets/", {"q": f"#{theirs.pk}", "state": "all"})) == []
    assert numbers(client.get("/tickets/", {"q": "voice", "state": "all"})) == [mine.pk]
    assert numbers(client.get("/tickets/", {"q": "invoice", "state": "all"})) == [mine.pk]


def test_counts_of_a_common_word_stop_at_the_limit(desk, monkeypatch):
    monkeypatch.setattr(text_search, "COUNT_LIMIT", 3)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 3)
    ann = make_contact("acme")
    made = [make_ticket(ann, f"Case {n}", "The toucan again.") for n in range(5)]
    response = desk.get("/desk/", {"q": "toucan", "status": "all"})
    html = response.content.decode()
    assert "3+ tickets" in html
    # Each count is then a lower bound: four matches read (one past the limit), all new.
    assert 'All<span class="count">4+</span>' in html and 'New<span class="count">4+</span>' in html
    assert 'Closed<span class="count">0+</span>' in html
    # The newest three matches are ranked (equal here: newest first).
    assert numbers(response) == [t.pk for t in reversed(made)][:3]
    # Another order reaches as many: the pages stop at the limit too.
    by_number = desk.get("/desk/", {"q": "toucan", "status": "all", "sort": "-number"})
    assert numbers(by_number) == [t.pk for t in made][:3]
    assert "3+ tickets" in by_number.content.decode()
