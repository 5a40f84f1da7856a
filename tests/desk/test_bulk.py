"""Bulk changes on the queue: the same rules and mail as one change, atomic, permission-checked, capped."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.db import DatabaseError, connection
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from extdesk.desk.forms import QueueFilterForm
from extdesk.desk.selectors import queue_matches
from extdesk.helpdesk import services
from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import EventKind, Priority, Status, Ticket
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db
BULK = "/desk/bulk/"


@pytest.fixture
def tickets():
    return [make_ticket(make_contact("acme", email=f"c{n}@acme.example"), f"Case {n}") for n in range(3)]


def state(ticket: Ticket) -> tuple:
    current = Ticket.objects.get(pk=ticket.pk)
    return (current.status, current.priority, current.assignee_id, current.category_id,
            sorted(current.tags.values_list("name", flat=True)), current.version, current.events.count())


def post(client, action: str, ticked, **fields):
    return client.post(BULK, {"action": action, "scope": "selected", "ticket": [t.pk for t in ticked],
                              **fields})


def messages_of(response) -> list[str]:
    """The messages the page redirected to shows (which consumes them)."""
    page = response.client.get(response["Location"]).content.decode()
    return [html.unescape(m) for m in re.findall(r'<li class="flash flash-\w+">(.*?)</li>', page)]


def test_a_status_change_goes_through_the_single_ticket_rules_history_and_mail(
        desk, agent, tickets, django_capture_on_commit_callbacks):
    versions = [state(t)[5] for t in tickets]
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(BULK, {"action": "status", "status": "waiting", "scope": "selected",
                                    "ticket": [tickets[0].pk, tickets[2].pk],
                                    "filter-q": "Case", "filter-status": "all", "filter-page": "3"})
    # Back to the queue as it was filtered (from its first page).
    assert response.status_code == 302 and response["Location"] == "/desk/?status=all&q=Case"
    assert messages_of(response) == ["Set the status to Waiting on customer: 2 tickets changed."]
    for ticket, version in zip((tickets[0], tickets[2]), (versions[0], versions[2]), strict=True):
        current = Ticket.objects.get(pk=ticket.pk)
        assert (current.status, current.version) == (Status.WAITING, version + 1)
        event = current.events.get(kind=EventKind.STATUS)
        assert (event.old_value, event.new_value, event.actor_user) == ("New", "Waiting on customer", agent)
    assert Ticket.objects.get(pk=tickets[1].pk).status == Status.NEW
    # The status mail a single change sends, once to each contact, in the customer's words.
    status_mail = sorted(m.to[0] for m in mail.outbox if "Status: Awaiting your reply" in m.subject)
    assert status_mail == ["c0@acme.example", "c2@acme.example"]


def test_each_kind_of_change(desk, agent, tickets):
    blake = make_staff("blake", email="blake@example.com")
    billing = make_category("Billing")

    def apply(action, ticked, **fields) -> list[str]:
        response = post(desk, action, ticked, **fields)
        assert response.status_code == 302
        return messages_of(response)

    assert apply("priority", tickets, priority=Priority.URGENT) == [
        "Set the priority to Urgent: 3 tickets changed."]
    assert apply("assign", tickets[:2], assignee=blake.pk) == ["Assign to blake: 2 tickets changed."]
    assert apply("assign", tickets[1:], assignee="me") == ["Assign to Alex Agent: 2 tickets changed."]
    assert apply("category", tickets, category=billing.pk) == [
        "Set the category to Billing: 3 tickets changed."]
    assert apply("add_tag", tickets, tag="  Refund ") == ["Add the tag “Refund”: 3 tickets changed."]
    apply("add_tag", tickets[:1], tag="vip")
    assert apply("remove_tag", tickets[1:], tag="REFUND") == ["Remove the tag “REFUND”: 2 tickets changed."]
    assert [state(t)[:5] for t in tickets] == [
        (Status.NEW, Priority.URGENT, blake.pk, billing.pk, ["Refund", "vip"]),
        (Status.NEW, Priority.URGENT, agent.pk, billing.pk, []),
        (Status.NEW, Priority.URGENT, agent.pk, billing.pk, []),
    ]
    assert apply("category", tickets[:1], category="none") == ["Remove the category: 1 ticket changed."]
    assert apply("assign", tickets, assignee="none") == ["Unassign: 3 tickets changed."]
    assert state(tickets[0])[2:4] == (None, None)
    # Already so: reported, nothing written.
    before = state(tickets[0])
    assert apply("priority", tickets[:1], priority=Priority.URGENT) == [
        "Set the priority to Urgent: 0 tickets changed, 1 ticket already so."]
    assert state(tickets[0]) == before


@pytest.mark.parametrize(("fields", "problem"), [
    ({"action": "status", "status": "closed"}, "Tick the tickets to change first."),
    ({"action": "status", "ticket": ["x"]}, "not a ticket number"),
    ({"action": "explode", "ticket": ["1"]}, "Select a valid choice"),
    ({"ticket": ["1"]}, "Choose a change to make."),
    ({"action": "status", "status": "", "ticket": ["1"]}, "Choose a value."),
    ({"action": "status", "status": "gone", "ticket": ["1"]}, "Select a valid choice"),
    ({"action": "add_tag", "tag": " ", "ticket": ["1"]}, "Enter the tag"),
    ({"action": "add_tag", "tag": "a,b", "ticket": ["1"]}, "cannot contain a comma"),
    ({"action": "assign", "assignee": "999", "ticket": ["1"]}, "Select a valid choice"),
])
def test_wrong_input_is_reported_and_changes_nothing(desk, tickets, fields, problem):
    fields = {"scope": "selected", **fields}
    if fields.get("ticket") == ["1"]:
        fields["ticket"] = [str(tickets[0].pk)]
    before = [state(t) for t in tickets]
    response = desk.post(BULK, fields)
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert any(problem in m for m in messages_of(response)), messages_of(response)
    assert [state(t) for t in tickets] == before


def test_a_ticket_gone_meanwhile_refuses_the_whole_change(desk, tickets):
    before = [state(t) for t in tickets]
    response = desk.post(BULK, {"action": "priority", "priority": Priority.LOW, "scope": "selected",
                                "ticket": [tickets[0].pk, 987654]})
    assert messages_of(response) == ["No ticket #987654 any more; nothing was changed."]
    assert [state(t) for t in tickets] == before


@pytest.fixture
def failing_update():
    """Make the database refuse any UPDATE of one ticket: a failure half-way through a bulk change."""
    def install(ticket_id: int) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("CREATE FUNCTION test_refuse() RETURNS trigger AS $$ BEGIN "
                               "RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql")
                cursor.execute(f"CREATE TRIGGER test_refuse BEFORE UPDATE ON helpdesk_ticket FOR EACH ROW "
                               f"WHEN (NEW.id = {int(ticket_id)}) EXECUTE FUNCTION test_refuse()")
            else:
                cursor.execute(f"CREATE TRIGGER test_refuse BEFORE UPDATE ON helpdesk_ticket "
                               f"WHEN NEW.id = {int(ticket_id)} "
                               "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    return install


def test_one_ticket_failing_leaves_every_ticket_as_it_was(agent, tickets, failing_update,
                                                          django_capture_on_commit_callbacks):
    before = [state(t) for t in tickets]
    mails = OutgoingMail.objects.count()
    # The last in the order they are changed: the first two are written when it fails.
    failing_update(max(t.pk for t in tickets))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DatabaseError):
        services.bulk_update([t.pk for t in tickets], actor=agent, status=Status.CLOSED, add_tag="done")
    assert [state(t) for t in tickets] == before
    assert OutgoingMail.objects.count() == mails and not mail.outbox


def test_the_service_is_for_desk_users_and_capped(tickets):
    contact = tickets[0].contact
    customer = contact.user
    customer.is_staff = True
    customer.save()
    for actor in (contact, customer, make_staff("gone", email="gone@example.com", is_active=False)):
        with pytest.raises(NotAllowed):
            services.bulk_update([tickets[0].pk], actor=actor, priority=Priority.LOW)
    agent = make_staff("agent2", email="a2@example.com")
    with pytest.raises(InvalidInput, match="at most 1,000"):
        services.bulk_update(range(1, 1002), actor=agent, priority=Priority.LOW)
    with pytest.raises(TypeError):
        services.bulk_update([tickets[0].pk], actor=agent, subject="Renamed")  # type: ignore[call-arg]
    assert state(tickets[0])[1] == Priority.NORMAL


def test_only_desk_users_post_bulk_changes_and_only_with_the_csrf_token(client, agent, tickets):
    customer = tickets[0].contact.user
    customer.is_staff = True
    customer.save()
    data = {"action": "status", "status": "closed", "scope": "selected", "ticket": [tickets[0].pk]}
    for who in (None, customer):
        if who:
            client.force_login(who)
        response = client.post(BULK, data)
        assert response.status_code == 302 and response["Location"].startswith("/desk/login/")
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(agent)
    assert checked.post(BULK, data).status_code == 403
    assert checked.get(BULK).status_code in (302, 405)
    assert Ticket.objects.get(pk=tickets[0].pk).status == Status.NEW


def test_the_queue_offers_the_bulk_bar_with_its_filters(desk, tickets):
    html = desk.get("/desk/", {"q": "Case", "priority": "2", "page": "1"}).content.decode()
    assert '<form method="post" action="/desk/bulk/" id="bulk"' in html
    assert '<input type="hidden" name="filter-q" value="Case">' in html
    assert '<input type="hidden" name="filter-priority" value="2">' in html
    assert 'name="filter-page"' not in html
    for ticket in tickets:
        assert f'<input type="checkbox" name="ticket" value="{ticket.pk}" form="bulk"' in html
    assert "All 3 tickets matching the filters" in html and "at most 1000 at once" in html


def test_every_matching_ticket_is_found_again_when_the_change_is_confirmed(desk, tickets):
    services.update_properties(tickets[2], actor=make_staff("blake", email="b@example.com"),
                               priority=Priority.HIGH)
    data = {"action": "add_tag", "tag": "outage", "scope": "matching",
            "filter-q": "Case", "filter-priority": str(Priority.NORMAL)}
    page = desk.post(BULK, data)
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 tickets</strong> match now" in text and "at most 1000 tickets at once" in text
    assert not Ticket.objects.filter(tags__name="outage").exists()  # nothing until confirmed
    # Meanwhile one more ticket matches, and one no longer does.
    late = make_ticket(tickets[0].contact, "Case late")
    services.update_properties(tickets[1], actor=make_staff("cara", email="c@example.com"),
                               priority=Priority.LOW)
    confirm = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', text))
    assert confirm["confirmed"] == "on" and confirm["filter-q"] == "Case"
    response = desk.post(BULK, confirm)
    assert response.status_code == 302 and response["Location"] == "/desk/?q=Case&priority=2"
    assert set(Ticket.objects.filter(tags__name="outage").values_list("pk", flat=True)) == {
        tickets[0].pk, late.pk}


def test_every_matching_ticket_means_at_most_the_first_thousand_in_queue_order(desk, agent):
    contact = make_contact("acme")
    now = timezone.now()
    Ticket.objects.bulk_create([
        Ticket(subject=f"Bulk case {n}", contact=contact, created_at=now, updated_at=now,
               last_activity_at=now) for n in range(services.BULK_MAX_TICKETS + 1)
    ])
    data = {"action": "priority", "priority": str(Priority.LOW), "scope": "matching",
            "filter-q": "Bulk case", "filter-sort": "-number"}
    text = desk.post(BULK, data).content.decode()
    assert "1001 tickets</strong> match now" in text
    assert "this one changes the first 1000 in the queue's order; apply it again for the rest" in text
    assert "Set the priority to Low: 1000 tickets</button>" in text
    # What the confirmed change applies to, found again the same way (applying it to a thousand
    # tickets is a few seconds of the suite; the cap itself is the service's, tested above).
    query = QueueFilterForm(QueryDict("q=Bulk+case&sort=-number"), staff=[], categories=[])
    assert query.is_valid()
    ids, total = queue_matches(query.query(), viewer_id=agent.pk, limit=services.BULK_MAX_TICKETS)
    assert total == 1001
    assert ids == list(Ticket.objects.order_by("pk").values_list("pk", flat=True)[:1000])


def test_assign_to_me_from_the_queue_and_the_ticket(desk, agent, tickets):
    html = desk.get("/desk/", {"q": "Case"}).content.decode()
    button = f'formaction="/desk/tickets/{tickets[0].pk}/assign-to-me/"'
    assert button in html and '<form method="post" id="assign-me"' in html
    assert '<input type="hidden" name="next" value="/desk/?q=Case">' in html
    response = desk.post(f"/desk/tickets/{tickets[0].pk}/assign-to-me/", {"next": "/desk/?q=Case"})
    assert response.status_code == 302 and response["Location"] == "/desk/?q=Case"
    current = Ticket.objects.get(pk=tickets[0].pk)
    assert current.assignee == agent
    assert current.events.get(kind=EventKind.ASSIGNEE).new_value == "Alex Agent"
    assert button not in desk.get("/desk/", {"q": "Case"}).content.decode()  # mine now
    # From the ticket page, back to it; somewhere else is not followed.
    page = desk.get(f"/desk/tickets/{tickets[1].pk}/").content.decode()
    assert f'action="/desk/tickets/{tickets[1].pk}/assign-to-me/"' in page
    response = desk.post(f"/desk/tickets/{tickets[1].pk}/assign-to-me/", {"next": "https://evil.example/"})
    assert response["Location"] == "/desk/"
    response = desk.post(f"/desk/tickets/{tickets[2].pk}/assign-to-me/")
    assert response["Location"] == f"/desk/tickets/{tickets[2].pk}/"
    assert Ticket.objects.filter(assignee=agent).count() == 3
    assert desk.get(f"/desk/tickets/{tickets[0].pk}/assign-to-me/").status_code == 405
