"""Reading the knowledge base at /kb/: home, categories, articles, search, votes and images.

Public articles need no session; customers-only ones a signed-in customer or a desk user;
drafts are found by desk users only (everyone else gets a 404, as for a slug that never was).
"""

from __future__ import annotations

import re
import secrets
from typing import cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from extdesk.portal.access import ContactRequest
from extdesk.web.addresses import request_address

from . import deflection, rendering, selectors, services
from .access import base_template, reader_of
from .forms import SearchForm, VoteForm
from .models import Article, ArticleVote, State, Visibility
from .selectors import Reader

VISITOR_COOKIE = "extdesk_kb_visitor"
# A year: the visitor's votes stay theirs to change.
VISITOR_COOKIE_AGE = 365 * 24 * 3600
_VISITOR_ID = re.compile(r"[0-9a-f]{32}")


def _render(request: HttpRequest, reader: Reader, template: str, context: dict[str, object],
            status: int = 200) -> HttpResponse:
    if reader.contact is not None:
        # The portal's header names the signed-in customer from the request, as its own pages set it.
        cast(ContactRequest, request).contact = reader.contact
    frame: dict[str, object] = {"base_template": base_template(reader), "reader": reader,
                                "search": context.get("search") or SearchForm()}
    response = render(request, template, {**context, **frame}, status=status)
    if reader.signed_in:
        # Pages for a signed-in reader may show what the public may not: no shared cache keeps them.
        response["Cache-Control"] = "private, no-store"
    return response


def _sign_in_page(request: HttpRequest, reader: Reader) -> HttpResponse:
    return _render(request, reader, "extdesk/error.html", {
        "title": _("Please sign in through your control panel"),
        "message": _("This article is for signed-in customers. Open the helpdesk from your hosting "
                     "control panel, then follow the link again."),
    }, status=403)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    reader = reader_of(request)
    return _render(request, reader, "kb/home.html", selectors.home_lists(reader))


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    reader = reader_of(request)
    found = selectors.category_by_slug(slug)
    if found is None:
        raise Http404("No such category.")
    articles = selectors.category_articles(reader, found)
    return _render(request, reader, "kb/category.html", {
        "category": found, "rows": [(article, selectors.excerpt(article)) for article in articles],
    })


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    reader = reader_of(request)
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    query = selectors.text_query(text)
    hits = selectors.search(reader, query) if query is not None else []
    return _render(request, reader, "kb/search.html", {
        "search": form, "text": text, "hits": hits, "asked": query is not None,
        "limit": selectors.SEARCH_LIMIT,
    }, status=200 if form.is_valid() else 400)


@never_cache
@require_GET
def suggestions(request: HttpRequest) -> JsonResponse:
    """The new-ticket form's suggestions for the subject typed so far, as JSON (see kb/suggest.js).

    Only what this reader may read; never cached, as a signed-in customer's differ from the public's."""
    reader = reader_of(request)
    form = SearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": _("The subject to look up is longer than 200 characters.")}, status=400)
    found = deflection.suggestions(reader, form.cleaned_data["q"])
    marker = f"?from={deflection.FROM_MARKER}"
    return JsonResponse({"articles": [
        {"title": item.title, "category": item.category,
         "url": reverse("kb:article", args=[item.slug]) + marker} for item in found
    ]})


def _own_vote(request: HttpRequest, reader: Reader, article: Article) -> ArticleVote | None:
    if reader.contact is not None:
        return ArticleVote.objects.filter(article=article, contact=reader.contact).first()
    visitor = request.COOKIES.get(VISITOR_COOKIE, "")
    return ArticleVote.objects.filter(article=article, visitor=visitor).first() if visitor else None


def _readable(request: HttpRequest, reader: Reader, slug: str) -> Article | HttpResponse:
    article = selectors.article_for_reader(reader, slug)
    if article is not None:
        return article
    if Article.objects.filter(slug=slug, state=State.PUBLISHED, visibility=Visibility.CUSTOMERS).exists():
        return _sign_in_page(request, reader)
    raise Http404("No such article.")


@never_cache
@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    reader = reader_of(request)
    found = _readable(request, reader, slug)
    if isinstance(found, HttpResponse):
        return found
    if reader.staff:
        # Staff see the readers' answers instead of answering: their own clicks would skew them.
        extra: dict[str, object] = {"votes": selectors.vote_counts(found)}
    else:
        services.count_view(found)
        if reader.contact is not None and request.GET.get("from") == deflection.FROM_MARKER:
            deflection.record_opening(found, reader.contact)
        extra = {"vote": _own_vote(request, reader, found), "vote_form": VoteForm()}
    return _render(request, reader, "kb/article.html", {
        "article": found, "body": rendering.render_markdown(found.body), **extra,
    })


@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    reader = reader_of(request)
    found = _readable(request, reader, slug)
    if isinstance(found, HttpResponse):
        return found
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _render(request, reader, "extdesk/error.html", {
            "title": _("Answer Yes or No"), "message": _("The vote must be Yes or No."),
        }, status=400)
    if found.state != State.PUBLISHED or reader.staff:
        return redirect("kb:article", slug=found.slug)
    visitor = request.COOKIES.get(VISITOR_COOKIE, "")
    if reader.contact is None and not _VISITOR_ID.fullmatch(visitor):
        # No cookie yet, or one not made here: this visitor gets a new id.
        visitor = secrets.token_hex(16)
    try:
        services.vote(found, helpful=form.cleaned_data["helpful"] == "yes",
                      address=request_address(request.META), contact=reader.contact,
                      visitor="" if reader.contact else visitor)
    except services.VoteThrottled:
        return _render(request, reader, "extdesk/error.html", {
            "title": _("Too many votes"),
            "message": _("This address has voted many times in the last hour. Please try again later."),
        }, status=429)
    response = redirect(reverse("kb:article", args=[found.slug]) + "#helpful")
    if reader.contact is None:
        response.set_cookie(VISITOR_COOKIE, visitor, max_age=VISITOR_COOKIE_AGE, httponly=True,
                            samesite="Lax", secure=request.is_secure())
    return response


@require_GET
def image(request: HttpRequest, pk: int, name: str) -> HttpResponseBase:
    reader = reader_of(request)
    found = selectors.image_for_reader(reader, pk)
    if found is None:
        raise Http404("No such image.")
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        # The row outlived its file (a restore without kb-images/): answered like a missing image.
        raise Http404("No such image.") from None
    response = FileResponse(handle, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    public = found.article.state == State.PUBLISHED and found.article.visibility == Visibility.PUBLIC
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
