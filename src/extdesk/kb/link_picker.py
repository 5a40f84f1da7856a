"""Inserting an article's link into a desk reply: the picker beside the reply box.

What the picker lists and inserts; the views are kb.link_views. The ticket page reads nothing
for the picker until the agent searches, so its number of queries stays the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from .models import Article, State

PICKER_SIZE = 20
MAX_SEARCH_LENGTH = 100


@dataclass(frozen=True)
class LinkPicker:
    """What the picker shows: the search as typed, and the articles found (None before a search)."""

    search: str
    found: list[Article] | None
    chosen: str


def article_url(article: Article) -> str:
    """The article's absolute address, as a customer reading the mail follows it."""
    return settings.EXTDESK_BASE_URL + reverse("kb:article", args=[article.slug])


def link_text(article: Article) -> str:
    return f"{article.title}: {article_url(article)}"


def clean_search(raw: object) -> str:
    return " ".join(str(raw or "")[:MAX_SEARCH_LENGTH].split())


def published_articles(search: str) -> QuerySet[Article]:
    """Published articles whose title contains ``search``, by title: drafts have no address to give."""
    articles = (Article.objects.filter(state=State.PUBLISHED)
                .only("pk", "title", "slug", "language", "visibility"))
    if search:
        articles = articles.filter(title__icontains=search)
    return articles.order_by("title", "pk")


def picker(request: HttpRequest) -> LinkPicker:
    """The picker for the ticket page; only a posted search (``kb_q``) reads articles."""
    posted = request.POST if request.method == "POST" else {}
    search = clean_search(posted.get("kb_q"))
    found = list(published_articles(search)[:PICKER_SIZE]) if "kb_action" in posted else None
    return LinkPicker(search=search, found=found, chosen=str(posted.get("kb_article", "")))


def chosen_article(raw: str) -> Article | None:
    if not raw.isdigit():
        return None
    return Article.objects.filter(pk=int(raw), state=State.PUBLISHED).first()
