"""Reads: visibility, filters, search, sorting, and a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
    # A search of words: count, the ranked page with its snippets, its tickets (categories and
    # accounts joined).
    with django_assert_num_queries(3):
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
    services.update_properties(second, actor=staff, assignee=staff)
    services.update_properties(second, actor=staff, status=Status.WAITING)

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
    services.reply(ticket, author=staff, body="note", attachments=[upload("n.txt")], internal=True)
    services.reply(ticket, author=staff, body="public")
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


def test_staff_queue_takes_its_page_total_from_the_status_counts(django_assert_num_queries):
    contact = make_contact("acme")
    _bulk_tickets(contact, 7)
    _bulk_tickets(contact, 4, status=Status.CLOSED)
    filters = QueueFilters(statuses=(Status.NEW, Status.OPEN))
    counts = selectors.queue_status_counts(filters)
    with django_assert_num_queries(1):  # the page rows; no COUNT
        page = selectors.staff_queue(filters, per_page=5, status_counts=counts)
        assert len(page.object_list) == 5
    assert (page.paginator.count, page.paginator.num_pages) == (7, 2)
    with django_assert_num_queries(1):
        everything = selectors.staff_queue(QueueFilters(), per_page=5, page=3, status_counts=counts)
        assert len(everything.object_list) == 1
    assert everything.paginator.count == 11


def test_a_number_search_finds_that_ticket_alone():
    contact = make_contact("acme")
    wanted = make_ticket(contact, subject="Mail is down")
    quoting = make_ticket(contact, subject=f"Same as #{wanted.pk} and {wanted.pk}")
    for text in (f"#{wanted.pk}", f" {wanted.pk} ", f"# {wanted.pk}"):
        assert [t.pk for t in selectors.staff_queue(QueueFilters(search=text)).object_list] == [wanted.pk]
        assert [t.pk for t in selectors.contact_tickets(contact, state="all", search=text)] == [wanted.pk]
    assert [t.pk for t in selectors.staff_queue(QueueFilters(search="same as")).object_list] == [quoting.pk]


def test_queue_search_reads_e_mails_and_account_names_in_subqueries():
    ann = make_contact("Acme Hosting", email="ann@example.org")
    eve = make_contact("evil", email="eve@acme-mail.example")
    by_subject = make_ticket(make_contact("other"), subject="ACME router")
    by_account, by_email = make_ticket(ann), make_ticket(eve)
    filters = QueueFilters(search="acme")
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.queue_status_counts(filters)
    assert counts["new"] == 3
    # The subjects containing the text (read once, for the counts and a page to share), then the count.
    subjects, count = [q["sql"] for q in queries.captured_queries]
    # No join of every ticket to contacts and accounts (the search index's own join is a lookup).
    assert 'JOIN "CONTACTS_' not in subjects.upper() + count.upper()
    found = {t.pk for t in selectors.staff_queue(filters, status_counts=counts).object_list}
    assert found == {by_subject.pk, by_account.pk, by_email.pk}


@pytest.mark.parametrize("few", [0, selectors.FEW_SEARCH_MATCHES])
def test_queue_search_pages_are_the_same_through_either_plan(monkeypatch, few):
    """Few matches are fetched by id and sorted, many by walking the sort order: same pages."""
    contact = make_contact("acme")
    _bulk_tickets(contact, 12, priority=Priority.HIGH)
    _bulk_tickets(contact, 9, priority=Priority.LOW)
    others = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))[::3]
    Ticket.objects.filter(pk__in=others).update(subject="Other thing")
    monkeypatch.setattr(selectors, "FEW_SEARCH_MATCHES", few)
    filters = QueueFilters(search="bulk")
    counts = selectors.queue_status_counts(filters)
    expected = list(Ticket.objects.filter(subject__icontains="bulk")
                    .order_by("priority", "last_activity_at", "id").values_list("pk", flat=True))
    pages = [selectors.staff_queue(filters, sort="-priority", per_page=4, page=n, status_counts=counts)
             for n in (1, 2, 3, 4)]
    assert [t.pk for p in pages for t in p.object_list] == expected
    assert pages[0].paginator.count == len(expected) == 14


def test_reversed_priority_is_the_exact_reverse():
    contact = make_contact("acme")
    _bulk_tickets(contact, 3, priority=Priority.URGENT)
    _bulk_tickets(contact, 3, priority=Priority.LOW)
    most = [t.pk for t in selectors.staff_queue(sort="priority").object_list]
    least = [t.pk for t in selectors.staff_queue(sort="-priority").object_list]
    assert least == most[::-1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")
def test_postgresql_answers_queue_search_and_priority_sort_from_indexes():
    contact = make_contact("acme")
    _bulk_tickets(contact, 5)
    filters = QueueFilters(search="bulk")
    with connection.cursor() as cursor:
        # Whether an index CAN answer the query; on five rows the planner would rightly scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = selectors._filtered_queue(filters).order_by().values("status").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "ticket_subject_trgm" in plan
        # Either index on the contact (the account) answers the e-mail's (the account name's) branch.
        assert "helpdesk_ticket_contact_id" in plan or "ticket_contact_list" in plan
        assert "helpdesk_ticket_account_id" in plan or "ticket_account_list" in plan
        cursor.execute("SET LOCAL enable_sort = off")
        for sort in ("priority", "-priority"):
            sql, params = selectors.staff_queue(sort=sort).object_list.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            assert "ticket_priority_activity" in "\n".join(row[0] for row in cursor.fetchall()), sort


# ---------------------------------------------------------------- the customer's list, branch by branch


def _customer_world():
    """Ann in acme and beta; tickets of hers in each, in no account and in an account she left;
    colleagues' in acme and beta, a stranger's; several with the same last activity."""
    ann = make_contact("acme", "beta")
    bob, cat = make_contact("acme"), make_contact("beta")
    eve = make_contact("evil")
    acme, beta, evil = (Account.objects.get(name=n) for n in ("acme", "beta", "evil"))
    moment = timezone.now()
    rows = []
    for i, (contact, account) in enumerate([
        (ann, acme), (ann, beta), (ann, None), (ann, evil), (bob, acme), (cat, beta), (eve, evil),
    ] * 4):
        # Every third ticket shares its last activity with the one before: ties are ordered by id.
        stamp = moment - timezone.timedelta(minutes=i - (i % 3 == 2))
        rows.append(Ticket(subject=f"Case {i}", contact=contact, account=account,
                           status=list(Status.values)[i % 5], created_at=stamp, updated_at=stamp,
                           last_activity_at=stamp))
    Ticket.objects.bulk_create(rows)
    return ann


@pytest.mark.parametrize("branches", [8, 1])
@pytest.mark.parametrize("state", ["all", "open", "closed"])
def test_customer_list_pages_are_those_of_the_plain_query(monkeypatch, branches, state):
    """Read account by account or (more accounts than branches) all accounts at once: the same
    tickets, in the same order, counted alike, as one query with an OR would give."""
    monkeypatch.setattr(selectors, "_ACCOUNT_BRANCHES", branches)
    ann = _customer_world()
    expected = Ticket.objects.filter(selectors.visible_to_contact(ann))
    if state != "all":
        expected = expected.filter(
            status__in=selectors.OPEN_STATUSES if state == "open" else selectors.CLOSED_STATUSES)
    expected = list(expected.order_by("-last_activity_at", "-id").values_list("pk", flat=True))
    assert len(expected) > 7  # own in evil, no account; acme's and beta's; not eve's
    for per_page in (1, 3, 5, len(expected)):
        first = selectors.contact_tickets(ann, state=state, per_page=per_page)
        assert first.paginator.count == len(expected)
        pages = [selectors.contact_tickets(ann, state=state, per_page=per_page, page=n)
                 for n in first.paginator.page_range]
        assert [t.pk for page in pages for t in page.object_list] == expected


def test_customer_list_sees_own_tickets_outside_its_accounts_once():
    ann = _customer_world()
    page = selectors.contact_tickets(ann, state="all", per_page=100)
    shown = [(t.contact_id, t.account.name if t.account else None) for t in page.object_list]
    assert len(shown) == len(set(t.pk for t in page.object_list)) == page.paginator.count == 24
    assert (ann.pk, "evil") in shown and (ann.pk, None) in shown
    assert all(contact == ann.pk for contact, account in shown if account == "evil")


def test_customer_list_pagination_at_the_edges():
    contact = make_contact("acme")
    _bulk_tickets(contact, 2 * selectors.CUSTOMER_PAGE_SIZE)

    def rows(page) -> int:
        return len(selectors.contact_tickets(contact, state="all", page=page).object_list)

    last = selectors.contact_tickets(contact, state="all", page=2)
    assert (last.number, last.paginator.num_pages, last.has_next()) == (2, 2, False)
    assert len(last.object_list) == 25
    # Out of range or not a number: the nearest page that exists, as Django's get_page does.
    assert selectors.contact_tickets(contact, state="all", page=3).number == 2
    assert selectors.contact_tickets(contact, state="all", page="x").number == 1
    assert [rows(n) for n in (1, 2, 3, 0)] == [25, 25, 25, 25]
    _bulk_tickets(contact, 1)  # one more than two full pages: a third page of one
    assert [rows(n) for n in (2, 3, 4)] == [25, 1, 1]


def test_customer_list_with_no_tickets_is_one_empty_page(django_assert_num_queries):
    contact = make_contact()
    with django_assert_num_queries(1):  # the count; an empty page needs no rows
        page = selectors.contact_tickets(contact, state="all")
        assert list(page.object_list) == []
    assert (page.number, page.paginator.count, page.has_other_pages()) == (1, 0, False)


def test_customer_list_of_several_accounts_runs_two_queries_whatever_the_size(django_assert_num_queries):
    ann = _customer_world()
    _bulk_tickets(ann, 60)
    with django_assert_num_queries(2):
        page = selectors.contact_tickets(ann, state="open", page=3)
        [(t.subject, t.account, t.category, t.contact.email) for t in page.object_list]
    assert page.number == 3 and page.paginator.count > 60


# ---------------------------------------------------------------- the queue's status filter


@pytest.mark.parametrize("walked", [1, 10**9])
@pytest.mark.parametrize("sort", ["activity", "-priority", "number"])
def test_queue_pages_are_the_same_whichever_index_the_status_filter_uses(monkeypatch, walked, sort):
    """A common status is checked while walking the sort order, a rare one read from its index."""
    contact = make_contact("acme")
    _bulk_tickets(contact, 9, status=Status.NEW, priority=Priority.HIGH)
    _bulk_tickets(contact, 5, status=Status.WAITING)
    _bulk_tickets(contact, 6, status=Status.CLOSED, priority=Priority.LOW)
    monkeypatch.setattr(selectors, "STATUS_SHARE_WALKED", walked)
    filters = QueueFilters(statuses=(Status.NEW, Status.WAITING))
    counts = selectors.queue_status_counts(filters)
    expected = list(Ticket.objects.filter(status__in=filters.statuses)
                    .order_by(*selectors.QUEUE_SORTS[sort]).values_list("pk", flat=True))
    pages = [selectors.staff_queue(filters, sort=sort, per_page=4, page=n, status_counts=counts)
             for n in (1, 2, 3, 4)]
    assert [t.pk for p in pages for t in p.object_list] == expected
    assert pages[0].paginator.count == 14


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite plans without statistics")
def test_sqlite_walks_the_activity_order_when_most_tickets_have_the_wanted_statuses():
    contact = make_contact("acme")
    _bulk_tickets(contact, 19, status=Status.NEW)
    _bulk_tickets(contact, 1, status=Status.CLOSED)

    def plan(statuses: tuple[str, ...]) -> tuple[str, str]:
        filters = QueueFilters(statuses=statuses)
        page = selectors.staff_queue(filters, status_counts=selectors.queue_status_counts(filters))
        sql, params = page.paginator.object_list.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return sql, " ".join(row[-1] for row in cursor.fetchall())

    sql, steps = plan((Status.NEW, Status.OPEN))  # 19 of 20: walk the order, skip the others
    assert '+"helpdesk_ticket"."status" IN' in sql and "INDEX ticket_activity" in steps
    sql, steps = plan((Status.CLOSED, Status.RESOLVED))  # 1 of 20: the status index may drive
    assert '+"helpdesk_ticket"."status"' not in sql
