"""The demo's seed: persons in accounts (non-Latin names too), a staff superuser, tickets in every
status with tags, a note, a guest's mail and ratings, a knowledge base, shared canned replies;
seeding twice is seeding once, and an older demo gets the parts it lacks."""

from __future__ import annotations

import time

import pytest
from django.db.models import Sum
from django.urls import reverse

from extdesk.contacts.models import Contact
from extdesk.demo import seed as demo
from extdesk.demo.content import ARTICLES, CANNED_REPLIES, CATEGORIES, guest_mail
from extdesk.demo.seed import GUEST_SUBJECT, PERSONS, STAFF_USERNAME, TAGS, seed
from extdesk.desk.canned import canned_replies_for, delete_canned_reply, may_share
from extdesk.desk.placeholders import unknown_placeholders
from extdesk.desk.selectors import QUEUE_STATUS_ALL
from extdesk.desk.services import create_staff_user
from extdesk.helpdesk.models import CannedReply, Channel, Message, Status, Tag, Ticket
from extdesk.helpdesk.services import remove_tag
from extdesk.kb.models import (
    Article,
    ArticleRevision,
    ArticleVote,
    Category,
    State,
    SuggestionOpened,
    Visibility,
)
from extdesk.kb.selectors import Reader, home_lists
from extdesk.mail.models import InboundMail, Outcome
from extdesk.ratings.models import Choice, Rating
from extdesk.ratings.selectors import rated_ticket_ids
from extdesk.sso.services import user_for_contact

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, object]:
    """How much of every part the demo holds, and the figures a second seeding must not move."""
    return {
        "contacts": Contact.objects.count(), "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(), "tags": Tag.objects.count(),
        "tagged": Ticket.tags.through.objects.count(), "inbound": InboundMail.objects.count(),
        "ratings": list(Rating.objects.values_list("ticket__subject", "choice", "comment", "updated_at")),
        "categories": Category.objects.count(), "articles": Article.objects.count(),
        "revisions": ArticleRevision.objects.count(), "votes": ArticleVote.objects.count(),
        "views": Article.objects.aggregate(n=Sum("view_count"))["n"],
        "openings": SuggestionOpened.objects.count(), "canned": CannedReply.objects.count(),
    }


def test_seeding_twice_is_seeding_once(django_user_model):
    started = time.perf_counter()
    password = seed()
    first_seeding = time.perf_counter() - started
    staff = django_user_model.objects.get(username=STAFF_USERNAME)
    assert password and staff.check_password(password)
    counts = _counts()
    assert counts["contacts"] == len(PERSONS) + 1 >= 30  # and the guest who mailed
    assert {t.status for t in Ticket.objects.all()} == set(Status.values)
    names = " ".join(c.display_name for c in Contact.objects.all())
    assert "Παπαδοπούλου" in names and "Смирнов" in names and "山田" in names
    assert any(c.accounts.count() > 1 for c in Contact.objects.all())

    started = time.perf_counter()
    assert seed() is None
    again = time.perf_counter() - started
    assert _counts() == counts
    # The demo starts with `extdesk serve --demo`: its seeding must not hold the start up.
    assert first_seeding < 5 and again < 2, (first_seeding, again)


def test_the_staff_user_is_a_superuser_and_shares_the_canned_replies(django_user_model):
    seed()
    staff = django_user_model.objects.get(username=STAFF_USERNAME)
    assert staff.is_staff and staff.is_superuser and may_share(staff)
    shared = CannedReply.objects.filter(owner__isnull=True)
    assert sorted(shared.values_list("title", flat=True)) == sorted(title for title, _body in CANNED_REPLIES)
    assert 3 <= shared.count() <= 4
    assert all("{{" in reply.body and not unknown_placeholders(reply.body) for reply in shared)
    assert list(canned_replies_for(staff)) == list(shared.order_by("title", "id"))


def test_the_tickets_carry_tags_a_note_a_guests_mail_and_ratings():
    seed()
    for subject, names in TAGS.items():
        ticket = Ticket.objects.get(subject=subject)
        assert sorted(ticket.tags.values_list("name", flat=True)) == sorted(names)
    note = Message.objects.get(is_internal=True)
    assert note.ticket.status == Status.OPEN and note.author_user.username == STAFF_USERNAME

    guest = Ticket.objects.get(subject=GUEST_SUBJECT)
    mail = InboundMail.objects.get(ticket=guest)
    assert mail.outcome == Outcome.TICKET and mail.raw and mail.source == "demo"
    assert guest.contact.platform_id is None and guest.contact.email == "pat@quinn-bakery.example"
    first = guest.messages.get()
    assert first.channel == Channel.EMAIL and "not private" in first.body
    assert [a.original_name for a in first.attachments.all()] == ["certificate-details.txt"]

    ratings = {r.ticket.subject: r for r in Rating.objects.select_related("ticket")}
    assert ratings["Backup restore"].choice == Choice.GOOD and ratings["Backup restore"].comment
    assert ratings["Invoice address"].choice == Choice.BAD
    assert {r.ticket.status for r in ratings.values()} == {Status.RESOLVED, Status.CLOSED}
    # What the queue's rating filter asks.
    assert set(rated_ticket_ids(Choice.BAD)) == {ratings["Invoice address"].ticket_id}


def test_the_knowledge_base_has_categories_translations_a_draft_history_and_readers():
    seed()
    assert list(Category.objects.values_list("name", flat=True)) == [name for _slug, name in CATEGORIES]
    published = Article.objects.filter(state=State.PUBLISHED)
    assert 8 <= published.filter(language="en").count() <= 12
    assert published.filter(language="de").count() >= 2
    assert published.filter(visibility=Visibility.CUSTOMERS).count() == 1
    assert Article.objects.filter(state=State.DRAFT).count() == 1
    assert len(ARTICLES) == Article.objects.count()
    history = Article.objects.get(slug="restore-backup").revisions.all()
    assert [r.note for r in history] == ["edited", "edited", "created"]
    assert history[2].title != history[0].title
    assert "```" in Article.objects.get(slug="dns-records").body  # the records as a code block

    lists = home_lists(Reader())
    assert lists["most_read"][0].slug == "mail-client-settings" and lists["most_read"][0].view_count
    assert len(lists["categories"]) == len(CATEGORIES)
    votes = ArticleVote.objects
    assert votes.filter(helpful=True).count() > votes.filter(helpful=False).count() > 0
    assert SuggestionOpened.objects.exists()


def test_a_german_reader_gets_the_german_articles_first_and_english_for_the_rest(client):
    seed()
    page = client.get(reverse("kb:home"), {"lang": "de"}).content.decode()
    assert "E-Mail-Programm einrichten" in page and "Why mail bounces" in page
    assert "E-Mail-Programm einrichten" not in client.get(reverse("kb:home")).content.decode()
    assert home_lists(Reader(language="de"))["most_read"][0].slug == "e-mail-programm-einrichten"


@pytest.mark.parametrize(("typed", "slug"), [
    ("mail bounces", "mail-bounces"),
    ("Mail to info@ bounces", "mail-bounces"),
    ("SSL certificate", "ssl-certificate-errors"),
    ("the mailbox is full", "mailbox-full"),
    ("Backup restore", "restore-backup"),
    ("DNS record for the new shop", "dns-records"),
])
def test_the_new_ticket_forms_suggestions_find_an_article_for_a_demo_subject(client, typed, slug):
    seed()
    response = client.get(reverse("kb:suggestions"), {"q": typed})
    assert response.status_code == 200
    urls = [article["url"] for article in response.json()["articles"]]
    assert f"{reverse('kb:article', args=[slug])}?from=new-ticket" in urls


def test_the_customers_only_article_is_suggested_to_customers_alone_and_the_draft_to_nobody(client):
    seed()

    def suggested(typed: str) -> list[str]:
        found = client.get(reverse("kb:suggestions"), {"q": typed}).json()["articles"]
        return [article["title"] for article in found]

    assert suggested("registrar") == [] and suggested("chmod") == []
    client.force_login(user_for_contact(Contact.objects.get(platform_id=1001)))  # as after its sign-in
    assert suggested("registrar") == ["Transferring a domain to us"] and suggested("chmod") == []


def test_an_older_demo_gets_the_new_parts_without_duplicates(django_user_model):
    # What the previous version seeded: the persons, a plain staff user and the tickets.
    demo.alter_contacts([
        {"id": pid, "email": email, "first_name": first, "last_name": last, "accounts": accounts}
        for pid, first, last, email, accounts in PERSONS
    ])
    staff = create_staff_user(STAFF_USERNAME, "an-older-demos-password", display_name="Demo Support")
    demo._tickets(staff)
    tickets = set(Ticket.objects.values_list("pk", flat=True))

    assert seed() is None  # the password is not new: it was shown by the older version
    staff.refresh_from_db()
    assert staff.is_superuser and staff.check_password("an-older-demos-password")
    assert set(Ticket.objects.values_list("pk", flat=True)) - tickets == {
        Ticket.objects.get(subject=GUEST_SUBJECT).pk}
    counts = _counts()
    assert counts["articles"] == len(ARTICLES) and counts["canned"] == len(CANNED_REPLIES)
    assert len(counts["ratings"]) == 2 and counts["tagged"] and counts["inbound"] == 1
    seed()
    assert _counts() == counts


def test_what_a_visitor_deleted_in_a_part_stays_deleted(django_user_model):
    seed()
    staff = django_user_model.objects.get(username=STAFF_USERNAME)
    delete_canned_reply(CannedReply.objects.get(title="Backup restored"), actor=staff)
    remove_tag(Ticket.objects.get(subject="Backup restore"), "backup", actor=staff)
    seed()
    assert CannedReply.objects.count() == len(CANNED_REPLIES) - 1
    assert not Ticket.objects.get(subject="Backup restore").tags.exists()


def test_the_desk_shows_the_demo_staff_user_every_part(client, django_user_model):
    seed()
    client.force_login(django_user_model.objects.get(username=STAFF_USERNAME))
    assert client.get(reverse("desk:sla")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    guest = Ticket.objects.get(subject=GUEST_SUBJECT)
    eml = reverse("desk:inbound_eml", args=[InboundMail.objects.get(ticket=guest).pk])
    assert eml in client.get(reverse("desk:ticket", args=[guest.pk])).content.decode()
    assert b"".join(client.get(eml)) == guest_mail()
    queue = client.get(reverse("desk:queue"), {"status": QUEUE_STATUS_ALL, "rating": Choice.BAD})
    bad = queue.content.decode()
    assert "Invoice address" in bad and "Backup restore" not in bad
