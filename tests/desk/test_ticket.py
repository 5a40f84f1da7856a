"""The staff's ticket page: thread, replies and notes, properties, customer panel, history."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from extdesk.helpdesk import services
from extdesk.helpdesk.models import Attachment, EventKind, Message, Priority, Status, Ticket
from tests.helpdesk.factories import make_category, make_contact, make_staff, make_ticket, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return make_contact("acme", "acme-eu", email="ann@acme.example", first_name="Ann")


@pytest.fixture
def ticket(contact):
    return make_ticket(contact, "Mail is down", "Since this morning.", priority=Priority.HIGH)


def url(ticket, suffix=""):
    return reverse("desk:ticket", args=[ticket.pk]) + suffix


def update(desk, ticket, **changes):
    """Post the properties form as the page shows it, with ``changes`` applied."""
    ticket.refresh_from_db()
    shown = {"status": ticket.status, "priority": ticket.priority,
             "assignee": ticket.assignee_id or "", "category": ticket.category_id or ""}
    data = {**shown, **{f"{k}_was": v for k, v in shown.items()}, **changes}
    return desk.post(url(ticket, "update/"), data)


def test_page_shows_thread_customer_panel_and_history(desk, agent, contact, ticket):
    services.reply(ticket, author=agent, body="Checked the MX records.", internal=True)
    other = make_ticket(contact, "Second question", account=contact.accounts.get(name="acme-eu"))
    response = desk.get(url(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Since this morning." in html and "Checked the MX records." in html
    # The note is marked as staff-only, visibly different from the thread.
    note = re.search(r'<li class="thread-item internal".*?</li>', html, re.S).group(0)
    assert "Checked the MX records." in note and "Staff only" in note
    assert html.count('class="thread-item internal"') == 1
    # Customer panel: details, accounts (linking to their queue), other tickets.
    assert "ann@acme.example" in html and str(contact.platform_id) in html
    assert 'href="/desk/?status=all&amp;account=acme-eu"' in html
    assert f'href="/desk/tickets/{other.pk}/"' in html
    assert 'href="/desk/?status=all&amp;q=ann%40acme.example"' in html
    # History.
    assert "Ann Customer: Created" in html and "Alex Agent: Internal note" in html


def test_unknown_ticket_is_404(desk):
    assert desk.get("/desk/tickets/999999/").status_code == 404
    assert desk.post("/desk/tickets/999999/update/", {}).status_code == 404


def test_public_reply_reaches_the_customer(desk, agent, contact, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url(ticket), {"kind": "reply", "body": "We are on it.",
                                            "attachments": [upload("steps.txt", b"1. restart")]})
    assert response.status_code == 302
    assert response["Location"] == url(ticket, "#latest")
    message = Message.objects.filter(ticket=ticket).latest("id")
    assert (message.body, message.is_internal, message.author_user) == ("We are on it.", False, agent)
    assert Attachment.objects.get(message=message).original_name == "steps.txt"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the first staff answer opens a new ticket
    assert ticket.events.filter(kind=EventKind.REPLIED, actor_user=agent).exists()
    assert [m.to for m in mail.outbox if "We are on it." in m.body] == [["ann@acme.example"]]
    # The customer sees it in the portal.
    desk.force_login(contact.user)
    assert "We are on it." in desk.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()


def test_internal_note_stays_internal(desk, agent, contact, ticket, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url(ticket), {"kind": "note", "body": "Customer is on the old plan.",
                                            "attachments": [upload("plan.txt", b"old plan")]})
    assert response.status_code == 302
    note = Message.objects.filter(ticket=ticket).latest("id")
    assert note.is_internal
    assert ticket.events.filter(kind=EventKind.NOTE).exists()
    assert not any("old plan" in m.body for m in mail.outbox)
    assert all("ann@acme.example" not in m.to for m in mail.outbox)
    desk.force_login(contact.user)
    page = desk.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "Customer is on the old plan." not in page and "plan.txt" not in page
    file_id = Attachment.objects.get(message=note).pk
    assert desk.get(reverse("portal:attachment", args=[file_id, "plan.txt"])).status_code == 404


def test_staff_downloads_attachments_from_the_page(desk, contact):
    ticket = make_ticket(contact, attachments=[upload("log.txt", b"error 42")])
    html = desk.get(url(ticket)).content.decode()
    link = re.search(r'href="(/files/\d+/log.txt)"', html).group(1)
    response = desk.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"error 42"


def test_reply_then_set_status(desk, ticket):
    response = desk.post(url(ticket), {"kind": "reply", "body": "Please try again.",
                                        "then_status": "waiting"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert list(ticket.events.filter(kind=EventKind.STATUS).values_list("old_value", "new_value")) == [
        ("New", "Open"), ("Open", "Waiting on customer")]


def test_empty_reply_is_refused_next_to_the_field_and_nothing_is_written(desk, ticket):
    before = Message.objects.count()
    response = desk.post(url(ticket), {"kind": "reply", "body": "   ", "then_status": "resolved"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_body_error">\s*<li>This field is required.</li>', html)
    assert Message.objects.count() == before
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_reply_without_a_chosen_button_is_not_sent(desk, ticket):
    response = desk.post(url(ticket), {"body": "Typed text stays."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose whether to send a reply or add an internal note." in html
    assert "Typed text stays." in html  # nothing typed is lost
    assert Message.objects.filter(body="Typed text stays.").count() == 0


def test_too_many_attachments_are_refused_and_the_text_kept(desk, ticket, settings):
    settings.EXTDESK_ATTACHMENT_MAX_COUNT = 1
    response = desk.post(url(ticket), {"kind": "reply", "body": "Two files.",
                                        "attachments": [upload("a.txt"), upload("b.txt")]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Attach at most 1 file (you chose 2)" in html and "Two files." in html
    assert "choose your attachments again" in html
    assert not Message.objects.filter(body="Two files.").exists()


def test_change_every_property_records_history(desk, agent, ticket, django_capture_on_commit_callbacks):
    colleague = make_staff("blake", email="blake@example.com", first_name="Blake", last_name="B")
    category = make_category("Network")
    with django_capture_on_commit_callbacks(execute=True):
        response = update(desk, ticket, status="resolved", priority=Priority.URGENT,
                          assignee=colleague.pk, category=category.pk)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.category) == (
        Status.RESOLVED, Priority.URGENT, colleague, category)
    events = {e.kind: (e.old_value, e.new_value, e.actor_user) for e in ticket.events.all()}
    assert events[EventKind.STATUS] == ("New", "Resolved", agent)
    assert events[EventKind.PRIORITY] == ("High", "Urgent", agent)
    assert events[EventKind.ASSIGNEE] == ("", "Blake B", agent)
    assert events[EventKind.CATEGORY] == ("", "Network", agent)
    # The status change is mailed to the customer, in the customer's words.
    assert any("ann@acme.example" in m.to and "Status: Solved" in m.subject for m in mail.outbox)
    page = desk.get(url(ticket)).content.decode()
    assert "updated: status, priority, assignee, category" in page


def test_unassign_and_clear_category(desk, agent, ticket):
    services.update_properties(ticket, actor=agent, assignee=agent)
    services.update_properties(ticket, actor=agent, category=make_category("Network"))
    assert update(desk, ticket, assignee="", category="").status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.category is None


def test_saving_an_old_form_does_not_undo_a_colleagues_change(desk, agent, ticket):
    ticket.refresh_from_db()
    page_as_loaded = {"status": "new", "priority": Priority.HIGH, "assignee": "", "category": ""}
    colleague = make_staff("blake", email="blake@example.com")
    services.update_properties(ticket, actor=colleague, status=Status.WAITING)
    # The agent, with the page loaded before, changes only the priority.
    data = {**page_as_loaded, **{f"{k}_was": v for k, v in page_as_loaded.items()}, "priority": Priority.LOW}
    assert desk.post(url(ticket, "update/"), data).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.WAITING, Priority.LOW)


def test_nothing_changed_changes_nothing(desk, ticket):
    events = ticket.events.count()
    response = update(desk, ticket)
    assert response.status_code == 302
    assert ticket.events.count() == events
    assert "Nothing to change." in desk.get(url(ticket)).content.decode()


@pytest.mark.parametrize("field, value", [
    ("status", "deleted"), ("priority", "7"), ("assignee", "999999"), ("category", "999999"),
    ("priority", "high"),
])
def test_bad_property_values_are_named_and_change_nothing(desk, ticket, field, value):
    events = ticket.events.count()
    response = update(desk, ticket, **{field: value})
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert ticket.events.count() == events


def test_a_customer_cannot_be_assigned(desk, ticket, contact):
    response = update(desk, ticket, assignee=contact.user.pk)
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_former_staff_stays_assigned_when_other_fields_change(desk, agent, ticket):
    leaver = make_staff("leaver", email="leaver@example.com")
    services.update_properties(ticket, actor=agent, assignee=leaver)
    leaver.is_active = False
    leaver.save()
    page = desk.get(url(ticket)).content.decode()
    assert "(no longer staff)" in page
    assert update(desk, ticket, priority=Priority.LOW).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority) == (leaver, Priority.LOW)


def test_retired_category_is_kept_and_labelled(desk, agent, ticket):
    old = make_category("Legacy", is_active=False)
    services.update_properties(ticket, actor=agent, category=old)
    assert "Legacy (retired)" in desk.get(url(ticket)).content.decode()
    assert update(desk, ticket, priority=Priority.LOW).status_code == 302
    ticket.refresh_from_db()
    assert ticket.category == old


def test_writes_need_post_and_csrf(agent, ticket):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(url(ticket), {"kind": "reply", "body": "x"}).status_code == 403
    assert strict.get(url(ticket, "update/")).status_code == 405
    assert Message.objects.filter(body="x").count() == 0


def test_customers_and_strangers_are_kept_out(client, contact, ticket):
    for who in (None, contact.user):
        if who:
            client.force_login(who)
        for method, target in (("get", url(ticket)), ("post", url(ticket)), ("post", url(ticket, "update/"))):
            data = {"kind": "reply", "body": "sneaky", "status": "closed"}
            response = getattr(client, method)(target, data)
            assert response.status_code == 302
            assert response["Location"].startswith("/desk/login/")
    assert not Message.objects.filter(body="sneaky").exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def _page_queries(client, ticket) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(ticket)).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_thread(desk, agent, contact):
    small = make_ticket(contact, "Small", attachments=[upload()])
    services.reply(small, author=agent, body="note", internal=True)
    big = make_ticket(contact, "Big", attachments=[upload()])
    for i in range(15):
        services.reply(big, author=agent, body=f"reply {i}", attachments=[upload(f"f{i}.txt")])
        services.reply(big, author=agent, body=f"note {i}", internal=True)
        services.reply(big, author=contact, body=f"answer {i}")
        services.update_properties(big, actor=agent, priority=Priority.LOW if i % 2 else Priority.HIGH)
    for i in range(12):
        make_ticket(contact, f"Other {i}")
    # Session, user, not-a-customer check, ticket, messages, their attachments, history,
    # accounts, other tickets, staff list, categories, held mail count (the navigation's),
    # the canned replies' names, the ticket's tags, the tag suggestions, its ratings, its copies (Cc).
    # (No message came by mail: no query for incoming mail records.) Presence: the agent's
    # own row renewed (one UPDATE) and the colleagues on the ticket; an agent's first view of
    # a ticket also inserts that row (+3 here: savepoint, INSERT, release).
    assert _page_queries(desk, small) == _page_queries(desk, big) == 22
    assert _page_queries(desk, small) == _page_queries(desk, big) == 19


def test_ticket_numbers_are_not_confused(desk, contact, ticket):
    other = make_ticket(contact, "Other subject", "Other body")
    html = desk.get(url(other)).content.decode()
    assert "Other body" in html and "Since this morning." not in html
    assert Ticket.objects.count() == 2
