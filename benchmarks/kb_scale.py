"""``python -m benchmarks.kb_scale``: the knowledge base's reading pages at scale.

Seeds ``--articles`` articles (default 20,000) in bulk, says how long the seeding took, then
requests through Django's full request handling, as an anonymous visitor:

- the KB home (``/kb/``: categories with their counts, the most read, the newest);
- a search for a rare word (in exactly 3 articles) and for the most common one (in most);

each ``--runs`` times, and prints per page the median and fastest wall time, the median CPU time
of this process and the queries of one request.

The data: 12 categories; articles whose Markdown bodies (a heading, paragraphs, a list) have
100 to 300 words drawn from the 5,000 made-up words of benchmarks.queue_scale by a Zipf law;
titles of 3 to 7 words; 70 % in English and the rest in the portal's other languages; a tenth
visible to signed-in customers only and a tenth drafts; views spread over a long tail.

Runs on SQLite in a throwaway data directory, or on the PostgreSQL database ``--database-url``
names (its ``public`` schema is dropped and re-created: give it a database of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import timedelta

from .queue_scale import (
    RARE_WORD,
    _Loader,
    _model_rows,
    _words,
    gather_statistics,
    measure_page,
    reset_postgres,
)

CATEGORIES = 12
RARE_COUNT = 3
OTHER_LANGUAGES = ["de", "nl", "fr", "es", "ru"]


def _body(rng: random.Random, words: list[str], weights: list[float], rare: bool) -> str:
    """A Markdown body of 100 to 300 words: a heading, paragraphs and a short list."""
    drawn = rng.choices(words, cum_weights=weights, k=rng.randint(100, 300))
    if rare:
        drawn[rng.randrange(len(drawn))] = RARE_WORD
    heading, rest = drawn[:3], drawn[3:]
    items, prose = rest[:9], rest[9:]
    paragraphs = [" ".join(prose[at:at + 60]).capitalize() + "." for at in range(0, len(prose), 60)]
    listed = [f"- **{' '.join(items[at:at + 3])}**" for at in range(0, len(items), 3)]
    return "\n\n".join([f"## {' '.join(heading).capitalize()}", *paragraphs, "\n".join(listed)])


def seed(articles: int, rng: random.Random) -> dict[str, float]:
    """The data described above; the seconds each part took."""
    from django.db import transaction
    from django.utils import timezone

    from extdesk.kb import rendering
    from extdesk.kb.models import Article, Category, State, Visibility

    words, weights = _words(random.Random(13))
    timings: dict[str, float] = {}
    loader = _Loader()
    now = timezone.now()
    rare = set(rng.sample(range(articles), RARE_COUNT))

    def article_rows() -> Iterable[dict[str, object]]:
        for number in range(articles):
            body = _body(rng, words, weights, number in rare)
            created = now - timedelta(days=rng.uniform(0, 3 * 365))
            draft = rng.random() < 0.1
            yield {
                "title": " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(3, 7))).capitalize(),
                "slug": f"article-{number + 1}", "category_id": first_category + number % CATEGORIES,
                "body": body, "plain_body": rendering.plain_text(body),
                "state": State.DRAFT if draft else State.PUBLISHED,
                "visibility": Visibility.CUSTOMERS if rng.random() < 0.1 else Visibility.PUBLIC,
                "language": "en" if rng.random() < 0.7 else rng.choice(OTHER_LANGUAGES),
                "author_id": None, "created_at": created, "updated_at": created,
                "published_at": None if draft else created,
                "view_count": int(rng.paretovariate(1.2) * 10),
            }

    began = time.perf_counter()
    with transaction.atomic():
        Category.objects.bulk_create(Category(name=f"Category {n + 1}", slug=f"category-{n + 1}", position=n)
                                     for n in range(CATEGORIES))
        first_category = Category.objects.order_by("pk").values_list("pk", flat=True).first()
        timings["categories"] = time.perf_counter() - began
        began = time.perf_counter()
        columns, rows = _model_rows(Article, article_rows())
        loader.load(Article._meta.db_table, columns, rows)
        timings["articles (and their index, by the triggers)"] = time.perf_counter() - began
    gather_statistics(timings)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kb_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL database to use (its schema is reset)")
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20, help="requests per page (median)")
    args = parser.parse_args(argv)
    if args.articles < 100:
        parser.error("needs at least 100 articles")
    if args.database_url:
        reset_postgres(args.database_url)
        os.environ["EXTDESK_DATABASE_URL"] = args.database_url
    os.environ.update(
        EXTDESK_DATA_DIR=tempfile.mkdtemp(prefix="kb-scale-"),
        EXTDESK_SECRET="benchmark-secret-0123456789",
        DJANGO_SETTINGS_MODULE="extdesk.conf.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    timings = seed(args.articles, random.Random(13))
    seeded = time.perf_counter() - began
    reader = Client(HTTP_HOST="127.0.0.1")
    words, _weights = _words(random.Random(13))
    pages = {
        "KB home (/kb/)": "/kb/",
        f"search, rare word ({RARE_COUNT} articles)": f"/kb/search/?q={RARE_WORD}",
        "search, the most common word": f"/kb/search/?q={words[0]}",
    }
    result = {name: measure_page(path, reader, args.runs) for name, path in pages.items()}
    print(json.dumps({"database": "postgresql" if args.database_url else "sqlite", "articles": args.articles,
                      "seeding_s": round(seeded, 1),
                      "seeding_parts_s": {k: round(v, 1) for k, v in timings.items()}, **result}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
