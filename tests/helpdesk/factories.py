"""Building contacts, staff and tickets for tests, through the real services."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from extdesk.contacts.models import Account, Contact
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Category, Ticket
from extdesk.sso.services import user_for_contact

_ids = itertools.count(1000)


def make_contact(*accounts: str, email: str | None = None, first_name: str = "Ann",
                 last_name: str = "Customer", with_user: bool = True) -> Contact:
    platform_id = next(_ids)
    now = timezone.now()
    contact = Contact.objects.create(
        platform_id=platform_id, email=email or f"person{platform_id}@example.com",
        first_name=first_name, last_name=last_name, created_at=now, updated_at=now,
    )
    for name in accounts:
        contact.accounts.add(Account.objects.get_or_create(name=name)[0])
    if with_user:
        user_for_contact(contact)
    return contact


STAFF_PASSWORD = "correct horse battery staple"


def make_staff(username: str = "agent", email: str = "agent@example.com",
               password: str | None = STAFF_PASSWORD, **extra):
    """A staff user; ``password=None`` skips the (slow) hashing for tests that use force_login."""
    return get_user_model().objects.create_user(
        username=username, email=email, password=password, is_staff=True, **extra
    )


def make_category(name: str = "Billing", **extra) -> Category:
    return Category.objects.create(name=name, **extra)


def upload(name: str = "notes.txt", content: bytes = b"hello file", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_ticket(contact: Contact, subject: str = "Mail is down", body: str = "Since this morning.",
                **kwargs) -> Ticket:
    if "account" not in kwargs and contact.accounts.count() > 1:
        kwargs["account"] = contact.accounts.order_by("name").first()
    return services.create_ticket(contact=contact, subject=subject, body=body, **kwargs)
