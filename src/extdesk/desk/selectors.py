"""Reads of the staff desk: its queue, as the queue page asks for it, and a ticket's thread."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page
from django.utils.translation import gettext_lazy

from extdesk.contacts.models import Account
from extdesk.helpdesk import selectors
from extdesk.helpdesk.models import OPEN_STATUSES, Channel, Message, Status, Ticket
from extdesk.mail import selectors as mail_selectors
from extdesk.mail.models import InboundMail
from extdesk.ratings import selectors as rating_selectors

# The queue's status tabs: what waits on staff (the default), the open statuses together, each
# status, every ticket.
QUEUE_STATUS_ATTENTION = "attention"
QUEUE_STATUS_ACTIVE = "active"
QUEUE_STATUS_ALL = "all"
DEFAULT_QUEUE_TAB = QUEUE_STATUS_ATTENTION
QUEUE_STATUS_TABS = [
    (QUEUE_STATUS_ATTENTION, gettext_lazy("Needs attention")),
    (QUEUE_STATUS_ACTIVE, gettext_lazy("Active")),
    *Status.choices,
    (QUEUE_STATUS_ALL, gettext_lazy("All")),
]
# The assignee filter: anyone, the viewer, nobody, or a staff member's id.
ASSIGNEE_ANY, ASSIGNEE_ME, ASSIGNEE_NONE = "", "me", "none"
# The rating filter: any ticket, those with a good (a bad) rating, those with none.
RATING_ANY, RATING_NONE = "", "none"


@dataclass(frozen=True)
class QueueQuery:
    """What the queue page asks for, as its filter form read it."""

    status_tab: str = DEFAULT_QUEUE_TAB
    priority: int | None = None
    assignee: str = ASSIGNEE_ANY
    account_name: str = ""
    category_id: int | None = None
    search: str = ""
    sort: str = selectors.NEEDS_ATTENTION_SORT
    page: int = 1
    tag: str = ""
    rating: str = RATING_ANY

    @property
    def filtered(self) -> bool:
        """Whether a filter besides the status tab narrows the list."""
        return any((self.search, self.priority, self.assignee, self.category_id, self.account_name, self.tag,
                    self.rating))


@dataclass(frozen=True)
class Queue:
    page: Page
    # Tickets under each status tab (QUEUE_STATUS_TABS' keys), the other filters applied.
    tab_counts: dict[str, int]
    # No account has the name asked for: the list shows that nothing matches.
    unknown_account: bool
    # No tag has the name asked for: likewise.
    unknown_tag: bool = False


def default_sort(tab: str) -> str:
    """The order a tab lists in when none is chosen: needs attention by due time, the others by activity."""
    return selectors.NEEDS_ATTENTION_SORT if tab == QUEUE_STATUS_ATTENTION else selectors.DEFAULT_QUEUE_SORT


def _statuses(tab: str) -> tuple[str, ...]:
    if tab == QUEUE_STATUS_ATTENTION:
        return tuple(selectors.NEEDS_ATTENTION_STATUSES)
    if tab == QUEUE_STATUS_ACTIVE:
        return tuple(OPEN_STATUSES)
    if tab == QUEUE_STATUS_ALL:
        return ()
    return (tab,)


def _assignee_id(choice: str, viewer_id: int) -> int | None:
    if choice == ASSIGNEE_ME:
        return viewer_id
    if choice in (ASSIGNEE_ANY, ASSIGNEE_NONE):
        return None
    return int(choice)  # a staff member's id, checked by the form


def _account_id_by_name(name: str) -> int | None:
    """The id of the account named ``name`` (case-insensitive), or None."""
    return Account.objects.filter(name__iexact=name).values_list("pk", flat=True).first()


def _queue_filters(query: QueueQuery, viewer_id: int) -> tuple[selectors.QueueFilters, bool, bool]:
    """The filters ``query`` means for ``viewer_id``; whether its account, and its tag, are unknown."""
    account_id = None
    if query.account_name:
        account_id = _account_id_by_name(query.account_name)
    unknown_account = bool(query.account_name) and account_id is None
    tag_id = selectors.tag_id_by_name(query.tag) if query.tag else None
    unknown_tag = bool(query.tag) and tag_id is None
    filters = selectors.QueueFilters(
        statuses=_statuses(query.status_tab),
        priorities=(query.priority,) if query.priority else (),
        assignee_id=_assignee_id(query.assignee, viewer_id),
        unassigned=query.assignee == ASSIGNEE_NONE,
        # An id no account has: the list shows that nothing matches.
        account_id=0 if unknown_account else account_id,
        category_id=query.category_id,
        search=query.search,
        tag_id=0 if unknown_tag else tag_id,
        # A subquery of the ratings (its index on choice and ticket), never a query per row.
        among_ids=(rating_selectors.rated_ticket_ids(query.rating)
                   if query.rating not in (RATING_ANY, RATING_NONE) else None),
        except_ids=rating_selectors.rated_ticket_ids() if query.rating == RATING_NONE else None,
    )
    return filters, unknown_account, unknown_tag


def queue(query: QueueQuery, *, viewer_id: int) -> Queue:
    """A page of the queue for the staff member ``viewer_id``, with the counts its tabs show."""
    filters, unknown_account, unknown_tag = _queue_filters(query, viewer_id)
    # A search of words: its other ways of matching read once, for the counts and the page.
    others = selectors.staff_other_matches(filters) if selectors.ranks_search(filters.search) else None
    counts = selectors.queue_status_counts(filters, others=others)
    if query.status_tab == QUEUE_STATUS_ATTENTION and query.sort in ("due", "-due"):
        page = selectors.needs_attention_queue(filters, sort=query.sort, page=query.page,
                                               status_counts=counts)
    else:
        page = selectors.staff_queue(filters, sort=query.sort, page=query.page, status_counts=counts,
                                     ties=default_sort(query.status_tab), others=others)
    tab_counts = {
        **counts,
        QUEUE_STATUS_ATTENTION: sum(counts[s] for s in selectors.NEEDS_ATTENTION_STATUSES),
        QUEUE_STATUS_ACTIVE: sum(counts[s] for s in OPEN_STATUSES),
        QUEUE_STATUS_ALL: sum(counts.values()),
    }
    return Queue(page=page, tab_counts=tab_counts, unknown_account=unknown_account, unknown_tag=unknown_tag)


def queue_matches(query: QueueQuery, *, viewer_id: int, limit: int) -> tuple[list[int], int]:
    """The first ``limit`` ticket numbers the queue lists for ``query`` (all pages), and how many it lists."""
    filters, _unknown_account, _unknown_tag = _queue_filters(query, viewer_id)
    return selectors.staff_queue_ids(filters, sort=query.sort, limit=limit)


@dataclass(frozen=True)
class ThreadEntry:
    """One message of a ticket's thread as staff see it, with the mail that brought it."""

    message: Message
    # The incoming mail's record, when the message came by mail and it is kept.
    mail: InboundMail | None = None

    @property
    def by_email(self) -> bool:
        return self.message.channel == Channel.EMAIL


def ticket_thread(ticket: Ticket) -> list[ThreadEntry]:
    """Every message (internal notes too), each with its incoming mail. Three queries."""
    messages = selectors.staff_thread(ticket)
    mails = mail_selectors.inbound_for_messages(m.pk for m in messages if m.channel == Channel.EMAIL)
    return [ThreadEntry(message=m, mail=mails.get(m.pk)) for m in messages]
