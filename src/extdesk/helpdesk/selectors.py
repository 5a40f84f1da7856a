"""Reads of tickets, for the customer portal and the staff desk.

Every list here runs a fixed number of queries whatever the number of rows:
related rows are joined or prefetched, never fetched one per ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Count, F, Func, Prefetch, Q, QuerySet, Subquery
from django.utils.functional import cached_property

from extdesk.contacts.models import Account, Contact

from .models import CLOSED_STATUSES, OPEN_STATUSES, Attachment, Category, Message, Status, Ticket, TicketEvent

CUSTOMER_PAGE_SIZE = 25
STAFF_PAGE_SIZE = 50
# Up to this many matches of a queue search, its page fetches the matches by id and sorts them.
FEW_SEARCH_MATCHES = 1000
_NUMBER = re.compile(r"\s*#?\s*([0-9]{1,18})\s*\Z")

# Staff queue sort keys -> ORDER BY; the last term keeps pages stable.
QUEUE_SORTS: dict[str, tuple[str, ...]] = {
    "activity": ("-last_activity_at", "-id"),
    "-activity": ("last_activity_at", "id"),
    "created": ("-created_at", "-id"),
    "-created": ("created_at", "id"),
    "priority": ("-priority", "-last_activity_at", "-id"),
    # The exact reverse, like the other reversed keys: one index serves both directions.
    "-priority": ("priority", "last_activity_at", "id"),
    "number": ("-id",),
    "-number": ("id",),
    "updated": ("-updated_at", "-id"),
}
DEFAULT_QUEUE_SORT = "activity"


def _search_text(text: str) -> str:
    return " ".join((text or "").split())


def _number_q(text: str) -> Q | None:
    """A ticket number (#123 or 123) is looked up by id alone: one index probe."""
    if match := _NUMBER.match(text):
        return Q(pk=int(match[1]))
    return None


def _search_q(text: str) -> Q | None:
    """The ticket numbered ``text`` (#123 or 123), or else the subject contains the text."""
    text = _search_text(text)
    if not text:
        return None
    return _number_q(text) or Q(subject__icontains=text)


class _InSubquery(Func):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))``.

    OR-ed with other conditions, PostgreSQL can only test ``IN (subquery)`` row
    by row (a hashed subplan over a full scan); an array computed once lets it
    answer each branch of the OR from its own index and combine the bitmaps.
    """

    arg_joiner = " IN "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def __init__(self, column: str, subquery: QuerySet) -> None:
        super().__init__(F(column), Subquery(subquery))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=" = ANY(ARRAY", template="(%(expressions)s))",
                           **extra)


def _staff_search_q(text: str) -> Q | None:
    """A ticket number, or a subject, contact e-mail or account name containing the text.

    E-mail and account name are matched in subqueries of their own tables, so
    the tickets are never joined to them just to be filtered.
    """
    text = _search_text(text)
    if not text:
        return None
    if (number := _number_q(text)) is not None:
        return number
    emails = Contact.objects.filter(email__icontains=text).order_by().values("pk")
    names = Account.objects.filter(name__icontains=text).order_by().values("pk")
    return (Q(subject__icontains=text) | Q(_InSubquery("contact_id", emails))
            | Q(_InSubquery("account_id", names)))


# ---------------------------------------------------------------- customer side


def visible_to_contact(contact: Contact) -> Q:
    """Tickets the contact filed, and those of the accounts it belongs to (one subquery)."""
    accounts = Contact.accounts.through.objects.filter(contact_id=contact.pk).values("account_id")
    return Q(contact_id=contact.pk) | Q(account_id__in=accounts)


def contact_tickets(
    contact: Contact, *, state: str = "open", search: str = "", page: int | str = 1,
    per_page: int = CUSTOMER_PAGE_SIZE,
) -> Page:
    """A page of the tickets ``contact`` may see, newest activity first.

    ``state`` is ``open``, ``closed`` or ``all``. Two queries: count and page.
    """
    tickets = Ticket.objects.filter(visible_to_contact(contact))
    if state == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif state == "closed":
        tickets = tickets.filter(status__in=CLOSED_STATUSES)
    if (query := _search_q(search)) is not None:
        tickets = tickets.filter(query)
    tickets = tickets.select_related("category", "account", "contact").order_by("-last_activity_at", "-id")
    return Paginator(tickets, per_page).get_page(page)


def ticket_for_contact(contact: Contact, number: int) -> Ticket | None:
    """The ticket if the contact may see it; None otherwise (also for unknown numbers)."""
    return (
        Ticket.objects.filter(visible_to_contact(contact), pk=number)
        .select_related("category", "account", "contact", "assignee")
        .first()
    )


def public_thread(ticket: Ticket) -> list[Message]:
    """The messages a customer sees: no internal notes. Two queries."""
    return list(
        ticket.messages.filter(is_internal=False)
        .select_related("author_contact", "author_user")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def attachment_for_contact(contact: Contact, attachment_id: int) -> Attachment | None:
    """The attachment if it is on a public message of a ticket the contact may see."""
    tickets = Ticket.objects.filter(visible_to_contact(contact)).values("pk")
    return (
        Attachment.objects.filter(pk=attachment_id, message__is_internal=False,
                                  message__ticket_id__in=tickets)
        .first()
    )


def contact_accounts(contact: Contact) -> list[Account]:
    return list(contact.accounts.order_by("name"))


def offered_categories() -> list[Category]:
    """Categories a customer may choose on a new ticket."""
    return list(Category.objects.filter(is_active=True).order_by("position", "name"))


# ---------------------------------------------------------------- staff side


@dataclass(frozen=True)
class QueueFilters:
    """The staff queue's filters; ``None``/empty means "any"."""

    statuses: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    assignee_id: int | None = None
    unassigned: bool = False
    account_id: int | None = None
    category_id: int | None = None
    search: str = ""


def _filtered_queue(filters: QueueFilters, *, with_status: bool = True) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if with_status and filters.statuses:
        tickets = tickets.filter(status__in=filters.statuses)
    if filters.priorities:
        tickets = tickets.filter(priority__in=filters.priorities)
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee_id is not None:
        tickets = tickets.filter(assignee_id=filters.assignee_id)
    if filters.account_id is not None:
        tickets = tickets.filter(account_id=filters.account_id)
    if filters.category_id is not None:
        tickets = tickets.filter(category_id=filters.category_id)
    if (query := _staff_search_q(filters.search)) is not None:
        tickets = tickets.filter(query)
    return tickets


class _CountedPaginator(Paginator):
    """A paginator told its total, which the status counts already hold: no COUNT query of its own."""

    def __init__(self, object_list: QuerySet, per_page: int, total: int) -> None:
        super().__init__(object_list, per_page)
        self._total = total

    @cached_property
    def count(self) -> int:
        return self._total


def staff_queue(
    filters: QueueFilters = QueueFilters(), *, sort: str = DEFAULT_QUEUE_SORT, page: int | str = 1,
    per_page: int = STAFF_PAGE_SIZE, status_counts: dict[str, int] | None = None,
) -> Page:
    """A page of every ticket matching ``filters``.

    ``sort`` is a key of QUEUE_SORTS (an unknown key sorts by activity).
    ``status_counts``, from queue_status_counts(filters), gives the page total
    without counting the same tickets again: one query (the page) instead of two.
    """
    order = QUEUE_SORTS.get(sort, QUEUE_SORTS[DEFAULT_QUEUE_SORT])
    tickets = _filtered_queue(filters)
    total = None
    if status_counts is not None:
        total = sum(status_counts.get(status, 0) for status in (filters.statuses or status_counts))
        if _search_text(filters.search) and total <= FEW_SEARCH_MATCHES:
            # The planner cannot tell how few tickets the search's subqueries match, and
            # would walk the whole sort order looking for them; given the matches' ids (found
            # once, through the search's indexes) it fetches just those and sorts them.
            tickets = Ticket.objects.filter(_InSubquery("id", tickets.order_by().values("pk")))
    tickets = tickets.select_related("contact", "account", "category", "assignee").order_by(*order)
    if total is None:
        return Paginator(tickets, per_page).get_page(page)
    return _CountedPaginator(tickets, per_page, total).get_page(page)


def queue_status_counts(filters: QueueFilters = QueueFilters()) -> dict[str, int]:
    """Tickets per status under the other filters (every status present, zero included). One query."""
    counts = dict.fromkeys(Status.values, 0)
    rows = (
        _filtered_queue(filters, with_status=False).order_by().values_list("status").annotate(n=Count("id"))
    )
    counts.update(dict(rows))
    return counts


def ticket_for_staff(number: int) -> Ticket | None:
    return (
        Ticket.objects.filter(pk=number)
        .select_related("category", "account", "contact", "assignee")
        .first()
    )


def staff_thread(ticket: Ticket) -> list[Message]:
    """Every message, internal notes included. Two queries."""
    return list(
        ticket.messages.select_related("author_contact", "author_user")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def ticket_history(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.select_related("actor_contact", "actor_user").order_by("created_at", "id"))


def contact_other_tickets(ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The same contact's other tickets, newest activity first."""
    return list(
        Ticket.objects.filter(contact_id=ticket.contact_id).exclude(pk=ticket.pk)
        .order_by("-last_activity_at", "-id")[:limit]
    )


def attachment_for_staff(attachment_id: int) -> Attachment | None:
    return Attachment.objects.filter(pk=attachment_id).first()


def staff_members() -> list[AbstractBaseUser]:
    """Active staff, the possible assignees."""
    return list(get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username"))


def all_categories() -> list[Category]:
    return list(Category.objects.order_by("position", "name"))
