"""E-mail about ticket changes, queued in the transaction of the change.

Each function is called inside the transaction that makes the change: the
message is queued in the outbox with it (a rolled-back change queues
nothing) and sent once it commits; a mail server that is down delays the
message, which ``extdesk send-queued-mail`` retries, and never the change.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from extdesk.outbox.services import enqueue

from .models import Message, Status, Ticket
from .staff import desk_users


def _absolute(path: str) -> str:
    return f"{settings.EXTDESK_BASE_URL}{path}"


def _staff_ticket_url(ticket: Ticket) -> str:
    return _absolute(reverse("desk:ticket", args=[ticket.pk]))


def _customer_ticket_url(ticket: Ticket) -> str:
    return _absolute(reverse("portal:ticket", args=[ticket.pk]))


def _staff_recipients(ticket: Ticket) -> list[str]:
    """The assignee; while nobody is assigned, every desk user.

    Staff mail quotes customers' text, so it goes to desk users only (the
    desk's own rule), never to a customer's login that has staff rights.
    """
    staff = desk_users().exclude(email="")
    if ticket.assignee_id is not None:
        assignee = staff.filter(pk=ticket.assignee_id).values_list("email", flat=True).first()
        if assignee:
            return [assignee]
    return sorted(set(staff.values_list("email", flat=True)))


def _subject(ticket: Ticket, text: str) -> str:
    return f"[{ticket.reference}] {text}: {ticket.subject}"


def ticket_created(ticket_id: int) -> None:
    ticket = Ticket.objects.select_related("contact", "account", "category", "assignee").get(pk=ticket_id)
    first = ticket.messages.order_by("created_at", "id").first()
    lines = [
        f"{ticket.contact.display_name} <{ticket.contact.email}> filed a new ticket.",
        f"Account: {ticket.account or '-'}",
        f"Priority: {ticket.get_priority_display()}",
        f"Category: {ticket.category or '-'}",
        "",
        first.body if first else "",
    ]
    lines += ["", _staff_ticket_url(ticket)]
    enqueue(_subject(ticket, "New ticket"), "\n".join(lines), _staff_recipients(ticket),
          f"new ticket {ticket.reference}")


def customer_replied(message_id: int) -> None:
    message = Message.objects.select_related("ticket__assignee", "author_contact").get(pk=message_id)
    ticket = message.ticket
    lines = [f"{message.author_name} replied:", "", message.body]
    lines += ["", _staff_ticket_url(ticket)]
    enqueue(_subject(ticket, "Customer reply"), "\n".join(lines), _staff_recipients(ticket),
          f"the customer reply on {ticket.reference}")


def staff_replied(message_id: int) -> None:
    message = Message.objects.select_related("ticket__contact", "author_user").get(pk=message_id)
    if message.is_internal:
        return
    ticket = message.ticket
    lines = [
        f"Hello {ticket.contact.display_name},",
        "",
        f"{message.author_name} answered your ticket {ticket.reference}:",
        "",
        message.body,
        "",
        f"Read and answer it at {_customer_ticket_url(ticket)}",
        "(or open the helpdesk from your control panel).",
    ]
    enqueue(_subject(ticket, "New reply"), "\n".join(lines), [ticket.contact.email],
          f"the staff reply on {ticket.reference}")


def status_changed(ticket_id: int, old: str, new: str) -> None:
    ticket = Ticket.objects.select_related("contact").get(pk=ticket_id)
    lines = [
        f"Hello {ticket.contact.display_name},",
        "",
        f"Your ticket {ticket.reference} is now {Status(new).label.lower()}"
        f" (it was {Status(old).label.lower()}).",
        "",
        f"See it at {_customer_ticket_url(ticket)}",
        "(or open the helpdesk from your control panel).",
    ]
    enqueue(_subject(ticket, f"Status: {Status(new).label}"), "\n".join(lines), [ticket.contact.email],
          f"the status change of {ticket.reference}")
