"""Merging a ticket into another: messages, attachments, mail threads, history, the customer's side."""

from __future__ import annotations

import pytest

from extdesk.helpdesk import selectors, services
from extdesk.helpdesk.exceptions import Conflict, InvalidInput, NotAllowed
from extdesk.helpdesk.models import Attachment, EventKind, MailReference, Message, Status, Ticket
from extdesk.mail.models import Outcome
from extdesk.mail.services import receive
from extdesk.outbox.models import OutgoingMail
from tests.helpdesk.factories import make_contact, make_staff, make_ticket, upload
from tests.mail.messages import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_staff("agent", first_name="Alex", last_name="Agent")


@pytest.fixture
def ann():
    return make_contact("acme", email="ann@example.com", first_name="Ann")


def _snapshot(ticket: Ticket) -> dict:
    current = Ticket.objects.get(pk=ticket.pk)
    return {"status": current.status, "version": current.version, "merged_into": current.merged_into_id,
            "messages": list(current.messages.values_list("pk", flat=True)),
            "events": current.events.count(), "refs": current.mail_references.count()}


def test_messages_move_with_their_dates_attachments_and_notes(agent, ann):
    old = make_ticket(ann, "Invoice wrong", "The amount is off.",
                      attachments=[upload("invoice.pdf", b"%PDF-1")])
    services.reply(old, author=agent, body="Checking with billing.", internal=True)
    services.reply(old, author=agent, body="Which invoice?")
    new = make_ticket(ann, "Invoice again", "Still wrong.")
    moved_messages = {m.pk: m.created_at for m in old.messages.all()}
    versions = (old.version, new.version)
    outbox_before = OutgoingMail.objects.count()

    assert services.merge_tickets(old, new, actor=agent) == 3

    assert not Message.objects.filter(ticket=old).exists()
    thread = selectors.staff_thread(new)
    assert [m.body for m in thread] == ["The amount is off.", "Checking with billing.", "Which invoice?",
                                        "Still wrong."]
    # Their dates are kept, so they read in the order they were written.
    assert {m.pk: m.created_at for m in thread if m.pk in moved_messages} == moved_messages
    assert [m.is_internal for m in thread] == [False, True, False, False]
    attachment = Attachment.objects.get(original_name="invoice.pdf")
    assert attachment.message.ticket_id == new.pk
    with attachment.file.open("rb") as stored:
        assert stored.read() == b"%PDF-1"
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, old.merged_into_id) == (Status.CLOSED, new.pk)
    assert new.status == Status.NEW  # the target's status is the agents' to decide
    assert (old.version, new.version) == (versions[0] + 1, versions[1] + 1)
    for ticket in (old, new):
        event = ticket.events.get(kind=EventKind.MERGED)
        assert (event.old_value, event.new_value, event.actor_user) == (f"#{old.pk}", f"#{new.pk}", agent)
    # One mail, to the customer, on the new ticket's thread; no status mail besides it.
    sent = list(OutgoingMail.objects.order_by("pk")[outbox_before:])
    assert len(sent) == 1
    assert sent[0].recipients == ["ann@example.com"]
    assert sent[0].subject.startswith(f"[#{new.pk}] Merged with #{old.pk}")
    assert f"#{old.pk}" in sent[0].body and f"/tickets/{new.pk}/" in sent[0].body
    assert MailReference.objects.get(mail_id=sent[0].mail_id).ticket_id == new.pk


def test_a_form_drawn_from_the_target_before_is_told_of_the_moved_messages(agent, ann):
    old = make_ticket(ann, "First", "Hello from the first.")
    new = make_ticket(ann, "Second", "Hello from the second.")
    services.reply(old, author=agent, body="Noted.", internal=True)
    drawn_at = Ticket.objects.get(pk=new.pk).version
    services.merge_tickets(old, new, actor=agent)
    changes = selectors.changes_since(new, drawn_at)
    assert [m.body for m in changes.messages] == ["Hello from the first.", "Noted."]
    assert EventKind.MERGED in [e.kind for e in changes.events]
    with pytest.raises(Conflict):
        services.reply(new, author=agent, body="Answer", expected_version=drawn_at)


def test_the_customer_sees_the_same_messages_and_the_pointer(agent, ann, client):
    old = make_ticket(ann, "First", "Hello.", attachments=[upload("log.txt", b"log")])
    new = make_ticket(ann, "Second", "Again.")
    services.merge_tickets(old, new, actor=agent)
    page = selectors.contact_tickets(ann, state="all")
    assert {t.pk for t in page.object_list} == {old.pk, new.pk}  # the merged one stays listed, closed
    assert [m.body for m in selectors.public_thread(new)] == ["Hello.", "Again."]
    client.force_login(ann.user)
    html = client.get(f"/tickets/{old.pk}/").content.decode()
    assert f'merged into <a href="/tickets/{new.pk}/">#{new.pk}</a>' in html
    assert "Reopen ticket" not in html
    attachment = Attachment.objects.get(original_name="log.txt")
    assert selectors.attachment_for_contact(ann, attachment.pk) == attachment
    # Reopening a merged ticket would start an empty conversation beside the real one.
    assert services.reopen_by_customer(old, contact=ann) is False
    assert Ticket.objects.get(pk=old.pk).status == Status.CLOSED


def test_tags_and_earlier_merges_follow(agent, ann):
    first, second, third = (make_ticket(ann, name) for name in ("One", "Two", "Three"))
    services.add_tag(first, "refund", actor=agent)
    services.add_tag(third, "vip", actor=agent)
    services.merge_tickets(first, second, actor=agent)
    services.merge_tickets(second, third, actor=agent)
    assert Ticket.objects.get(pk=first.pk).merged_into_id == third.pk  # no chains
    assert [t.name for t in selectors.ticket_tags(third)] == ["refund", "vip"]
    assert third.messages.count() == 3


def test_mail_answering_the_old_ticket_lands_on_the_new_one(agent):
    ann = make_contact(email="ann@example.com")
    old = make_ticket(ann, "Mail is down")
    services.reply(old, author=agent, body="Restart the router, please.")
    notification = MailReference.objects.filter(ticket=old, message__body__startswith="Restart").get().mail_id
    new = make_ticket(ann, "No mail since Monday")
    services.merge_tickets(old, new, actor=agent)
    assert MailReference.objects.filter(ticket=old).count() == 0

    by_thread = receive(mail(subject="Re: Mail is down", in_reply_to=notification, references=[notification],
                             body="Restarted, still down."), source="pipe")
    assert by_thread.outcome == Outcome.REPLY and by_thread.ticket_id == new.pk
    by_tag = receive(mail(subject=f"Re: [#{old.pk}] Mail is down", body="Any news?"), source="pipe")
    assert by_tag.outcome == Outcome.REPLY and by_tag.ticket_id == new.pk
    assert list(new.messages.filter(body__in=["Restarted, still down.", "Any news?"])
                .values_list("author_contact", flat=True)) == [ann.pk, ann.pk]
    assert not Message.objects.filter(ticket=old).exists()
    # A stranger quoting the old number still opens a ticket of their own.
    stranger = receive(mail(sender="eve@example.net", subject=f"Re: [#{old.pk}]", body="Let me in."),
                       source="pipe")
    assert stranger.ticket_id not in (old.pk, new.pk)


def test_same_account_different_people_may_merge(agent):
    ann = make_contact("acme", email="ann@acme.example")
    bob = make_contact("acme", email="bob@acme.example", first_name="Bob")
    old, new = make_ticket(ann, "Site slow"), make_ticket(bob, "Site very slow")
    services.merge_tickets(old, new, actor=agent)
    # Ann is told (her ticket went away), and can read on: Bob's ticket is her account's.
    mail_out = OutgoingMail.objects.filter(subject__contains="Merged with").get()
    assert mail_out.recipients == ["ann@acme.example"]
    assert selectors.ticket_for_contact(ann, new.pk) is not None
    assert Message.objects.filter(author_contact=ann, ticket=new).exists()


def _refusal(agent, source, target) -> str:
    before = (_snapshot(source), _snapshot(target), OutgoingMail.objects.count())
    with pytest.raises(InvalidInput) as refused:
        services.merge_tickets(source, target, actor=agent)
    assert (_snapshot(source), _snapshot(target), OutgoingMail.objects.count()) == before
    return refused.value.message_dict["target"][0]


def test_merges_that_would_show_or_hide_messages_are_refused(agent):
    ann = make_contact("acme", "acme-eu", email="ann@acme.example")
    bob = make_contact("globex", email="bob@globex.example")
    acme, acme_eu = ann.accounts.get(name="acme"), ann.accounts.get(name="acme-eu")
    at_acme, at_eu = make_ticket(ann, "A", account=acme), make_ticket(ann, "B", account=acme_eu)
    bobs = make_ticket(bob, "C")
    assert "different customers" in _refusal(agent, at_acme, bobs)
    assert "different accounts" in _refusal(agent, at_acme, at_eu)
    assert "into itself" in _refusal(agent, at_acme, at_acme)
    # Someone who has left the account would lose sight of their own messages.
    carl = make_contact("acme", email="carl@acme.example")
    carls = make_ticket(carl, "D")
    carl.accounts.clear()
    assert "no longer in its account" in _refusal(agent, carls, at_acme)


def test_merged_tickets_are_neither_merged_again_nor_merged_into(agent, ann):
    first, second, third = (make_ticket(ann, name) for name in ("One", "Two", "Three"))
    services.merge_tickets(first, second, actor=agent)
    first.refresh_from_db()
    assert "already merged" in _refusal(agent, first, third)
    assert "merge into that ticket instead" in _refusal(agent, third, first)


def test_only_desk_users_merge(ann):
    old, new = make_ticket(ann, "One"), make_ticket(ann, "Two")
    for actor in (ann, make_staff("gone", email="gone@example.com", is_active=False)):
        with pytest.raises(NotAllowed):
            services.merge_tickets(old, new, actor=actor)
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    assert (old.messages.count(), new.messages.count()) == (1, 1)
