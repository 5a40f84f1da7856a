"""Reads of tickets, for the customer portal and the staff desk.

Every list here runs a fixed number of queries whatever the number of rows:
related rows are joined or prefetched, never fetched one per ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, CharField, Count, F, Func, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Coalesce, Lower
from django.utils.functional import cached_property

from extdesk.contacts.models import Account, Contact
from extdesk.outbox.identity import helpdesk_address
from extdesk.search import selectors as text_search
from extdesk.search.terms import TextQuery

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    STAFF_MAIL_PREFERENCES,
    Attachment,
    Category,
    Message,
    StaffMail,
    Status,
    Tag,
    Ticket,
    TicketCopy,
    TicketEvent,
)
from .staff import desk_users

CUSTOMER_PAGE_SIZE = 25
STAFF_PAGE_SIZE = 50
# Up to this many matches of a queue search, its page fetches the matches by id and sorts them.
FEW_SEARCH_MATCHES = 1000
# A status filter that keeps at least 1 ticket in this many is checked while walking the sort order.
STATUS_SHARE_WALKED = 10
_NUMBER = re.compile(r"\s*#?\s*([0-9]{1,18})\s*\Z")

RELEVANCE_SORT = "relevance"
# A search of words counts its matches up to this many (RankedTickets, queue_status_counts).
SEARCH_COUNT_LIMIT = text_search.COUNT_LIMIT
# Staff queue sort keys -> ORDER BY; the last term keeps pages stable.
QUEUE_SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    # Needs attention: overdue first, then the soonest due, then the oldest (index ticket_needs_attention).
    "due": (F("next_due_at").asc(nulls_last=True), "created_at", "id"),
    "-due": (F("next_due_at").desc(nulls_first=True), "-created_at", "-id"),
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
    # A text search's results, best match first (RankedTickets); without one, by activity.
    RELEVANCE_SORT: ("-last_activity_at", "-id"),
}
DEFAULT_QUEUE_SORT = "activity"
# Among a search's equally good matches, the needs-attention order (QUEUE_SORTS["due"]) in SQL.
_RELEVANCE_TIES = {"due": ("next_due_at ASC NULLS LAST", "created_at ASC", "id ASC")}
NEEDS_ATTENTION_SORT = "due"
# The tickets that wait on staff: the needs-attention view's statuses, those of its partial index.
NEEDS_ATTENTION_STATUSES = (Status.NEW, Status.OPEN)


def _search_text(text: str) -> str:
    return " ".join((text or "").split())


def _number_q(text: str) -> Q | None:
    """A ticket number (#123 or 123) is looked up by id alone: one index probe."""
    if match := _NUMBER.match(text):
        return Q(pk=int(match[1]))
    return None


def _matching_any(ways: list[Q], query: TextQuery | None, *, staff: bool) -> Q:
    """The tickets matching any of ``ways`` or, with a ``query``, whose text (subject, messages;
    notes too for ``staff``) matches it.

    ``id IN (... UNION ...)``: each way is answered by its own index (subject trigrams,
    contacts, accounts, the search index), the union once. Not an OR of the ways: with the
    text's matches among them neither planner can combine them (a common word's matches, as an
    array, would be searched from the start for each ticket).
    """
    parts: list[text_search.SqlParams] = [_sql(Ticket.objects.filter(way).order_by().values("id"))
                                           for way in ways]
    if query is not None:
        parts.append(text_search.matching_ids(query, staff=staff))
    sql = " UNION ".join(f"SELECT * FROM ({part_sql}) w{n}" for n, (part_sql, _params) in enumerate(parts))
    params = [param for _sql_text, part_params in parts for param in part_params]
    return Q(pk__in=RawSQL(sql, params))


def _search_q(text: str) -> Q | None:
    """The ticket numbered ``text`` (#123 or 123), or else the subject contains the text or the
    subject and public messages match it as a full-text search."""
    text = _search_text(text)
    if not text:
        return None
    if (number := _number_q(text)) is not None:
        return number
    return _matching_any([Q(subject__icontains=text)], text_search.text_query(text), staff=False)


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


def _customer_named_q(text: str) -> Q:
    """Tickets whose contact's e-mail or account's name contains the text.

    Matched in subqueries of their own tables, so the tickets are never joined to them just to
    be filtered.
    """
    emails = Contact.objects.filter(email__icontains=text).order_by().values("pk")
    names = Account.objects.filter(name__icontains=text).order_by().values("pk")
    return Q(_InSubquery("contact_id", emails)) | Q(_InSubquery("account_id", names))


def _staff_search_q(text: str) -> Q | None:
    """A ticket number, or a subject, contact e-mail or account name containing the text, or a
    full-text match of the subject and every message (internal notes included)."""
    text = _search_text(text)
    if not text:
        return None
    if (number := _number_q(text)) is not None:
        return number
    return _matching_any([Q(subject__icontains=text), _customer_named_q(text)], text_search.text_query(text),
                         staff=True)


def _ranked_query(text: str) -> TextQuery | None:
    """The full-text query a search's results are ranked by; None for a number or no words."""
    text = _search_text(text)
    if not text or _number_q(text) is not None:
        return None
    return text_search.text_query(text)


OtherMatches = list[tuple[Q, float]]


def staff_other_matches(filters: QueueFilters) -> OtherMatches:
    """The desk's ways of matching ``filters.search`` besides its text, and the rank each gives
    (RankedTickets): one query, for the queue's counts and its page to share.

    A subject containing the text inside a word cannot be found through an index on SQLite (a
    scan of every subject), so it is read once here: the ids of its newest
    text_search.COUNT_LIMIT + 1 matches under the filters, whatever their status (as the tabs
    count them; the page keeps those of its tab).
    """
    text = _search_text(filters.search)
    candidates = _filtered_queue(replace(filters, search=""), with_status=False)
    subject_ids = list(candidates.filter(subject__icontains=text).order_by("-id")
                       .values_list("id", flat=True)[:text_search.COUNT_LIMIT + 1])
    ways = [(_customer_named_q(text), text_search.CUSTOMER_NAMED_RANK)]
    if subject_ids:  # an empty IN () is no SQL at all: a way that matches nothing is left out
        ways.append((Q(pk__in=subject_ids), 0.0))
    return ways


def ranks_search(text: str) -> bool:
    """Whether a search of ``text`` has words to rank its results by (a number or no words has not)."""
    return _ranked_query(text) is not None


class RankedTickets:
    """The tickets a text search finds among ``candidates``, best match first, as a Paginator reads them.

    A ticket matches by its text (ranked by the engine: bm25 on SQLite, ts_rank on PostgreSQL)
    or by the ``others`` conditions, each with the rank it gives (a customer the search names
    ranks above any text match; a subject containing the text as a part of a word, below).
    The newest text_search.COUNT_LIMIT matches of each way are ranked, and counted: past that,
    ``more`` says so. A page is ranked, with its snippets, then its tickets fetched with their
    joined rows (given ``search_snippet``): two queries, and the count unless ``total`` is given.
    """

    def __init__(self, candidates: QuerySet[Ticket], query: TextQuery, *, staff: bool,
                 others: list[tuple[Q, float]], total: int | None = None,
                 ties: tuple[str, ...] = text_search.NEWEST_FIRST) -> None:
        self._ties = ties
        columns = list(dict.fromkeys(["id", *(tie.split()[0] for tie in ties)]))
        candidates = candidates.order_by()
        self._candidates = _sql(candidates.values(*columns))
        self._others = [(_sql(candidates.filter(other).values(*columns)), rank) for other, rank in others]
        self._counted = (_sql(candidates.values("id")),
                         [_sql(candidates.filter(other).values("id")) for other, _rank in others])
        # A total given above the limit is a lower bound (queue_status_counts): counted again here.
        if total is not None and total > text_search.COUNT_LIMIT:
            total = None
        self._query = query
        self._staff = staff
        self.more = False
        self._total = total

    def count(self) -> int:
        if self._total is None:
            candidates, others = self._counted
            counted = text_search.count_matches(candidates, others, self._query, staff=self._staff).get("", 0)
            self.more = counted > text_search.COUNT_LIMIT
            self._total = min(counted, text_search.COUNT_LIMIT)
        return self._total

    def __getitem__(self, window: slice) -> list[Ticket]:
        start, stop = window.start or 0, window.stop
        if stop is None or stop <= start:
            return []
        ranked = text_search.ranked_page(self._candidates, self._query, staff=self._staff,
                                         others=self._others, offset=start, limit=stop - start,
                                         ties=self._ties)
        found = Ticket.objects.select_related("contact", "account", "category", "assignee__staff_profile")
        tickets = found.in_bulk([number for number, _snippet in ranked])
        page = []
        for number, snippet in ranked:
            if (ticket := tickets.get(number)) is not None:
                ticket.search_snippet = snippet  # type: ignore[attr-defined]
                page.append(ticket)
        return page


# ---------------------------------------------------------------- customer side


def visible_to_contact(contact: Contact) -> Q:
    """Tickets the contact filed, and those of the accounts it belongs to (one subquery)."""
    accounts = Contact.accounts.through.objects.filter(contact_id=contact.pk).values("account_id")
    return Q(contact_id=contact.pk) | Q(account_id__in=accounts)


class _NoIndex(Func):
    """A text column's value, written so that no index on the column can drive the query.

    ``+column`` on SQLite, ``(column || '')`` on PostgreSQL. The customer's list always uses it
    (it is narrowed by account or contact, whose indexes also give the list's order), the queue
    when its status filter keeps a large share of the tickets (then reading the sort order and
    skipping the others is shortest). Without statistics (SQLite never has them here; PostgreSQL
    until its first ANALYZE) the planners take the status filter for a selective one, read every
    ticket of those statuses through the status index and sort them: 60,000 rows for a page of 50.
    """

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s || '')", **extra)


# A contact in more accounts than this has its accounts' tickets read together and sorted, rather
# than read in order account by account.
_ACCOUNT_BRANCHES = 8
_LIST_ORDER = ("-last_activity_at", "-id")


def _sql(tickets: QuerySet) -> tuple[str, tuple]:
    return tickets.query.get_compiler(using=tickets.db).as_sql()


class ContactTickets:
    """The tickets a contact may see under the list's filters, in list order, as a Paginator reads them.

    Visible means filed by the contact or in one of its accounts. As one condition
    (``contact = me OR account IN mine``) neither database can read it in list order from an
    index: it collects every visible ticket and sorts them, and counts them from the table.
    Here the list is the union of one branch per account and one of the contact's own tickets,
    each read in list order from its (account or contact, last activity, id) index: a page
    ``[start:stop]`` takes the first ``stop`` rows of each branch, and no row of the page can
    lie further down its branch than that. The total adds the tickets of the contact's
    accounts to its own tickets outside them, both counted from those indexes.
    Two queries: the count (which also reads the contact's account ids) and the page.
    """

    def __init__(self, contact: Contact, filtered: QuerySet[Ticket]) -> None:
        self._contact_id = contact.pk
        self._filtered = filtered.order_by()
        self._account_ids: list[int] | None = None

    def _memberships(self) -> QuerySet:
        return Contact.accounts.through.objects.filter(contact_id=self._contact_id).values("account_id")

    def count(self) -> int:
        memberships = self._memberships()
        # _InSubquery: PostgreSQL without statistics would rather scan the table than probe the
        # account index for each of an unknown number of accounts; an array it takes for a few.
        in_accounts, in_params = _sql(
            self._filtered.filter(_InSubquery("account_id", memberships)).values("pk"))
        own, own_params = _sql(
            self._filtered.filter(Q(contact_id=self._contact_id),
                                  Q(account_id__isnull=True) | ~Q(_InSubquery("account_id", memberships)))
            .values("pk"))
        ids, ids_params = _sql(memberships)
        listed = "STRING_AGG(CAST(m.account_id AS text), ',')" if connection.vendor == "postgresql" \
            else "GROUP_CONCAT(m.account_id)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT COUNT(*) FROM ({in_accounts}) a) + (SELECT COUNT(*) FROM ({own}) o), "
                f"(SELECT {listed} FROM ({ids}) m)",
                (*in_params, *own_params, *ids_params),
            )
            total, accounts = cursor.fetchone()
        self._account_ids = sorted(int(n) for n in accounts.split(",")) if accounts else []
        return total

    def account_ids(self) -> list[int]:
        if self._account_ids is None:
            self._account_ids = sorted(self._memberships().values_list("account_id", flat=True))
        return self._account_ids

    def __getitem__(self, window: slice) -> list[Ticket]:
        start, stop = window.start or 0, window.stop
        if stop is None or stop <= start:
            return []
        accounts = self.account_ids()
        branches = [self._filtered.filter(contact_id=self._contact_id)]
        if len(accounts) > _ACCOUNT_BRANCHES:
            branches.append(self._filtered.filter(account_id__in=accounts))
        else:
            branches.extend(self._filtered.filter(account_id=account) for account in accounts)
        parts: list[str] = []
        params: list[object] = []
        for n, branch in enumerate(branches):
            sql, branch_params = _sql(branch.order_by(*_LIST_ORDER).values("id", "last_activity_at")[:stop])
            parts.append(f"SELECT * FROM ({sql}) b{n}")
            params.extend(branch_params)
        # UNION, not UNION ALL: a ticket the contact filed in one of its accounts is in two branches.
        page_ids = RawSQL(
            f"SELECT u.id FROM ({' UNION '.join(parts)}) u "
            f"ORDER BY u.last_activity_at DESC, u.id DESC LIMIT {stop - start} OFFSET {start}",
            params,
        )
        return list(
            Ticket.objects.filter(pk__in=page_ids).select_related("category", "account", "contact")
            .order_by(*_LIST_ORDER)
        )


def contact_tickets(
    contact: Contact, *, state: str = "open", search: str = "", page: int | str = 1,
    per_page: int = CUSTOMER_PAGE_SIZE,
) -> Page:
    """A page of the tickets ``contact`` may see, newest activity first (best match first for a
    search of words, see RankedTickets).

    ``state`` is ``open``, ``closed`` or ``all``. Two queries: count and page (see ContactTickets);
    a search of words three.
    """
    tickets = Ticket.objects.all()
    if state in ("open", "closed"):
        statuses = OPEN_STATUSES if state == "open" else CLOSED_STATUSES
        tickets = tickets.alias(state=_NoIndex("status", output_field=CharField())).filter(state__in=statuses)
    if (text := _ranked_query(search)) is not None:
        # Best match first among the tickets the contact may see; a subject containing the
        # search as a part of a word comes after the full-text matches.
        ranked = RankedTickets(tickets.filter(visible_to_contact(contact)), text, staff=False,
                               others=[(Q(subject__icontains=_search_text(search)), 0.0)])
        return Paginator(ranked, per_page).get_page(page)  # type: ignore[arg-type]
    if (query := _search_q(search)) is not None:
        tickets = tickets.filter(query)
    # Paginator takes count() and slices, all that ContactTickets offers.
    return Paginator(ContactTickets(contact, tickets), per_page).get_page(page)  # type: ignore[arg-type]


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
        # The profile: the name customers know staff by (Message.public_author_name).
        .select_related("author_contact", "author_user__staff_profile")
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
    tag_id: int | None = None
    # Ticket ids to keep, and ids to leave out, as subqueries from an app this package cannot import (the
    # ratings filter): the queue stays one query whatever the number of tickets.
    among_ids: QuerySet | None = None
    except_ids: QuerySet | None = None


def _filtered_queue(filters: QueueFilters, *, with_status: bool = True,
                    status_index: bool = True) -> QuerySet[Ticket]:
    """The tickets ``filters`` keep; ``status_index=False`` keeps the planner off the status indexes."""
    tickets = Ticket.objects.all()
    if with_status and filters.statuses:
        if status_index:
            tickets = tickets.filter(status__in=filters.statuses)
        else:
            tickets = tickets.alias(state=_NoIndex("status", output_field=CharField())).filter(
                state__in=filters.statuses)
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
    if filters.tag_id is not None:
        # The ids from the tag's rows: a join could repeat nothing, but this reads as it is meant.
        tagged = Ticket.tags.through.objects.filter(tag_id=filters.tag_id).values("ticket_id")
        tickets = tickets.filter(pk__in=tagged)
    if filters.among_ids is not None:
        tickets = tickets.filter(pk__in=filters.among_ids)
    if filters.except_ids is not None:
        tickets = tickets.exclude(pk__in=filters.except_ids)
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
    ties: str = DEFAULT_QUEUE_SORT, others: OtherMatches | None = None,
) -> Page:
    """A page of every ticket matching ``filters``.

    ``sort`` is a key of QUEUE_SORTS (an unknown key sorts by activity); ``relevance`` with a
    search of words lists the best matches first, equal ones in the order of the sort ``ties``
    (due or, for any other, activity).
    ``status_counts``, from queue_status_counts(filters), gives the page total
    without counting the same tickets again: one query (the page) instead of two; ``others``,
    from staff_other_matches(filters), the other ways a search matches, read once for both.
    """
    order = QUEUE_SORTS.get(sort, QUEUE_SORTS[DEFAULT_QUEUE_SORT])
    if sort == RELEVANCE_SORT and (text := _ranked_query(filters.search)) is not None:
        total = None if status_counts is None else sum(
            status_counts.get(status, 0) for status in (filters.statuses or status_counts))
        ranked = RankedTickets(
            # Matches are read newest first (RankedTickets): the status is checked on the way, as
            # in a large share (see _NoIndex), not looked up through its index.
            _filtered_queue(replace(filters, search=""), status_index=False), text, staff=True, total=total,
            ties=_RELEVANCE_TIES.get(ties, text_search.NEWEST_FIRST),
            others=others if others is not None else staff_other_matches(filters))
        return Paginator(ranked, per_page).get_page(page)  # type: ignore[arg-type]
    tickets = _filtered_queue(filters)
    total = None
    if status_counts is not None:
        total = sum(status_counts.get(status, 0) for status in (filters.statuses or status_counts))
        many = _ranked_query(filters.search) is not None and sum(status_counts.values()) > SEARCH_COUNT_LIMIT
        if many:
            # Counts that are lower bounds (queue_status_counts): the pages reach the limit.
            total = SEARCH_COUNT_LIMIT
        if filters.statuses and total * STATUS_SHARE_WALKED >= sum(status_counts.values()):
            # A tenth or more of the tickets have a wanted status: reading the sort order's index
            # and skipping the others reaches a page within a few rows, where reading every ticket of
            # those statuses and sorting them does not; without statistics (see _NoIndex) the
            # planners choose the latter unless the status index is out of their reach.
            tickets = _filtered_queue(filters, status_index=False)
        if _search_text(filters.search) and total <= FEW_SEARCH_MATCHES and not many:
            # The planner cannot tell how few tickets the search's subqueries match, and
            # would walk the whole sort order looking for them; given the matches' ids (found
            # once, through the search's indexes) it fetches just those and sorts them.
            tickets = Ticket.objects.filter(_InSubquery("id", tickets.order_by().values("pk")))
    # The assignee's profile: the desk names staff by their display name.
    tickets = (tickets.select_related("contact", "account", "category", "assignee__staff_profile")
               .order_by(*order))
    if total is None:
        return Paginator(tickets, per_page).get_page(page)
    return _CountedPaginator(tickets, per_page, total).get_page(page)


def _needs_attention_condition() -> RawSQL:
    """``status IN ('new', 'open')`` spelled as the predicate of the partial index ticket_needs_attention.

    A planner uses a partial index only when the query's condition implies the index's; SQLite proves
    that from literal values alone, never from bound parameters (the statuses are constants).
    """
    values = ", ".join(f"'{status}'" for status in NEEDS_ATTENTION_STATUSES)
    return RawSQL(f'"{Ticket._meta.db_table}"."status" IN ({values})', (), output_field=BooleanField())


class NeedsAttentionTickets:
    """The tickets waiting on staff under the other filters, in due order, as a Paginator reads them.

    A page is read from the partial index ticket_needs_attention, which holds exactly these
    tickets in this order: the page's ids from the index (SQLite is told to use it: without
    statistics it would rather read every new and open ticket through a status index and sort
    them), then those tickets with their joined rows. One query per page; the total is given.
    """

    def __init__(self, filters: QueueFilters, *, sort: str, total: int) -> None:
        self._tickets = _filtered_queue(replace(filters, statuses=())).filter(
            _needs_attention_condition())
        self._order = QUEUE_SORTS[sort]
        self._total = total

    def count(self) -> int:
        return self._total

    def __getitem__(self, window: slice) -> list[Ticket]:
        start, stop = window.start or 0, window.stop
        if stop is None or stop <= start:
            return []
        sql, params = _sql(self._tickets.order_by(*self._order).values("pk")[start:stop])
        if connection.vendor == "sqlite":
            table = f'FROM "{Ticket._meta.db_table}"'
            sql = sql.replace(table, f'{table} INDEXED BY "ticket_needs_attention"', 1)
        return list(
            Ticket.objects.filter(pk__in=RawSQL(sql, params))
            .select_related("contact", "account", "category", "assignee__staff_profile")
            .order_by(*self._order)
        )


def needs_attention_queue(filters: QueueFilters = QueueFilters(), *, sort: str = NEEDS_ATTENTION_SORT,
                          page: int | str = 1, per_page: int = STAFF_PAGE_SIZE,
                          status_counts: dict[str, int] | None = None) -> Page:
    """A page of the tickets waiting on staff (new, open) matching ``filters``, overdue first.

    ``sort`` is ``due`` or ``-due``; ``status_counts`` (from queue_status_counts(filters)) gives the
    total, else it is counted. One query, or two.
    """
    if sort not in ("due", "-due"):
        raise ValueError(f"the needs-attention queue is sorted by due time, not {sort!r}")
    if status_counts is None:
        total = _filtered_queue(replace(filters, statuses=NEEDS_ATTENTION_STATUSES)).order_by().count()
    else:
        total = sum(status_counts.get(status, 0) for status in NEEDS_ATTENTION_STATUSES)
    tickets = NeedsAttentionTickets(filters, sort=sort, total=total)
    # Paginator takes count() and slices, all that NeedsAttentionTickets offers.
    return Paginator(tickets, per_page).get_page(page)  # type: ignore[arg-type]


def queue_status_counts(filters: QueueFilters = QueueFilters(), *,
                        others: OtherMatches | None = None) -> dict[str, int]:
    """Tickets per status under the other filters (every status present, zero included). One query
    (and staff_other_matches' own, unless ``others`` gives what it answered).

    Under a search of words the newest text_search.COUNT_LIMIT + 1 matches of each way of matching
    are counted: a common word is in most tickets. When they add up to more than COUNT_LIMIT,
    every count is a lower bound (the desk shows "1,000+", "212+").
    """
    counts = dict.fromkeys(Status.values, 0)
    if (text := _ranked_query(filters.search)) is not None:
        candidates = _filtered_queue(replace(filters, search=""), with_status=False).order_by()
        ways = [_sql(candidates.filter(other).values("id", "status"))
                for other, _rank in (others if others is not None else staff_other_matches(filters))]
        counts.update(text_search.count_matches(_sql(candidates.values("id", "status")), ways, text,
                                                staff=True, by="status"))
        return counts
    # COUNT(*), not COUNT(id): counting a column reads and null-checks it in
    # every row.
    rows = (
        _filtered_queue(filters, with_status=False).order_by().values_list("status").annotate(n=Count("*"))
    )
    counts.update(dict(rows))
    return counts


def ticket_for_staff(number: int) -> Ticket | None:
    return (
        Ticket.objects.filter(pk=number)
        .select_related("category", "account", "contact", "assignee__staff_profile")
        .first()
    )


def staff_thread(ticket: Ticket) -> list[Message]:
    """Every message, internal notes included. Two queries."""
    return list(
        ticket.messages.select_related("author_contact", "author_user__staff_profile")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def ticket_history(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.select_related("actor_contact", "actor_user__staff_profile")
                .order_by("created_at", "id"))


# Replies and notes are shown as the messages they added; the other history lines as changes.
_MESSAGE_EVENTS = ("replied", "note")


@dataclass(frozen=True)
class ChangesSince:
    """What was written to a ticket after the version a form was drawn from."""

    since_version: int
    version: int
    messages: list[Message]
    # Property changes and other history lines (not the replies and notes, listed as messages).
    events: list[TicketEvent]

    @property
    def people(self) -> list[str]:
        """Who made the changes, each named once, in order (desk names)."""
        names = [m.author_name for m in self.messages] + [e.actor_name for e in self.events]
        return list(dict.fromkeys(names))


def changes_since(ticket: Ticket, version: int) -> ChangesSince:
    """The messages (internal notes too) and history lines of versions after ``version``. Two queries."""
    messages = list(
        ticket.messages.filter(version__gt=version)
        .select_related("author_contact", "author_user__staff_profile").order_by("created_at", "id")
    )
    events = list(
        ticket.events.filter(version__gt=version).exclude(kind__in=_MESSAGE_EVENTS)
        .select_related("actor_contact", "actor_user__staff_profile").order_by("created_at", "id")
    )
    return ChangesSince(since_version=version, version=ticket.version, messages=messages, events=events)


def contact_other_tickets(ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The same contact's other tickets, newest activity first."""
    return list(
        Ticket.objects.filter(contact_id=ticket.contact_id).exclude(pk=ticket.pk)
        .order_by("-last_activity_at", "-id")[:limit]
    )


def attachment_for_staff(attachment_id: int) -> Attachment | None:
    return Attachment.objects.filter(pk=attachment_id).first()


def staff_members() -> list[User]:
    """The desk users, the possible assignees."""
    return list(desk_users().select_related("staff_profile").order_by("username"))


def staff_mail_recipients(kind: StaffMail, assignee_id: int | None) -> list[str]:
    """Where a staff mail of ``kind`` about a ticket assigned to ``assignee_id`` goes, in one query.

    The assignee, if they want that kind for their own tickets; an assignee
    who opted out means nobody (the ticket has its owner). While nobody is
    assigned, or the assignee cannot be mailed (no address, not a desk user),
    every desk user who wants that kind for unassigned tickets. Desk users
    only (staff mail quotes customers' text), never an empty address, each
    address once. A desk user without a profile has the defaults: all on.
    """
    mine, unassigned = STAFF_MAIL_PREFERENCES[kind]
    staff = desk_users().exclude(email="").annotate(
        wants_mine=Coalesce(F(f"staff_profile__{mine}"), Value(True)),
        wants_unassigned=Coalesce(F(f"staff_profile__{unassigned}"), Value(True)),
    )
    wanted = Q(wants_unassigned=True)
    if assignee_id is not None:
        # The assignee's row comes with the others: whether they are mailable is known in the same query.
        wanted |= Q(pk=assignee_id)
    rows = list(staff.filter(wanted).values_list("pk", "email", "wants_mine", "wants_unassigned"))
    for pk, email, wants_mine, _wants_unassigned in rows:
        if pk == assignee_id:
            return [email] if wants_mine else []
    return sorted({email for _pk, email, _mine, wants_unassigned in rows if wants_unassigned})


def all_categories() -> list[Category]:
    return list(Category.objects.order_by("position", "name"))


def staff_queue_ids(filters: QueueFilters, *, sort: str = DEFAULT_QUEUE_SORT,
                    limit: int) -> tuple[list[int], int]:
    """The first ``limit`` ticket numbers matching ``filters`` in the queue's order, and how many match.

    What a bulk change "to every ticket matching the filters" applies to, found
    again when it is applied. Two queries.
    """
    order = QUEUE_SORTS.get(sort, QUEUE_SORTS[DEFAULT_QUEUE_SORT])
    tickets = _filtered_queue(filters)
    return list(tickets.order_by(*order).values_list("pk", flat=True)[:limit]), tickets.order_by().count()


def tags_named(name: str) -> QuerySet[Tag]:
    """The tag called ``name`` (as stored: trimmed, single-spaced), whatever its case: none or one."""
    # Lowered by the database, as the unique constraint lowers them: Python's
    # lower() and SQLite's differ beyond ASCII.
    return Tag.objects.alias(key=Lower("name")).filter(key=Lower(Value(name, output_field=CharField())))


def tag_id_by_name(name: str) -> int | None:
    """The id of the tag called ``name``, whatever its case and spacing, or None."""
    return tags_named(" ".join((name or "").split())).values_list("pk", flat=True).first()


def ticket_tags(ticket: Ticket) -> list[Tag]:
    return sorted(ticket.tags.all(), key=lambda tag: tag.name.casefold())


def tag_names(limit: int = 500) -> list[str]:
    """The tags there are, by name: the suggestions of the tag fields.

    Not counted by use: that would read every tagged ticket on every ticket page.
    """
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:limit])


def thread_counts(ticket: Ticket) -> tuple[int, int]:
    """How many messages (internal notes too) and attachments the ticket's thread holds."""
    return (Message.objects.filter(ticket=ticket).count(),
            Attachment.objects.filter(message__ticket=ticket).count())


# ---------------------------------------------------------------- copies (Cc)


def _lowered(address: str) -> Lower:
    return Lower(Value(address.strip(), output_field=CharField()))


def _copies_to(address: str) -> QuerySet[TicketCopy]:
    """Every copy to ``address`` whatever its case, through the index on the lowered address."""
    # Lowered by the database, as the unique constraint lowers them (Python and SQLite differ beyond ASCII).
    return TicketCopy.objects.alias(key=Lower("address")).filter(key=_lowered(address))


def copies_named(ticket_id: int, address: str) -> QuerySet[TicketCopy]:
    """The ticket's copy to ``address`` whatever its case: none or one."""
    return _copies_to(address).filter(ticket_id=ticket_id)


def is_copied(ticket_id: int, address: str) -> bool:
    """Whether ``address`` gets copies of the ticket's mail (and so may answer it by mail)."""
    return bool(address.strip()) and copies_named(ticket_id, address).exists()


def is_copied_anywhere(address: str) -> bool:
    """Whether ``address`` is copied on any ticket: whether its mail may be a reply at all."""
    return bool(address.strip()) and _copies_to(address).exists()


def ticket_copies(ticket: Ticket) -> list[TicketCopy]:
    """The addresses copied on the ticket, first added first, with who added them."""
    return list(ticket.copies.select_related("added_by_user__staff_profile", "added_by_contact"))


def copied_addresses(ticket_id: int) -> list[str]:
    """What the Cc of the customer's mail about the ticket names."""
    return list(TicketCopy.objects.filter(ticket_id=ticket_id).order_by("added_at", "id")
                .values_list("address", flat=True))


def helpdesk_addresses() -> set[str]:
    """The helpdesk's own addresses, lower-cased: its sender (EXTDESK_EMAIL_FROM) and the IMAP inboxes
    whose user name is an address."""
    own = {helpdesk_address(), *(inbox.user for inbox in settings.EXTDESK_INBOXES)}
    return {address.strip().lower() for address in own if "@" in address}


def is_helpdesk_address(address: str) -> bool:
    """Whether ``address`` is the helpdesk's own or a staff member's (any staff user, active or not).

    Never copied on a ticket: the helpdesk would mail itself, and staff follow
    tickets on the desk, where the customer's copies must not reach them.
    """
    address = address.strip()
    if address.lower() in helpdesk_addresses():
        return True
    return (get_user_model().objects.filter(is_staff=True, contact__isnull=True)
            .alias(key=Lower("email")).filter(key=_lowered(address)).exists())
