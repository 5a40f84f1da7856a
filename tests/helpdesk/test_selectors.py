"""Reads: visibility, filters, search, sorting, and a constant number of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone

from extdesk.contacts.models import Account
from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.models import Message, Priority, Status, Ticket
from extdesk.helpdesk.selectors import QueueFilters
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket, upload

pytestmark = pytest.mark.django_db


def _bulk_tickets(contact, count: int, **fields) -> None:
    now = timezone.now()
    account = contact.accounts.first()
    Ticket.objects.bulk_create([
        Ticket(subject=f"Bulk {i}", contact=contact, account=account, created_at=now, updated_at=now,
               last_activity_at=now, **fields)
        for i in range(count)
    ])


@pytest.mark.parametrize("count", [1, 40])
def test_customer_list_runs_two_queries_whatever_the_size(django_assert_num_queries, count):
    contact = make_contact("acme")
    _bulk_tickets(contact, count, category=make_category())
    with django_assert_num_queries(2):  # count + page, categories and accounts joined
        page = selectors.contact_tickets(contact, state="all", search="bulk")
        rows = [(t.subject, t.category.name, t.account.name, t.contact.email) for t in page.object_list]
    assert len(rows) == min(count, selectors.CUSTOMER_PAGE_SIZE)


@pytest.mark.parametrize("count", [3, 300])
def test_customer_list_page_renders_in_five_queries(client, django_assert_num_queries, count):
    contact = make_contact("acme")
    _bulk_tickets(contact, count, category=make_category())
    client.force_login(contact.user)
    # Session, user, contact; then count and page.
    with django_assert_num_queries(5):
        response = client.get("/tickets/?state=all")
    assert response.status_code == 200
    assert f"{count} tickets".encode() in response.content


def test_staff_queue_runs_two_queries(django_assert_num_queries):
    contact = make_contact("acme")
    staff = make_staff()
    _bulk_tickets(contact, 30, assignee=staff, category=make_category())
    with django_assert_num_queries(2):
        page = selectors.staff_queue(QueueFilters(statuses=(Status.NEW,)), sort="priority")
        [(t.contact.email, t.account.name, t.category.name, t.assignee.username) for t in page.object_list]
    with django_assert_num_queries(1):
        counts = selectors.queue_status_counts(QueueFilters())
    assert counts == {"new": 30, "open": 0, "waiting": 0, "resolved": 0, "closed": 0}


def test_staff_queue_filters_and_search():
    ann = make_contact("acme", email="ann@acme.example")
    eve = make_contact("evil")
    staff = make_staff()
    billing = make_category("Billing")
    first = make_ticket(ann, subject="Printer on fire", priority=Priority.URGENT, category=billing)
    second = make_ticket(eve, subject="Password reset")
    services.assign(second, staff, actor=staff)
    services.change_status(second, Status.WAITING, actor=staff)

    def numbers(**filters):
        return [t.pk for t in selectors.staff_queue(QueueFilters(**filters), sort="number").object_list]

    assert numbers() == [second.pk, first.pk]
    assert numbers(statuses=(Status.WAITING,)) == [second.pk]
    assert numbers(priorities=(Priority.URGENT,)) == [first.pk]
    assert numbers(unassigned=True) == [first.pk]
    assert numbers(assignee_id=staff.pk) == [second.pk]
    assert numbers(account_id=Account.objects.get(name="evil").pk) == [second.pk]
    assert numbers(category_id=billing.pk) == [first.pk]
    assert numbers(search="fire") == [first.pk]
    assert numbers(search=f"#{second.pk}") == [second.pk]
    assert numbers(search="acme.example") == [first.pk]
    counts = selectors.queue_status_counts(QueueFilters(statuses=(Status.WAITING,)))
    assert counts["new"] == 1 and counts["waiting"] == 1
    ordered = [t.pk for t in selectors.staff_queue(sort="-priority").object_list]
    assert ordered == [second.pk, first.pk]
    assert [t.pk for t in selectors.staff_queue(sort="nonsense").object_list] == [second.pk, first.pk]


def test_thread_selectors_split_public_and_internal(django_assert_num_queries):
    contact = make_contact("acme")
    staff = make_staff()
    ticket = make_ticket(contact, attachments=[upload()])
    services.add_internal_note(ticket, author=staff, body="note", attachments=[upload("n.txt")])
    services.add_reply(ticket, author=staff, body="public")
    with django_assert_num_queries(2):
        public = selectors.public_thread(ticket)
        [(m.author_name, [a.original_name for a in m.attachments.all()]) for m in public]
    assert [m.body for m in public] == ["Since this morning.", "public"]
    with django_assert_num_queries(2):
        everything = selectors.staff_thread(ticket)
        [(m.author_name, [a.original_name for a in m.attachments.all()]) for m in everything]
    assert [m.is_internal for m in everything] == [False, True, False]
    history = selectors.ticket_history(ticket)
    assert [e.kind for e in history] == ["created", "note", "replied", "status"]
    assert history[-1].actor_name == "agent"


def test_contact_other_tickets_and_lookups():
    contact = make_contact("acme")
    first = make_ticket(contact)
    second = make_ticket(contact)
    assert selectors.contact_other_tickets(first) == [second]
    assert selectors.ticket_for_staff(first.pk) == first
    assert selectors.ticket_for_staff(10**9) is None
    staff = make_staff()
    make_staff("retired", "r@example.com", is_active=False)
    assert selectors.staff_members() == [staff]
    message = Message.objects.get(ticket=first)
    assert message.author_name == contact.display_name
