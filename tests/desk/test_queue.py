"""The staff queue: filters, search, sort, pages, counts, and its query count."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Priority, Status, Ticket
from extdesk.helpdesk.selectors import STAFF_PAGE_SIZE
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db
QUEUE = "/desk/"


def numbers(response) -> list[int]:
    """Ticket numbers in the queue table, in page order."""
    return [int(n) for n in re.findall(r'<td class="number">#(\d+)</td>', response.content.decode())]


def tab_counts(response) -> dict[str, int]:
    html = response.content.decode()
    return {label: int(count) for label, count in
            re.findall(r'>([A-Za-z ]+)<span class="count">(\d+)</span>', html)}


@pytest.fixture
def world(agent):
    """A few tickets spread over statuses, priorities, people and categories."""
    other = make_staff("blake", email="blake@example.com")
    billing, network = make_category("Billing"), make_category("Network")
    ann = make_contact("acme", email="ann@acme.example")
    bob = make_contact("globex", email="bob@globex.example", first_name="Bob")
    t = {
        "new": make_ticket(ann, "Invoice twice", category=billing),
        "open": make_ticket(ann, "Mail bounces", priority=Priority.HIGH, category=network),
        "waiting": make_ticket(bob, "DNS change", category=network),
        "resolved": make_ticket(bob, "Password reset", priority=Priority.LOW),
        "closed": make_ticket(bob, "Old invoice", priority=Priority.URGENT, category=billing),
    }
    services.update_properties(t["open"], actor=agent, status=Status.OPEN)
    services.update_properties(t["waiting"], actor=agent, status=Status.WAITING)
    services.update_properties(t["resolved"], actor=agent, status=Status.RESOLVED)
    services.update_properties(t["closed"], actor=agent, status=Status.CLOSED)
    services.update_properties(t["open"], actor=agent, assignee=agent)
    services.update_properties(t["waiting"], actor=agent, assignee=other)
    return {"tickets": t, "agent": agent, "other": other, "billing": billing, "network": network}


def test_default_view_needs_attention_with_counts_per_status(desk, world):
    t = world["tickets"]
    response = desk.get(QUEUE)
    assert response.status_code == 200
    assert set(numbers(response)) == {t["new"].pk, t["open"].pk}
    assert tab_counts(response) == {"Needs attention": 2, "Active": 3, "New": 1, "Open": 1,
                                    "Waiting on customer": 1, "Resolved": 1, "Closed": 1, "All": 5}


def test_active_tab_lists_the_open_statuses(desk, world):
    t = world["tickets"]
    assert set(numbers(desk.get(QUEUE, {"status": "active"}))) == {t["new"].pk, t["open"].pk, t["waiting"].pk}


@pytest.mark.parametrize("status", ["new", "open", "waiting", "resolved", "closed"])
def test_status_tab(desk, world, status):
    assert numbers(desk.get(QUEUE, {"status": status})) == [world["tickets"][status].pk]


def test_all_tab_lists_every_ticket(desk, world):
    assert len(numbers(desk.get(QUEUE, {"status": "all"}))) == 5


def test_filter_by_priority(desk, world):
    response = desk.get(QUEUE, {"status": "all", "priority": Priority.URGENT})
    assert numbers(response) == [world["tickets"]["closed"].pk]


def test_filter_by_assignee_me_someone_and_unassigned(desk, world):
    t = world["tickets"]
    assert numbers(desk.get(QUEUE, {"assignee": "me"})) == [t["open"].pk]
    assert numbers(desk.get(QUEUE, {"assignee": world["other"].pk, "status": "active"})) == [t["waiting"].pk]
    assert numbers(desk.get(QUEUE, {"assignee": world["other"].pk})) == []
    assert numbers(desk.get(QUEUE, {"assignee": "none"})) == [t["new"].pk]
    assert set(numbers(desk.get(QUEUE, {"assignee": "none", "status": "all"}))) == {
        t["new"].pk, t["resolved"].pk, t["closed"].pk}


def test_filter_by_category(desk, world):
    t = world["tickets"]
    response = desk.get(QUEUE, {"status": "all", "category": world["billing"].pk})
    assert set(numbers(response)) == {t["new"].pk, t["closed"].pk}


def test_filter_by_account_name_any_case(desk, world):
    t = world["tickets"]
    response = desk.get(QUEUE, {"status": "all", "account": "GLOBEX"})
    assert set(numbers(response)) == {t["waiting"].pk, t["resolved"].pk, t["closed"].pk}
    # The counts follow the other filters.
    assert tab_counts(response)["All"] == 3


def test_unknown_account_is_reported_next_to_the_field(desk, world):
    response = desk.get(QUEUE, {"account": "initech"})
    assert response.status_code == 400
    assert "No account is named &#x27;initech&#x27;." in response.content.decode()
    assert numbers(response) == []


def test_search_by_subject_number_email_and_account(desk, world):
    t = world["tickets"]
    assert set(numbers(desk.get(QUEUE, {"status": "all", "q": "invoice"}))) == {t["new"].pk, t["closed"].pk}
    assert numbers(desk.get(QUEUE, {"status": "all", "q": f"#{t['waiting'].pk}"})) == [t["waiting"].pk]
    assert set(numbers(desk.get(QUEUE, {"status": "all", "q": "bob@globex"}))) == {
        t["waiting"].pk, t["resolved"].pk, t["closed"].pk}
    assert set(numbers(desk.get(QUEUE, {"status": "all", "q": "acme"}))) == {t["new"].pk, t["open"].pk}


def test_filters_combine(desk, world):
    response = desk.get(QUEUE, {"status": "all", "category": world["network"].pk, "assignee": "me"})
    assert numbers(response) == [world["tickets"]["open"].pk]


def test_filters_are_kept_in_the_form_and_the_tabs(desk, world):
    response = desk.get(QUEUE, {"q": "invoice", "priority": "4", "status": "closed"})
    html = response.content.decode()
    assert 'value="invoice"' in html
    assert '<option value="4" selected>Urgent</option>' in html
    assert 'name="status" value="closed"' in html
    assert 'href="?q=invoice&amp;priority=4&amp;status=open"' in html


def test_sort_by_priority_and_number(desk, world):
    t = world["tickets"]
    by_priority = numbers(desk.get(QUEUE, {"status": "all", "sort": "priority"}))
    assert by_priority[0] == t["closed"].pk and by_priority[-1] == t["resolved"].pk
    assert numbers(desk.get(QUEUE, {"status": "all", "sort": "-number"})) == sorted(
        ticket.pk for ticket in t.values())


def test_newest_activity_first_by_default_in_the_status_tabs(desk, world):
    t = world["tickets"]
    services.reply(t["new"], author=world["agent"], body="On it.")
    assert numbers(desk.get(QUEUE, {"status": "active"}))[0] == t["new"].pk


@pytest.mark.parametrize("params, error", [
    ({"status": "lost"}, "<li>Status: Select a valid choice. lost is not one of the available choices.</li>"),
    ({"priority": "9"}, 'id="id_priority_error"><li>Select a valid choice. 9 is not one'),
    ({"assignee": "999999"}, 'id="id_assignee_error"><li>Select a valid choice. 999999 is not one'),
    ({"category": "abc"}, 'id="id_category_error"><li>Select a valid choice. abc is not one'),
    ({"sort": "random"}, 'id="id_sort_error"><li>Select a valid choice. random is not one'),
    ({"page": "0"}, "<li>Page: Ensure this value is greater than or equal to 1.</li>"),
])
def test_bad_query_values_are_named_and_ignored(desk, world, params, error):
    response = desk.get(QUEUE, params)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert len(numbers(response)) >= 1  # the list still shows, without the bad filter


def test_pagination_keeps_the_filters(desk, agent):
    contact = make_contact("acme")
    created = [make_ticket(contact, f"Ticket {i}") for i in range(STAFF_PAGE_SIZE + 3)]
    first = desk.get(QUEUE, {"q": "Ticket"})
    assert len(numbers(first)) == STAFF_PAGE_SIZE
    assert 'href="?q=Ticket&amp;page=2"' in first.content.decode()
    second = desk.get(QUEUE, {"q": "Ticket", "page": "2"})
    assert len(numbers(second)) == 3
    assert set(numbers(first)) | set(numbers(second)) == {t.pk for t in created}
    # A page past the end shows the last page.
    assert numbers(desk.get(QUEUE, {"q": "Ticket", "page": "99"})) == numbers(second)


def test_empty_queue_says_so(desk):
    response = desk.get(QUEUE)
    assert response.status_code == 200
    assert "No tickets here" in response.content.decode()


def _queue_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_tickets(desk, agent, django_assert_num_queries):
    categories = [make_category(f"Cat {i}") for i in range(3)]
    contacts = [make_contact(f"account-{i}") for i in range(4)]
    staff = [make_staff(f"agent{i}", email=f"a{i}@example.com") for i in range(3)]

    def add(count):
        for i in range(count):
            ticket = make_ticket(contacts[i % 4], f"Case {i}", category=categories[i % 3])
            services.update_properties(ticket, actor=agent, assignee=staff[i % 3])

    # Every view has rows at both sizes (an empty page needs no row query).
    views = [{}, {"status": "all", "sort": "priority"}, {"assignee": staff[0].pk, "q": "case"},
             {"status": "all", "account": "account-1", "category": categories[1].pk}]
    # Session, user, not-a-customer check, staff list, categories, status counts, page rows,
    # held mail count (the navigation's); +1 to look an account name up, +2 for a search of words
    # (the subjects containing it, read once for counts and page; its ranked page with snippets,
    # then those tickets). (No page count: the status counts give the page total.)
    expected = [8, 8, 10, 9]
    add(3)
    with django_assert_num_queries(8):
        desk.get(QUEUE, {"status": "all"})
    assert [_queue_queries(desk, params) for params in views] == expected
    add(STAFF_PAGE_SIZE + 10)
    assert Ticket.objects.count() == STAFF_PAGE_SIZE + 13
    with django_assert_num_queries(8):
        desk.get(QUEUE, {"status": "all"})
    assert [_queue_queries(desk, params) for params in views] == expected


def test_clear_filters_keeps_the_status_tab(desk, world):
    html = desk.get(QUEUE, {"status": "closed", "q": "zzz", "account": "nobody"}).content.decode()
    assert '<a class="button secondary" href="?status=closed">Clear filters</a>' in html


def test_column_headings_sort_and_reverse(desk, world):
    html = desk.get(QUEUE, {"status": "all"}).content.decode()
    # Default: newest activity first, marked on its column; the others offer their sort.
    assert re.search(r'<th scope="col" aria-sort="descending"><a class="sort" href="\?status=all&amp;'
                     r'sort=-activity">Last activity</a>', html)
    assert 'href="?status=all&amp;sort=priority">Priority</a>' in html
    html = desk.get(QUEUE, {"status": "all", "sort": "priority"}).content.decode()
    assert re.search(r'aria-sort="descending"><a class="sort" href="\?status=all&amp;sort=-priority">', html)
    ordered = numbers(desk.get(QUEUE, {"status": "all", "sort": "-priority"}))
    assert ordered[0] == world["tickets"]["resolved"].pk  # low priority first


def test_queue_rows_show_each_ticket_as_the_template_tags_would(desk, agent):
    """The rows are built in Python (desk_ui.queue_rows): same links, names, badges and times."""
    from django.template import engines

    ann = make_contact("acme", email="ann@acme.example", first_name="Ann <3")
    loner = make_contact(email="solo@example.com", first_name="", last_name="")
    assigned = make_ticket(ann, "Printer <on> fire", category=make_category("Hardware"),
                           priority=Priority.URGENT)
    services.update_properties(assigned, actor=agent, assignee=agent)
    unassigned = make_ticket(loner, "Quiet one")
    html = desk.get(QUEUE).content.decode()
    expected = engines["django"].from_string(
        "{% load extdesk_ui desk_ui %}"
        '<a href="{% url "desk:ticket" t.pk %}">{{ t.subject }}</a>'
        '|<div class="muted small">{{ t.category }}</div>'
        '|<td data-label="Customer">{{ t.contact.display_name }}'
        '<div class="muted small">{{ t.account }}</div></td>'
        '|<td data-label="Status">{% status_badge t.status %}</td>'
        '|<td data-label="Priority">{% priority_badge t.priority %}</td>'
        '|<td data-label="Assignee">Alex Agent</td>'
        '|<time datetime="{{ t.last_activity_at|date:"c" }}"'
        ' title="{{ t.last_activity_at|date:"M j, Y H:i" }}">'
        "{{ t.last_activity_at|ago }}</time>"
    ).render({"t": Ticket.objects.get(pk=assigned.pk)})
    for fragment in expected.split("|"):
        assert fragment in html
    row = html[html.index(f"#{unassigned.pk}<"):].split("</tr>")[0]
    assert 'solo@example.com<div class="muted small">no account</div>' in row
    assert '<span class="muted">Unassigned</span>' in row


@pytest.mark.parametrize("value", [None, "", "2", "<x>"])
@pytest.mark.parametrize("attrs", [
    None, {"id": "id_f", "aria-invalid": "true", "required": True, "disabled": False},
])
def test_quick_select_writes_what_djangos_select_template_writes(value, attrs):
    from django import forms

    from extdesk.desk.forms import QuickSelect

    def squeeze(html: str) -> str:
        return re.sub(r">\s+<", "><", html).strip()

    choices = [("", "Any"), ("1", "Low & <slow>"), ("2", "Normal"), ("Group", [("g1", "In a group")])]
    ours = QuickSelect(choices=choices).render("f", value, attrs=attrs)
    django = forms.Select(choices=choices).render("f", value, attrs=attrs)
    assert squeeze(ours) == squeeze(django)
