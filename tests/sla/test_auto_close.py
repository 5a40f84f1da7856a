"""Auto-close (extdesk.sla.duties.auto_close): resolved tickets the customer left unanswered are closed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.helpdesk import services
from extdesk.helpdesk.exceptions import Conflict
from extdesk.helpdesk.models import EventKind, Status, Ticket
from extdesk.outbox.models import OutgoingMail
from extdesk.sla.duties import auto_close
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff(password=None)


def resolved_ticket(contact: Contact, agent, **kwargs) -> Ticket:
    ticket = make_ticket(contact, **kwargs)
    services.reply(ticket, author=agent, body="Fixed.", then_status=Status.RESOLVED)
    return Ticket.objects.get(pk=ticket.pk)


def closing_mail() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(about__startswith="the automatic closing"))


def test_a_ticket_resolved_longer_ago_than_the_setting_is_closed_told_and_recorded(clock, agent, settings):
    settings.EXTDESK_AUTO_CLOSE_DAYS = 7
    ticket = resolved_ticket(make_contact("acme", email="ann@example.com"), agent)
    clock.advance(days=6, hours=23)
    assert auto_close(clock.now) == 0
    clock.advance(hours=1)
    assert auto_close(clock.now) == 1
    assert auto_close(clock.now) == 0
    closed = Ticket.objects.get(pk=ticket.pk)
    assert closed.status == Status.CLOSED and closed.closed_at == clock.now
    assert closed.resolved_at == ticket.resolved_at
    assert closed.version == ticket.version + 1
    event = closed.events.get(kind=EventKind.AUTO_CLOSED)
    assert (event.actor_name, event.old_value, event.new_value, event.version) == (
        "system", "Resolved", "Closed: no reply from the customer in 7 days", closed.version)
    [mail] = closing_mail()
    assert mail.recipients == ["ann@example.com"]
    assert f"[#{ticket.pk}] Closed:" in mail.subject
    assert "resolved 7 days ago" in mail.body and "reply to this e-mail to reopen it" in mail.body
    assert f"You can also reopen it at http://testserver/tickets/{ticket.pk}/" in mail.body


def test_a_guest_is_told_to_answer_by_mail_without_a_portal_link(clock, agent, settings):
    settings.EXTDESK_AUTO_CLOSE_DAYS = 2
    now = timezone.now()
    guest = Contact.objects.create(platform_id=None, email="guest@example.org", first_name="Gus",
                                   created_at=now, updated_at=now)
    ticket = resolved_ticket(guest, agent)
    clock.advance(days=3)
    assert auto_close(clock.now) == 1
    [mail] = closing_mail()
    assert "reply to this e-mail to reopen it" in mail.body
    assert "http" not in mail.body
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_zero_days_never_closes(clock, agent, settings):
    settings.EXTDESK_AUTO_CLOSE_DAYS = 0
    ticket = resolved_ticket(make_contact("acme"), agent)
    clock.advance(days=400)
    assert auto_close(clock.now) == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED and closing_mail() == []


def test_a_customer_reply_reopens_and_so_restarts_the_wait(clock, agent, settings):
    settings.EXTDESK_AUTO_CLOSE_DAYS = 7
    customer = make_contact("acme")
    ticket = resolved_ticket(customer, agent)
    clock.advance(days=5)
    services.reply(ticket, author=customer, body="Not quite.")
    services.reply(ticket, author=agent, body="Now it is.", then_status=Status.RESOLVED)
    clock.advance(days=3)
    assert auto_close(clock.now) == 0
    clock.advance(days=5)
    assert auto_close(clock.now) == 1


def test_merged_and_open_tickets_are_left_alone(clock, agent, settings):
    settings.EXTDESK_AUTO_CLOSE_DAYS = 1
    customer = make_contact("acme")
    make_ticket(customer, subject="Still open")
    waiting = make_ticket(customer, subject="Waiting")
    services.update_properties(waiting, actor=agent, status=Status.WAITING)
    clock.advance(days=10)
    assert auto_close(clock.now) == 0


def test_a_form_drawn_before_the_closing_is_told_of_it(clock, agent, settings):
    settings.EXTDESK_AUTO_CLOSE_DAYS = 1
    ticket = resolved_ticket(make_contact("acme"), agent)
    drawn = ticket.version
    clock.advance(days=2)
    auto_close(clock.now)
    with pytest.raises(Conflict):
        services.update_properties(ticket, actor=agent, expected_version=drawn, status=Status.OPEN)
