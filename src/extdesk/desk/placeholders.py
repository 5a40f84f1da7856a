"""Placeholders of canned replies (``{{ contact.first_name }}``), filled from a ticket.

Deliberately not Django's template engine: a canned reply is text any agent
writes, and a template could reach every attribute of the objects it is
given (the ticket's contact, its user, other tickets through them) and the
settings through its tags. Here a placeholder is one name of a fixed list,
replaced by a string computed for it; anything else between double braces
is left as typed (and refused when a canned reply is saved). Values are
plain text, put in the reply box, which the page escapes; they are
inserted in one pass, so a value that looks like a placeholder (a
customer called ``{{ ticket.subject }}``) stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.contrib.auth.models import User

from extdesk.helpdesk.models import Ticket
from extdesk.helpdesk.staff import public_name

# Every placeholder there is, and what it stands for (shown on the canned reply form).
PLACEHOLDERS: dict[str, str] = {
    "contact.first_name": "the customer's first name",
    "contact.last_name": "the customer's last name",
    "contact.name": "the customer's full name",
    "contact.email": "the customer's e-mail address",
    "ticket.number": "the ticket's number, without #",
    "ticket.subject": "the ticket's subject",
    "account.name": "the name of the ticket's account",
    "accounts": "the names of the customer's accounts, comma-separated",
    "agent.name": "your name, as customers see it",
}

# Double braces and what they hold, without braces inside, so that in ``{{ {{ ticket.number }}``
# the placeholder is the inner one.
_BRACES = re.compile(r"\{\{([^{}]*)\}\}")
# Line breaks and other control characters in a value (names come from the
# platform) would break a reply's lines: they become spaces.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")


def unknown_placeholders(text: str) -> list[str]:
    """The double-braced names in ``text`` that are not placeholders, as typed, each once."""
    found = (match.group(0) for match in _BRACES.finditer(text) if match.group(1).strip() not in PLACEHOLDERS)
    return list(dict.fromkeys(found))


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each placeholder replaced by its value ("" when missing); the rest as typed."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            return match.group(0)
        return " ".join(_CONTROL.sub(" ", values.get(name) or "").split())

    return _BRACES.sub(value, text)


def ticket_values(ticket: Ticket, agent: User) -> dict[str, str]:
    """Each placeholder's value for ``agent`` answering ``ticket``; "" where the data is missing."""
    contact = ticket.contact
    # Not contact.display_name, which falls back on the address: "Dear {{ contact.name }}"
    # is better left empty than addressed to an e-mail address.
    parts = (contact.prefix, contact.first_name, contact.middle_name, contact.insertion,
             contact.last_name, contact.suffix)
    return {
        "contact.first_name": contact.first_name,
        "contact.last_name": contact.last_name,
        "contact.name": " ".join(part for part in parts if part),
        "contact.email": contact.email,
        "ticket.number": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "account.name": ticket.account.name if ticket.account is not None else "",
        "accounts": ", ".join(sorted(contact.accounts.values_list("name", flat=True), key=str.casefold)),
        # As the customer knows the agent: never the login name.
        "agent.name": public_name(agent),
    }
