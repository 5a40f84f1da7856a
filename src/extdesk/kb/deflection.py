"""Deflection: articles suggested while a customer writes a new ticket's subject, the openings of
those suggestions, and how many of them were followed by no ticket.

An opening counts as "filed" when the same contact filed a ticket within FILING_WINDOW after it,
and as "deflected" when that window has passed without one; both are read from the tickets when
the desk asks, so nothing has to be marked when a ticket is filed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.helpdesk.models import Ticket
from extdesk.search.terms import MAX_TERMS, Group, TextQuery

from . import selectors
from .models import Article, State, SuggestionOpened
from .selectors import Reader

# The most suggestions the form shows, and the shortest subject it looks up: two letters match
# almost every article, and each keystroke would cost a search.
SUGGESTION_LIMIT = 5
MIN_QUERY_CHARS = 3
# Words shorter than this ("on", "my") say nothing about the question.
_MIN_WORD_CHARS = 3
_WORD = re.compile(r"\w+")
# Marker on a suggestion's link: the article page records the opening when it carries it.
FROM_MARKER = "new-ticket"
FILING_WINDOW = timedelta(hours=1)
REPORT_DAYS = 30


def suggestion_query(subject: str) -> TextQuery | None:
    """A search for articles sharing any of the subject's words, or None for a subject too short.

    A subject is a sentence, not search syntax: every word is an alternative (ranking puts the
    articles matching the most and rarest words first), and quotes or minus signs mean nothing."""
    if len(subject.strip()) < MIN_QUERY_CHARS:
        return None
    words = [word for word in _WORD.findall(subject) if len(word) >= _MIN_WORD_CHARS]
    words = list(dict.fromkeys(word.lower() for word in words))[:MAX_TERMS]
    return TextQuery(tuple(Group((word,)) for word in words)) if words else None


@dataclass(frozen=True)
class Suggestion:
    title: str
    slug: str
    category: str


def suggestions(reader: Reader, subject: str) -> list[Suggestion]:
    """At most SUGGESTION_LIMIT published articles the reader may read that match the subject,
    their language first (the knowledge base's own search)."""
    query = suggestion_query(subject)
    if query is None:
        return []
    hits = selectors.search(reader, query)[:SUGGESTION_LIMIT]
    return [Suggestion(hit.article.title, hit.article.slug, hit.article.category.name) for hit in hits]


def record_opening(article: Article, contact: Contact) -> SuggestionOpened | None:
    """Record that ``contact`` opened ``article`` from the new-ticket form's suggestions.

    A reload, or opening the same suggestion again within the filing window, is the same
    reading: it is recorded once. Drafts are never suggested, so their openings are not counted."""
    if article.state != State.PUBLISHED:
        return None
    now = timezone.now()
    recent = SuggestionOpened.objects.filter(article=article, contact=contact,
                                             opened_at__gt=now - FILING_WINDOW)
    if recent.exists():
        return None
    return SuggestionOpened.objects.create(article=article, contact=contact, opened_at=now)


@dataclass(frozen=True)
class ArticleDeflection:
    article_id: int
    title: str
    opened: int
    filed: int
    deflected: int


@dataclass(frozen=True)
class DeflectionSummary:
    days: int
    rows: list[ArticleDeflection]

    @property
    def opened(self) -> int:
        return sum(row.opened for row in self.rows)

    @property
    def filed(self) -> int:
        return sum(row.filed for row in self.rows)

    @property
    def deflected(self) -> int:
        return sum(row.deflected for row in self.rows)

    @property
    def waiting(self) -> int:
        """Openings still within their filing window: neither filed nor deflected yet."""
        return self.opened - self.filed - self.deflected


def summary(days: int = REPORT_DAYS) -> DeflectionSummary:
    """The last ``days`` days' openings per article, most opened first: one query."""
    now = timezone.now()
    window_end = ExpressionWrapper(OuterRef("opened_at") + FILING_WINDOW, output_field=DateTimeField())
    filed_after = Ticket.objects.filter(contact=OuterRef("contact"), created_at__gte=OuterRef("opened_at"),
                                        created_at__lt=window_end)
    rows = (SuggestionOpened.objects.filter(opened_at__gte=now - timedelta(days=days))
            .annotate(filed_after=Exists(filed_after))
            .values("article", "article__title")
            .annotate(opened=Count("id"), filed=Count("id", filter=Q(filed_after=True)),
                      deflected=Count("id", filter=Q(filed_after=False, opened_at__lte=now - FILING_WINDOW)))
            .order_by("-opened", "article__title", "article"))
    return DeflectionSummary(days, [
        ArticleDeflection(row["article"], row["article__title"], row["opened"], row["filed"],
                          row["deflected"])
        for row in rows
    ])
