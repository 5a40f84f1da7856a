"""Knowledge-base articles for tests, written through the real services."""

from __future__ import annotations

import itertools

from extdesk.kb import services
from extdesk.kb.models import Article, Category, State

_numbers = itertools.count(1)


def make_kb_category(name: str = "Mail") -> Category:
    return services.create_category(name)


def make_article(author, category: Category, title: str | None = None, body: str = "Some text.", *,
                 published: bool = True, **fields) -> Article:
    article = services.create_article(by=author, title=title or f"Article {next(_numbers)}", body=body,
                                      category=category.pk, **fields)
    if published:
        services.set_state(article, State.PUBLISHED)
    return article
