"""Staff-only reads that the helpdesk selectors do not cover."""

from __future__ import annotations

from extdesk.contacts.models import Account, Contact


def account_id_by_name(name: str) -> int | None:
    """The id of the account named ``name`` (case-insensitive), or None."""
    return Account.objects.filter(name__iexact=name.strip()).values_list("pk", flat=True).first()


def contact_accounts(contact: Contact) -> list[Account]:
    return list(contact.accounts.order_by("name"))
