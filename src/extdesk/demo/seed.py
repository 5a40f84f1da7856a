"""The demo's hosting provider: persons in accounts, a staff superuser, tickets in every status with
tags, a note, a guest's mail and ratings, a knowledge base and shared canned replies.

Everything is written through the services the product itself uses, so the demo holds nothing
the product would refuse. Seeding is idempotent: the persons are pushed through the same
contacts service the SOAP endpoint uses (an unchanged person is not written again), the guest's
mail is received again as the duplicate it is, and every other part is seeded when the demo has
none of its kind yet (no tickets, no tags, no internal note, no knowledge base, no shared canned
reply, no rating). A demo directory from an older version so gets the parts it lacks, and a part
a visitor changed (a tag removed, a reply deleted) stays as they left it unless they emptied it.
"""

from __future__ import annotations

import secrets
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from extdesk.contacts.models import Contact
from extdesk.contacts.services import alter_contacts
from extdesk.desk.canned import create_canned_reply
from extdesk.desk.services import create_staff_user
from extdesk.helpdesk.models import CannedReply, Message, Status, Tag, Ticket
from extdesk.helpdesk.services import add_tag, create_ticket, reply, update_properties
from extdesk.kb import deflection
from extdesk.kb import services as kb
from extdesk.kb.models import Category, State, Visibility
from extdesk.mail.services import receive
from extdesk.ratings.exceptions import RatingRefused
from extdesk.ratings.models import Choice, Rating
from extdesk.ratings.services import rate_in_portal

from .content import ARTICLES, CANNED_REPLIES, CATEGORIES, guest_mail

STAFF_USERNAME = "demo-staff"

# (platform id, first name, last name, e-mail, accounts): some people hold
# several accounts, some accounts several people, some names are not Latin.
PERSONS: list[tuple[int, str, str, str, str]] = [
    (1001, "Ann", "Lovelace", "ann@acme-hosting.example", "acme-hosting"),
    (1002, "Bob", "Marsh", "bob@acme-hosting.example", "acme-hosting"),
    (1003, "Carla", "Núñez", "carla@nunez-design.example", "nunez-design,acme-hosting"),
    (1004, "Dmitri", "Ivanov", "dmitri@ivanov.example", "ivanov-shop"),
    (1005, "Дмитрий", "Смирнов", "smirnov@pochta.example", "smirnov-blog"),
    (1006, "Ελένη", "Παπαδοπούλου", "eleni@taverna.example", "taverna-eleni"),
    (1007, "Γιώργος", "Νικολάου", "giorgos@taverna.example", "taverna-eleni,nikolaou-law"),
    (1008, "花子", "山田", "hanako@yamada.example", "yamada-tea"),
    (1009, "太郎", "佐藤", "taro@sato-koubou.example", "sato-koubou,yamada-tea"),
    (1010, "Fatima", "Zahra", "fatima@zahra-imports.example", "zahra-imports"),
    (1011, "Grace", "Okafor", "grace@okafor.example", "okafor-consulting"),
    (1012, "Hans", "Müller", "hans@mueller-bau.example", "mueller-bau"),
    (1013, "Inès", "Lefèvre", "ines@lefevre.example", "lefevre-photo"),
    (1014, "Jamal", "Haddad", "jamal@haddad.example", "haddad-travel"),
    (1015, "Kim", "Nguyen", "kim@nguyen-pho.example", "nguyen-pho"),
    (1016, "Lars", "Andersson", "lars@andersson.example", "andersson-it,mueller-bau"),
    (1017, "Maria", "Rossi", "maria@rossi-vini.example", "rossi-vini"),
    (1018, "Nadia", "Petrova", "nadia@petrova.example", "petrova-art"),
    (1019, "Ольга", "Кузнецова", "olga@kuznetsova.example", "kuznetsova-school"),
    (1020, "Pieter", "de Vries", "pieter@devries.example", "devries-fietsen"),
    (1021, "Quentin", "Moreau", "quentin@moreau.example", "moreau-cafe"),
    (1022, "Rosa", "García", "rosa@garcia-abogados.example", "garcia-abogados"),
    (1023, "Sven", "Berg", "sven@berg.example", "berg-sailing"),
    (1024, "Tomás", "Silva", "tomas@silva.example", "silva-surf"),
    (1025, "Uma", "Patel", "uma@patel-clinic.example", "patel-clinic"),
    (1026, "Victor", "Dubois", "victor@dubois.example", "dubois-garage"),
    (1027, "Wen", "Li", "wen@li-studio.example", "li-studio"),
    (1028, "Ξένια", "Αλεξίου", "xenia@alexiou.example", "alexiou-books"),
    (1029, "Yusuf", "Demir", "yusuf@demir.example", "demir-kebap"),
    (1030, "Zoë", "Clarke", "zoe@clarke.example", "clarke-yoga,okafor-consulting"),
    (1031, "健", "鈴木", "ken@suzuki-ramen.example", "suzuki-ramen"),
    (1032, "Ivan", "Horvat", "ivan@horvat.example", "horvat-wine"),
]

# (platform id, subject, body, status): one ticket at least in every status.
TICKETS: list[tuple[int, str, str, str]] = [
    (1001, "Mail to info@ bounces", "Since this morning mail to info@acme-hosting.example bounces.",
     Status.NEW),
    (1005, "Сертификат SSL истёк", "Браузер пишет, что сертификат сайта недействителен.", Status.NEW),
    (1006, "Αργή φόρτωση ιστοσελίδας", "Η σελίδα μας φορτώνει πολύ αργά από χθες.", Status.OPEN),  # noqa: RUF001
    (1008, "データベースに接続できません", "WordPress がデータベースに接続できないと表示します。",
     Status.OPEN),
    (1012, "DNS record for the new shop", "Please add a CNAME shop -> shops.example.net.", Status.WAITING),
    (1017, "Backup restore", "Could you restore yesterday's backup of the site?", Status.RESOLVED),
    (1022, "Invoice address", "Our invoice shows the old address.", Status.CLOSED),
]

# The guest's mail (content.guest_mail) is tagged too: the queue's tag filter then finds a mail ticket.
GUEST_SUBJECT = "SSL certificate warning on www.quinn-bakery.example"
TAGS: dict[str, tuple[str, ...]] = {
    "Mail to info@ bounces": ("mail", "urgent"),
    "Сертификат SSL истёк": ("ssl",),
    "DNS record for the new shop": ("dns",),
    "Backup restore": ("backup",),
    GUEST_SUBJECT: ("ssl", "new customer"),
}

# (subject, note): what one agent tells the others on a ticket, never shown to the customer.
NOTE = ("Αργή φόρτωση ιστοσελίδας",
        "Load on web03 is normal. The site runs 38 plugins and no cache; suggest the caching plugin "
        "before we move it to a bigger plan.")

# (subject, choice, comment): the customers' answers to "Were you helped?".
RATINGS: list[tuple[str, str, str]] = [
    ("Backup restore", Choice.GOOD, "Restored within the hour, thank you!"),
    ("Invoice address", Choice.BAD, ""),
]

# Customers who opened a suggested article from the new-ticket form: the deflection report's figures.
SUGGESTION_OPENINGS: list[tuple[str, int]] = [
    ("mail-bounces", 1002), ("mailbox-full", 1003), ("dns-records", 1016),
]


def seed() -> str | None:
    """Seed the demo; the staff user's password when it was created now, else None."""
    alter_contacts([
        {"id": pid, "email": email, "first_name": first, "last_name": last, "accounts": accounts}
        for pid, first, last, email, accounts in PERSONS
    ])
    with transaction.atomic():
        password, staff = _staff_user()
        if not Ticket.objects.exists():
            _tickets(staff)
    # A mail is received in a transaction of its own, as by `extdesk receive-mail`.
    receive(guest_mail(), source="demo")
    with transaction.atomic():
        if not Tag.objects.exists():
            _tags(staff)
        if not Message.objects.filter(is_internal=True).exists():
            _note(staff)
        if not Rating.objects.exists():
            _ratings()
        if not Category.objects.exists():
            _knowledge_base(staff)
        if not CannedReply.objects.filter(owner__isnull=True).exists():
            for title, body in CANNED_REPLIES:
                create_canned_reply(actor=staff, title=title, body=body, shared=True)
    return password


def _staff_user() -> tuple[str | None, User]:
    """The demo's staff user, a superuser so that every page of the desk opens; its password if new."""
    found: object = get_user_model().objects.filter(username=STAFF_USERNAME).first()
    if found is None:
        password = secrets.token_urlsafe(12)
        return password, cast(User, create_staff_user(STAFF_USERNAME, password, superuser=True,
                                                      display_name="Demo Support"))
    staff = cast(User, found)
    if not staff.is_superuser:
        # Made by an older demo as a plain staff user. No service promotes a user (the admin's
        # form writes the flag just so), and the flag is all that differs.
        staff.is_superuser = True
        staff.save(update_fields=["is_superuser"])
    return None, staff


def _tickets(staff: User) -> None:
    for pid, subject, body, status in TICKETS:
        contact = Contact.objects.get(platform_id=pid)
        ticket = create_ticket(contact=contact, subject=subject, body=body,
                               account=contact.accounts.order_by("name").first())
        if status != Status.NEW:
            reply(ticket, author=staff, body="Thank you, we are looking into it.")
            ticket.refresh_from_db()
            update_properties(ticket, actor=staff, status=status)


def _ticket(subject: str) -> Ticket | None:
    # The demo's subjects are its own; a visitor's ticket of the same subject came later.
    return Ticket.objects.filter(subject=subject).order_by("pk").first()


def _tags(staff: User) -> None:
    for subject, names in TAGS.items():
        if (ticket := _ticket(subject)) is not None:
            for name in names:
                add_tag(ticket, name, actor=staff)


def _note(staff: User) -> None:
    subject, body = NOTE
    if (ticket := _ticket(subject)) is not None:
        reply(ticket, author=staff, body=body, internal=True)


def _ratings() -> None:
    for subject, choice, comment in RATINGS:
        ticket = _ticket(subject)
        if ticket is None:
            continue
        try:
            rate_in_portal(ticket, contact=ticket.contact, choice=choice, comment=comment)
        except RatingRefused:
            # An older demo's ticket resolved longer ago than ratings are taken: it stays unrated.
            continue


def _knowledge_base(staff: User) -> None:
    categories = {slug: kb.create_category(name, slug) for slug, name in CATEGORIES}
    # One address per voter: the votes' throttle counts per address, as for real readers.
    voters = [(Contact.objects.get(platform_id=pid), f"192.0.2.{index}")
              for index, (pid, *_rest) in enumerate(PERSONS, start=1)]
    articles = {}
    for number, item in enumerate(ARTICLES):
        category = categories[item.category].pk
        visibility = Visibility.CUSTOMERS if item.customers_only else Visibility.PUBLIC
        # Written as an author would: the first version, then each edit, each kept as a revision.
        (title, body), *edits = [*item.history, (item.title, item.body)]
        article = kb.create_article(by=staff, title=title, body=body, slug=item.slug, category=category,
                                    visibility=visibility, language=item.language)
        for title, body in edits:
            kb.update_article(article, by=staff, title=title, body=body, slug=item.slug, category=category,
                              visibility=visibility, language=item.language)
        if item.published:
            kb.set_state(article, State.PUBLISHED)
        for _view in range(item.views):
            kb.count_view(article)
        answers = [True] * item.helpful + [False] * item.unhelpful
        # Each article's readers start further down the list, so that no address votes on all.
        for offset, helpful in enumerate(answers):
            contact, address = voters[(number * 3 + offset) % len(voters)]
            kb.vote(article, helpful=helpful, address=address, contact=contact)
        articles[item.slug] = article
    for slug, pid in SUGGESTION_OPENINGS:
        deflection.record_opening(articles[slug], Contact.objects.get(platform_id=pid))
