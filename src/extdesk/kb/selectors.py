"""Reads of the knowledge base: what a reader may see, the lists, search, and the desk's views."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation.trans_real import parse_accept_lang_header

from extdesk.contacts.models import Contact
from extdesk.search import snippets
from extdesk.search.schema import MARK_END, MARK_START, PG_CONFIG
from extdesk.search.terms import TextQuery, fts5_expression, parse, websearch_text

from . import index_schema
from .models import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Article,
    ArticleImage,
    ArticleRevision,
    Category,
    State,
    Visibility,
)

LANGUAGE_CODES = tuple(code for code, _ in LANGUAGES)
# Lists on the home page, and the most results one search shows.
HOME_LIST_LENGTH = 5
SEARCH_LIMIT = 50
_HEADLINE = (f'StartSel="{MARK_START}", StopSel="{MARK_END}", MaxWords=30, MinWords=12, '
             'ShortWord=1, MaxFragments=1, FragmentDelimiter=" … "')
_EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Reader:
    """Who reads: a signed-in contact, a desk user, or neither; and the language they read first."""

    contact: Contact | None = None
    staff: bool = False
    language: str = DEFAULT_LANGUAGE

    @property
    def signed_in(self) -> bool:
        return self.staff or self.contact is not None

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages listed to this reader: theirs, then English."""
        return tuple(dict.fromkeys([self.language, DEFAULT_LANGUAGE]))

    @property
    def visibilities(self) -> tuple[str, ...]:
        return (Visibility.PUBLIC, Visibility.CUSTOMERS) if self.signed_in else (Visibility.PUBLIC,)


def request_language(request: HttpRequest) -> str:
    """The reader's language among the portal's: ``?lang=``, then the request's, then Accept-Language."""
    chosen = request.GET.get("lang", "")
    if chosen in LANGUAGE_CODES:
        return chosen
    candidates = [getattr(request, "LANGUAGE_CODE", "")]
    candidates += [code for code, _ in parse_accept_lang_header(request.headers.get("Accept-Language", ""))]
    for candidate in candidates:
        primary = (candidate or "").split("-")[0].lower()
        if primary in LANGUAGE_CODES:
            return primary
    return DEFAULT_LANGUAGE


# ---------------------------------------------------------------- reading


def _listed(reader: Reader) -> QuerySet[Article]:
    """Published articles the reader may see, in their languages."""
    return Article.objects.filter(state=State.PUBLISHED, visibility__in=reader.visibilities,
                                  language__in=reader.languages)


def _own_language_first(reader: Reader) -> Case:
    """An ordering by language: the reader's before English."""
    return Case(When(language=reader.language, then=Value(0)), default=Value(1), output_field=IntegerField())


def article_for_reader(reader: Reader, slug: str) -> Article | None:
    """The article at ``slug`` if the reader may read it: published and visible; staff read drafts too."""
    article = Article.objects.select_related("category").filter(slug=slug).first()
    if article is None or not may_read(reader, article):
        return None
    return article


def may_read(reader: Reader, article: Article) -> bool:
    if reader.staff:
        return True
    return article.state == State.PUBLISHED and article.visibility in reader.visibilities


def home_lists(reader: Reader) -> dict[str, object]:
    """The KB home: categories with how many articles each has for this reader, the most read and the
    newest articles. Three queries however many articles there are."""
    listed = _listed(reader)
    # Count("*"), not of a column: PostgreSQL then answers from the kb_article_listed index alone.
    counts = dict(listed.order_by().values("category").annotate(n=Count("*")).values_list("category", "n"))
    categories = [(category, counts[category.pk]) for category in Category.objects.all()
                  if counts.get(category.pk)]
    # A reader of English alone needs no language ordering, and without it the indexes on (state,
    # language, views or publication) give the first five without sorting every listed article.
    first = [_own_language_first(reader)] if len(reader.languages) > 1 else []
    most_read = list(listed.order_by(*first, "-view_count", "-published_at", "id")[:HOME_LIST_LENGTH])
    newest = list(listed.order_by(*first, "-published_at", "-id")[:HOME_LIST_LENGTH])
    return {"categories": categories, "most_read": most_read, "newest": newest}


def category_articles(reader: Reader, category: Category) -> list[Article]:
    articles = _listed(reader).filter(category=category)
    return list(articles.order_by(_own_language_first(reader), "title", "id"))


def category_by_slug(slug: str) -> Category | None:
    return Category.objects.filter(slug=slug).first()


def excerpt(article: Article) -> str:
    text = article.plain_body
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: SafeString | str


def text_query(text: str) -> TextQuery | None:
    return parse(text)


def search(reader: Reader, query: TextQuery) -> list[Hit]:
    """The published articles the reader may see that match, best first (their language before
    English), at most SEARCH_LIMIT, each with the passage that matched. One query, then the rows.

    The query ranks in two steps, for a word that is in nearly every article: every match is
    ranked from the index and who may read it alone (PostgreSQL keeps that beside each document,
    SQLite reads it from ``kb_article_search_filter``), and only the SEARCH_LIMIT kept are joined
    to their articles for the snippet.
    """
    filters = ("{t}.state = %s AND {t}.visibility IN ({v}) AND {t}.language IN ({l})"
               .format(t="{t}", v=", ".join(["%s"] * len(reader.visibilities)),
                       l=", ".join(["%s"] * len(reader.languages))))
    filter_params = [State.PUBLISHED, *reader.visibilities, *reader.languages]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH q AS (SELECT websearch_to_tsquery('{PG_CONFIG}', %s) AS query), "
                f"top AS MATERIALIZED ("
                f"SELECT d.article_id AS id, (d.language = %s) AS own, "
                f"ts_rank(d.document, q.query, 1) AS score "
                f"FROM {index_schema.PG_TABLE} d, q "
                f"WHERE d.document @@ q.query AND {filters.format(t='d')} "
                f"ORDER BY own DESC, score DESC, d.article_id LIMIT {SEARCH_LIMIT}) "
                f"SELECT top.id, ts_headline('{PG_CONFIG}', extdesk_search_text(a.plain_body), q.query, %s) "
                f"FROM top JOIN kb_article a ON a.id = top.id, q "
                f"ORDER BY top.own DESC, top.score DESC, top.id",
                [websearch_text(query), reader.language, *filter_params, _HEADLINE])
            rows = [(pk, snippets.from_postgresql(headline)) for pk, headline in cursor.fetchall()]
        else:
            table = index_schema.FTS_TABLE
            expression = fts5_expression(query)
            # MATERIALIZED keeps the ranking a step of its own, so snippet() runs for the kept rows
            # only; INDEXED BY, because the planner would otherwise read each article's row.
            cursor.execute(
                f"WITH top AS MATERIALIZED ("
                f"SELECT a.id AS id, (a.language = %s) AS own, bm25({table}, 4.0, 1.0) AS score "
                f"FROM {table} JOIN kb_article a INDEXED BY kb_article_search_filter ON a.id = {table}.rowid "
                f"WHERE {table} MATCH %s AND {filters.format(t='a')} "
                f"ORDER BY own DESC, score, a.id LIMIT {SEARCH_LIMIT}) "
                f"SELECT top.id, snippet({table}, 1, '{MARK_START}', '{MARK_END}', '…', 24) "
                f"FROM top JOIN {table} ON {table}.rowid = top.id WHERE {table} MATCH %s "
                f"ORDER BY top.own DESC, top.score, top.id",
                [reader.language, expression, *filter_params, expression])
            rows = cursor.fetchall()
    articles = Article.objects.select_related("category").in_bulk([pk for pk, _ in rows])
    hits = []
    for pk, raw in rows:
        article = articles[pk]
        shown: SafeString | str = snippets.render(raw) if snippets.has_match(raw) else excerpt(article)
        hits.append(Hit(article, shown))
    return hits


def vote_counts(article: Article) -> dict[str, int]:
    """How many readers found the article helpful (``yes``) and not (``no``)."""
    return article.votes.aggregate(yes=Count("id", filter=Q(helpful=True)),
                                   no=Count("id", filter=Q(helpful=False)))


def image_for_reader(reader: Reader, pk: int) -> ArticleImage | None:
    image = ArticleImage.objects.select_related("article").filter(pk=pk).first()
    if image is None or not may_read(reader, image.article):
        return None
    return image


# ---------------------------------------------------------------- the desk


def desk_articles(*, state: str = "", category: int | None = None, language: str = "",
                  text: str = "") -> QuerySet[Article]:
    """Every article for the desk's list, filtered, with its helpful / not helpful counts."""
    articles = (Article.objects.select_related("category", "author")
                .annotate(helpful_yes=Count("votes", filter=Q(votes__helpful=True)),
                          helpful_no=Count("votes", filter=Q(votes__helpful=False))))
    if state:
        articles = articles.filter(state=state)
    if category:
        articles = articles.filter(category_id=category)
    if language:
        articles = articles.filter(language=language)
    if text:
        articles = articles.filter(Q(title__icontains=text) | Q(slug__icontains=text))
    return articles.order_by("-updated_at", "-id")


def categories() -> QuerySet[Category]:
    return Category.objects.annotate(article_count=Count("articles"))


def revisions(article: Article) -> QuerySet[ArticleRevision]:
    return article.revisions.select_related("author").order_by("-number")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "context" or "hunk"
    text: str


def revision_diff(older: ArticleRevision, newer: ArticleRevision) -> list[DiffLine]:
    """A unified diff of two revisions' title and body, line by line (escaped by the template)."""
    def lines(revision: ArticleRevision) -> list[str]:
        return [f"# {revision.title}", "", *revision.body.splitlines()]

    found = []
    diff = difflib.unified_diff(lines(older), lines(newer), f"revision {older.number}",
                                f"revision {newer.number}", lineterm="", n=3)
    # The first two lines name the files; a removed line "-- x" must not be taken for one.
    for line in list(diff)[2:]:
        kind = {"@": "hunk", "+": "added", "-": "removed"}.get(line[:1], "context")
        found.append(DiffLine(kind, line))
    return found
