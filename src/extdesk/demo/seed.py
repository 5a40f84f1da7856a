"""The demo's hosting provider: persons in accounts, a staff user, tickets in every status.

Seeding is idempotent: the persons are pushed through the same contacts
service the SOAP endpoint uses (an unchanged person is not written again),
and the staff user and tickets are made only once.
"""

from __future__ import annotations

import secrets
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from extdesk.contacts.models import Contact
from extdesk.contacts.services import alter_contacts
from extdesk.helpdesk.models import Status, Ticket
from extdesk.helpdesk.services import create_ticket, reply, update_properties

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


def seed() -> str | None:
    """Seed the demo; the staff user's password when it was created now, else None."""
    alter_contacts([
        {"id": pid, "email": email, "first_name": first, "last_name": last, "accounts": accounts}
        for pid, first, last, email, accounts in PERSONS
    ])
    with transaction.atomic():
        password = None
        found: object = get_user_model().objects.filter(username=STAFF_USERNAME).first()
        if found is None:
            from extdesk.desk.services import create_staff_user

            password = secrets.token_urlsafe(12)
            found = create_staff_user(STAFF_USERNAME, password, display_name="Demo Support")
        staff = cast(User, found)
        if not Ticket.objects.exists():
            for pid, subject, body, status in TICKETS:
                contact = Contact.objects.get(platform_id=pid)
                ticket = create_ticket(contact=contact, subject=subject, body=body,
                                       account=contact.accounts.order_by("name").first())
                if status != Status.NEW:
                    reply(ticket, author=staff, body="Thank you, we are looking into it.")
                    ticket.refresh_from_db()
                    update_properties(ticket, actor=staff, status=status)
    return password
