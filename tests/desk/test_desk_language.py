"""The desk in the agent's language where its words are built in Python: the queue's rows, the bulk
change's confirmation and result, the flashed messages."""

from __future__ import annotations

import html
import re

import pytest
from django.utils import translation

from extdesk.helpdesk.models import Status
from tests.helpdesk.factories import make_contact, make_ticket

pytestmark = pytest.mark.django_db
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}


@pytest.fixture(autouse=True)
def _language_reset():
    """The locale middleware leaves the request's language active in the thread: later tests that
    call Python directly (no request) must not find it."""
    yield
    translation.deactivate()


def _flashes(client, response) -> list[str]:
    page = client.get(response["Location"]).content.decode()
    return [html.unescape(m) for m in re.findall(r'<li class="flash flash-\w+">(.*?)</li>', page)]


def test_the_queue_rows_are_in_german(desk):
    ticket = make_ticket(make_contact("acme", email="ann@acme.example"), "Drucker brennt")
    page = desk.get("/desk/?status=all", **GERMAN).content.decode()
    row = page[page.index(f"#{ticket.pk}<"):].split("</tr>")[0]
    assert f'aria-label="#{ticket.pk} auswählen"' in page
    assert '<td data-label="Kunde">' in row and '<td data-label="Zuständig">' in row
    assert '<span class="muted">Nicht zugewiesen</span>' in row
    assert "Mir zuweisen</button>" in row
    assert "gerade eben" in row


def test_a_bulk_change_to_every_matching_ticket_is_confirmed_in_german(desk):
    make_ticket(make_contact("acme", email="c1@acme.example"), "Fall 1")
    response = desk.post("/desk/bulk/", {"action": "status", "status": Status.CLOSED, "scope": "matching",
                                         "filter-q": "Fall", "filter-status": "all"}, **GERMAN)
    page = html.unescape(response.content.decode())
    assert "Status auf Geschlossen setzen \u2013 bei jedem passenden Ticket?" in page
    assert "Status auf Geschlossen setzen: 1 Ticket" in page


def test_a_bulk_change_reports_its_result_in_german(desk):
    tickets = [make_ticket(make_contact("acme", email=f"c{n}@acme.example"), f"Fall {n}") for n in range(2)]
    response = desk.post("/desk/bulk/", {"action": "add_tag", "tag": "Ausfall", "scope": "selected",
                                         "ticket": [t.pk for t in tickets]}, **GERMAN)
    assert _flashes(desk, response) == ["Schlagwort „Ausfall“ hinzufügen: 2 Tickets geändert."]
    again = desk.post("/desk/bulk/", {"action": "add_tag", "tag": "Ausfall", "scope": "selected",
                                      "ticket": [tickets[0].pk]}, **GERMAN)
    assert _flashes(desk, again) == ["Schlagwort „Ausfall“ hinzufügen: 0 Tickets geändert, 1 war schon so."]
    refused = desk.post("/desk/bulk/", {"action": "add_tag", "scope": "selected", "ticket": [tickets[0].pk]},
                        **GERMAN)
    assert _flashes(desk, refused) == [
        "Geben Sie das Schlagwort ein, das hinzugefügt oder entfernt werden soll."]


def test_flashed_messages_of_the_ticket_page_are_in_german(desk):
    ticket = make_ticket(make_contact("acme", email="ann@acme.example"), "Drucker")
    response = desk.post(f"/desk/tickets/{ticket.pk}/update/", {
        "status": Status.OPEN, "status_was": ticket.status, "priority": ticket.priority,
        "priority_was": ticket.priority, "version": ticket.version}, **GERMAN)
    assert _flashes(desk, response) == [f"Ticket #{ticket.pk} aktualisiert: Status."]
    response = desk.post(f"/desk/tickets/{ticket.pk}/assign-to-me/", **GERMAN)
    assert _flashes(desk, response) == [f"Ticket #{ticket.pk} ist Ihnen zugewiesen."]
