"""A customer's mail is written in the language they last read the portal in; staff mail in the default."""

from __future__ import annotations

import pytest
from django.utils import translation

from extdesk.contacts.models import Contact
from extdesk.helpdesk import notifications, services
from extdesk.helpdesk.models import Status
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket

pytestmark = pytest.mark.django_db


def _mail_to(address: str) -> OutgoingMail:
    return OutgoingMail.objects.filter(recipients=[address]).latest("id")


def _speaking(language: str) -> Contact:
    contact = make_contact("acme")
    Contact.objects.filter(pk=contact.pk).update(language=language)
    contact.refresh_from_db()
    return contact


def test_a_french_contact_gets_the_staff_reply_in_french():
    contact = _speaking("fr")
    ticket = make_ticket(contact)
    services.reply(ticket, author=make_staff(password=None), body="Nous regardons.")
    mail = _mail_to(contact.email)
    assert mail.subject == f"[#{ticket.pk}] Nouvelle réponse: {ticket.subject}"
    assert mail.body.startswith(f"Bonjour {contact.display_name},\n")
    assert f"a répondu à votre ticket {ticket.reference} :" in mail.body
    assert "Répondez à cet e-mail pour répondre, ou rendez-vous sur http" in mail.body
    assert "Hello" not in mail.body


def test_without_a_language_the_mail_is_english():
    contact = make_contact("acme")
    ticket = make_ticket(contact)
    # Whatever the language of the request that wrote the reply.
    with translation.override("de"):
        services.reply(ticket, author=make_staff(password=None), body="Looking into it.")
    mail = _mail_to(contact.email)
    assert mail.subject == f"[#{ticket.pk}] New reply: {ticket.subject}"
    assert mail.body.startswith(f"Hello {contact.display_name},\n")


def test_the_resolved_mail_and_its_rating_question_are_in_the_contacts_language():
    contact = _speaking("de")
    ticket = make_ticket(contact)
    services.reply(ticket, author=make_staff(password=None), body="Erledigt.", then_status=Status.RESOLVED)
    mail = _mail_to(contact.email)
    assert mail.subject == f"[#{ticket.pk}] Status: Gelöst: {ticket.subject}"
    assert "Konnten wir Ihnen helfen? Gut: http" in mail.body
    assert " / Schlecht: http" in mail.body
    assert "is now" not in mail.body


def test_russian_plurals_in_the_automatic_closing_mail():
    contact = _speaking("ru")
    ticket = make_ticket(contact)
    notifications.closed_unanswered(ticket.pk, 5)
    assert "было решено 5 дней назад" in _mail_to(contact.email).body
    notifications.closed_unanswered(ticket.pk, 2)
    assert "было решено 2 дня назад" in _mail_to(contact.email).body
    notifications.closed_unanswered(ticket.pk, 21)
    mail = _mail_to(contact.email)
    assert "было решено 21 день назад" in mail.body
    assert mail.subject == f"[#{ticket.pk}] Закрыто: {ticket.subject}"


def test_staff_mail_stays_in_the_default_language():
    make_staff(password=None)
    contact = _speaking("es")
    with translation.override("es"):
        ticket = make_ticket(contact)
    staff_mail = _mail_to("agent@example.com")
    assert staff_mail.subject == f"[#{ticket.pk}] New ticket: {ticket.subject}"
    assert "Priority: Normal" in staff_mail.body


def test_the_merge_mail_speaks_the_source_contacts_language():
    contact = _speaking("nl")
    source, target = make_ticket(contact, subject="Eerste"), make_ticket(contact, subject="Tweede")
    services.merge_tickets(source, target, actor=make_staff(password=None))
    mail = _mail_to(contact.email)
    assert mail.subject == f"[#{target.pk}] Samengevoegd met {source.reference}: Tweede"
    assert mail.body.startswith(f"Beste {contact.display_name},\n")


def test_the_history_keeps_its_labels_in_the_default_language():
    from extdesk.helpdesk.models import EventKind, TicketEvent

    contact = _speaking("de")
    ticket = make_ticket(contact)
    with translation.override("de"):
        services.reply(ticket, author=make_staff(password=None), body="Erledigt.",
                       then_status=Status.RESOLVED)
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("id")
    assert event.new_value == "Resolved"


def test_badges_follow_the_page_language_though_they_are_cached():
    from extdesk.web.templatetags.extdesk_ui import priority_badge, status_badge

    with translation.override("de"):
        assert ">Offen<" in status_badge("open") and ">Dringend<" in priority_badge(4)
    with translation.override("en"):
        assert ">Open<" in status_badge("open") and ">Urgent<" in priority_badge(4)
