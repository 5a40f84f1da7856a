"""The queue's default view, needs attention: its order, its rows' markers, its queries and its index."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import Escalation, Speaker, Status, Ticket
from extdesk.helpdesk.selectors import STAFF_PAGE_SIZE, QueueFilters
from tests.helpdesk.factories import make_contact, make_ticket

pytestmark = pytest.mark.django_db
QUEUE = "/desk/"


def numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="number">#(\d+)</td>', response.content.decode())]


def rows(response) -> dict[int, str]:
    """Each listed ticket's table row, by number."""
    html = response.content.decode()
    return {int(n): row for row, n in re.findall(r'(<tr[^>]*>\s*<td class="select">.*?'
                                                 r'<td class="number">#(\d+)</td>.*?</tr>)', html, re.S)}


def set_fields(ticket: Ticket, **fields) -> None:
    """The SLA fields as the services keep them, written straight to the row."""
    Ticket.objects.filter(pk=ticket.pk).update(**fields)


@pytest.fixture
def queue(agent):
    """Tickets in every state the view tells apart, created oldest first in this order."""
    now = timezone.now()
    ann = make_contact("acme", email="ann@acme.example")
    names = ["overdue_long", "overdue_short", "close", "later", "tie_a", "tie_b", "undated_old",
             "undated_new", "waiting", "resolved", "closed"]
    t = {name: make_ticket(ann, name.replace("_", " ")) for name in names}
    for age, name in enumerate(reversed(names)):
        set_fields(t[name], created_at=now - timedelta(days=3, hours=age))
    services.update_properties(t["overdue_long"], actor=agent, status=Status.OPEN)
    for name, status in (("waiting", Status.WAITING), ("resolved", Status.RESOLVED),
                         ("closed", Status.CLOSED)):
        services.update_properties(t[name], actor=agent, status=status)
    due = {"overdue_long": now - timedelta(hours=2, minutes=5), "overdue_short": now - timedelta(minutes=35),
           "close": now + timedelta(minutes=20), "later": now + timedelta(hours=2, minutes=10),
           "tie_a": now + timedelta(hours=5), "tie_b": now + timedelta(hours=5),
           # Stale values on tickets outside the view: they must not bring them in.
           "waiting": now - timedelta(days=1), "resolved": now - timedelta(days=1),
           "undated_old": None, "undated_new": None}
    for name, moment in due.items():
        set_fields(t[name], next_due_at=moment)
    set_fields(t["close"], next_escalation_at=now - timedelta(minutes=5))
    set_fields(t["later"], next_escalation_at=now + timedelta(hours=1))
    set_fields(t["overdue_long"], first_response_breached=True, last_speaker=Speaker.CUSTOMER,
               last_message_excerpt="The mail server answers 550 since the move")
    set_fields(t["overdue_short"], last_speaker=Speaker.AGENT, last_message_excerpt="Could you send the log?",
               first_responded_at=now - timedelta(hours=1), resolution_escalation=Escalation.WARNED)
    return {name: Ticket.objects.get(pk=ticket.pk) for name, ticket in t.items()}


def test_default_view_orders_overdue_first_then_soonest_due_then_oldest(desk, queue):
    t = queue
    expected = ["overdue_long", "overdue_short", "close", "later", "tie_a", "tie_b", "undated_old",
                "undated_new"]
    response = desk.get(QUEUE)
    assert response.status_code == 200
    assert numbers(response) == [t[name].pk for name in expected]
    assert '<a href="?" aria-current="page">Needs attention<span class="count">8</span></a>' in \
        response.content.decode()


def test_equal_due_times_list_the_older_ticket_first(desk, queue):
    t = queue
    # tie_b made older than tie_a: the creation time decides between equal due times.
    set_fields(t["tie_b"], created_at=t["tie_a"].created_at - timedelta(minutes=1))
    listed = numbers(desk.get(QUEUE))
    assert listed.index(t["tie_b"].pk) < listed.index(t["tie_a"].pk)


def test_waiting_resolved_and_closed_tickets_are_left_out(desk, queue):
    listed = set(numbers(desk.get(QUEUE)))
    assert not listed & {queue[name].pk for name in ("waiting", "resolved", "closed")}
    # The active tab still has the waiting ticket.
    assert queue["waiting"].pk in numbers(desk.get(QUEUE, {"status": "active"}))


def test_rows_show_due_times_age_speaker_excerpt_and_breach(desk, queue):
    t = queue
    row = rows(desk.get(QUEUE))
    overdue = row[t["overdue_long"].pk]
    assert 'class="row-overdue"' in overdue
    assert 'class="due due-overdue"' in overdue and ">overdue by 2 h</time>" in overdue
    assert 'title="Missed: first response">Breached</span>' in overdue
    assert '<span class="speaker speaker-customer">Customer:</span>' in overdue
    assert "The mail server answers 550 since the move" in overdue
    assert '<td data-label="Age">' in overdue and ">3 d</time>" in overdue

    short = row[t["overdue_short"].pk]
    assert ">overdue by 35 min</time>" in short
    assert '<span class="speaker speaker-agent">Agent:</span>' in short and "Could you send the log?" in short
    assert "Breached" not in short

    close = row[t["close"].pk]
    assert 'class="row-close"' in close and 'class="due due-close"' in close
    assert ">due in 19 min</time>" in close or ">due in 20 min</time>" in close
    assert '<span class="due-tag">soon</span>' in close

    later = row[t["later"].pk]
    assert 'class="due due-due"' in later and ">due in 2 h</time>" in later
    assert 'class="row-due"' in later and "due-tag" not in later

    undated = row[t["undated_old"].pk]
    assert "not due" in undated
    # Kept by the services from the ticket's first message (make_ticket's body).
    assert "Customer:</span>" in undated and "Since this morning." in undated


def test_a_warned_step_is_close_even_before_its_escalation_time(desk, queue):
    t = queue
    # Its first response is pending and was warned about: amber, whatever next_escalation_at says.
    set_fields(t["later"], first_response_escalation=Escalation.WARNED)
    assert 'class="due due-close"' in rows(desk.get(QUEUE))[t["later"].pk]


def test_waiting_ticket_says_its_clock_is_paused(desk, queue):
    set_fields(queue["waiting"], next_due_at=None)
    row = rows(desk.get(QUEUE, {"status": "waiting"}))[queue["waiting"].pk]
    assert "paused: waiting on customer" in row


def test_both_breaches_are_named(desk, queue):
    set_fields(queue["later"], first_response_breached=True, resolution_breached=True)
    row = rows(desk.get(QUEUE))[queue["later"].pk]
    assert 'title="Missed: first response and resolution">Breached' in row


def test_due_sort_reversed_and_other_sorts_in_the_view(desk, queue):
    t = queue
    forwards = numbers(desk.get(QUEUE))
    # Latest due first: the undated ones, newest first, then the latest due time.
    assert numbers(desk.get(QUEUE, {"sort": "-due"})) == forwards[::-1]
    by_number = numbers(desk.get(QUEUE, {"sort": "-number"}))
    assert by_number == sorted(forwards) and set(by_number) == set(forwards)
    assert t["waiting"].pk not in by_number


def test_other_tabs_keep_their_activity_sort(desk, queue):
    listed = numbers(desk.get(QUEUE, {"status": "all"}))
    latest_activity = list(Ticket.objects.order_by("-last_activity_at", "-id").values_list("pk", flat=True))
    assert listed == latest_activity


def test_the_sort_menu_shows_each_tabs_own_order(desk, queue):
    assert '<option value="due" selected>Due soonest</option>' in desk.get(QUEUE).content.decode()
    html = desk.get(QUEUE, {"status": "active"}).content.decode()
    assert '<option value="activity" selected>Latest activity</option>' in html


def test_filters_apply_within_the_view(desk, queue, agent):
    t = queue
    services.update_properties(t["later"], actor=agent, assignee=agent)
    assert numbers(desk.get(QUEUE, {"assignee": "me"})) == [t["later"].pk]
    assert numbers(desk.get(QUEUE, {"q": "tie"})) == [t["tie_a"].pk, t["tie_b"].pk]


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE, params or {})
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_tickets(desk, queue):
    few = _queries(desk)
    contact = make_contact("globex")
    now = timezone.now()
    for i in range(STAFF_PAGE_SIZE + 5):
        ticket = make_ticket(contact, f"Case {i}")
        set_fields(ticket, next_due_at=now + timedelta(minutes=i), last_speaker=Speaker.CUSTOMER,
                   last_message_excerpt=f"Line {i}")
    assert _queries(desk) == few
    assert _queries(desk, {"page": "2"}) == few


def test_page_query_reads_the_partial_index(queue):
    counts = selectors.queue_status_counts()
    with CaptureQueriesContext(connection) as captured:
        page = selectors.needs_attention_queue(QueueFilters(statuses=selectors.NEEDS_ATTENTION_STATUSES),
                                               status_counts=counts)
        assert len(page.object_list) == 8
    [query] = captured.captured_queries
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:
            # A handful of rows: a table this small is read whole unless the planner is kept from it.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {query['sql']}")
            plan = " ".join(row[0] for row in cursor.fetchall())
    assert "ticket_needs_attention" in plan, plan


def test_a_search_sorted_by_due_time_stays_in_the_view(desk, queue):
    t = queue
    # Words of the messages (full-text search) and of the subjects, in the view's own order.
    listed = numbers(desk.get(QUEUE, {"q": "morning", "sort": "due"}))
    assert listed == [t[name].pk for name in ("overdue_long", "overdue_short", "close", "later", "tie_a",
                                              "tie_b", "undated_old", "undated_new")]
    assert numbers(desk.get(QUEUE, {"q": "tie", "sort": "-due"})) == [t["tie_b"].pk, t["tie_a"].pk]
