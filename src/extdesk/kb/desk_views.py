"""Managing the knowledge base in the desk at /desk/kb/: articles, their revisions, images, categories."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from extdesk.desk.access import StaffRequest, staff_required
from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.security.limits import accepts_uploads
from extdesk.web.forms import apply_errors

from . import from_ticket, rendering, selectors, services
from .forms import ArticleForm, CategoryForm, DeskFilterForm, ImageForm
from .models import Article, ArticleRevision, Category, State

PAGE_SIZE = 50


def _article_or_404(pk: int) -> Article:
    return get_object_or_404(Article.objects.select_related("category"), pk=pk)


@never_cache
@staff_required
@require_GET
def article_list(request: StaffRequest) -> HttpResponse:
    filters = DeskFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    category = chosen.get("category")
    articles = selectors.desk_articles(state=chosen.get("state") or "",
                                       category=category.pk if category else None,
                                       language=chosen.get("language") or "", text=chosen.get("q") or "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "kb/desk/list.html", {
        "filters": filters, "page": Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(), "has_categories": Category.objects.exists(),
    })


def _editor(request: StaffRequest, form: ArticleForm, article: Article | None, preview: object = None,
            status: int = 200) -> HttpResponse:
    return render(request, "kb/desk/edit.html", {
        "form": form, "article": article, "preview": preview,
        "images": list(article.images.all()) if article else [], "image_form": ImageForm(),
    }, status=400 if form.errors else status)


def _save(request: StaffRequest, form: ArticleForm, article: Article | None) -> HttpResponse:
    """Preview or save the posted article; the editor again with the problems on a refusal."""
    if "preview" in request.POST:
        form.is_valid()
        form.errors.clear()  # a preview judges nothing: the Markdown is shown as it would read
        preview = rendering.render_markdown(request.POST.get("body", ""))
        return _editor(request, form, article, preview=preview)
    fields = {name: request.POST.get(name, "") for name in
              ("title", "slug", "category", "language", "visibility", "body")}
    try:
        if article is None:
            article = services.create_article(by=request.user, **fields)
            messages.success(request, _("Saved “%(title)s” as a draft.") % {"title": article.title})
        else:
            article = services.update_article(article, by=request.user, **fields)
            messages.success(request, _("Saved “%(title)s”.") % {"title": article.title})
    except InvalidInput as error:
        form.is_valid()
        form.errors.clear()
        apply_errors(form, error)
        return _editor(request, form, article)
    return redirect("kb_desk:edit", pk=article.pk)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def article_create(request: StaffRequest) -> HttpResponse:
    if not Category.objects.exists():
        messages.warning(request, _("Add a category first: every article is in one."))
        return redirect("kb_desk:categories")
    if request.method == "POST":
        return _save(request, ArticleForm(request.POST), None)
    initial = {"language": "en"}
    from_message = request.GET.get("from_message")
    if from_message is not None:
        prefill = from_ticket.article_prefill(from_message)
        if prefill is None:
            messages.error(request, _("“%(message)s” is not a public staff reply: the article starts empty.")
                           % {"message": from_message[:20]})
        else:
            initial.update(prefill)
            messages.info(request, _("The reply's text is filled in: edit it for every reader, "
                                     "then save a draft."))
    return _editor(request, ArticleForm(initial=initial), None)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request: StaffRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    if request.method == "POST":
        return _save(request, ArticleForm(request.POST), article)
    return _editor(request, ArticleForm(initial={
        "title": article.title, "slug": article.slug, "category": article.category_id,
        "language": article.language, "visibility": article.visibility, "body": article.body,
    }), article)


@staff_required
@require_POST
def article_state(request: StaffRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    try:
        services.set_state(article, request.POST.get("state", ""))
    except InvalidInput as error:
        messages.error(request, " ".join(error.messages))
    else:
        shown = {"title": article.title}
        messages.success(request, (_("“%(title)s” is published.") if article.state == State.PUBLISHED
                                   else _("“%(title)s” is a draft.")) % shown)
    return redirect("kb_desk:edit", pk=article.pk)


@accepts_uploads
@staff_required
@require_POST
def image_upload(request: StaffRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    try:
        image = services.add_image(article, request.FILES.get("image"), by=request.user)
    except InvalidInput as error:
        messages.error(request, " ".join(error.messages))
    else:
        url = reverse("kb:image", args=[image.pk, image.original_name])
        messages.success(request, _("Uploaded %(name)s. Put it in the article with ![description](%(url)s)")
                         % {"name": image.original_name, "url": url})
    return redirect("kb_desk:edit", pk=article.pk)


@never_cache
@staff_required
@require_GET
def revision_list(request: StaffRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    return render(request, "kb/desk/revisions.html",
                 {"article": article, "revisions": selectors.revisions(article)})


def _revision_or_404(article: Article, number: int) -> ArticleRevision:
    found = article.revisions.select_related("author").filter(number=number).first()
    if found is None:
        raise Http404("No such revision.")
    return found


@never_cache
@staff_required
@require_GET
def revision_diff(request: StaffRequest, pk: int, number: int) -> HttpResponse:
    """Revision ``number`` against the one before it (or ``?against=`` another)."""
    article = _article_or_404(pk)
    newer = _revision_or_404(article, number)
    against = request.GET.get("against", "")
    older_number = int(against) if against.isdigit() else number - 1
    older = article.revisions.filter(number=older_number).first()
    return render(request, "kb/desk/revision.html", {
        "article": article, "revision": newer, "older": older,
        "lines": selectors.revision_diff(older, newer) if older else [],
        "is_current": (newer.title, newer.body) == (article.title, article.body),
    })


@staff_required
@require_POST
def revision_restore(request: StaffRequest, pk: int, number: int) -> HttpResponse:
    article = _article_or_404(pk)
    revision = _revision_or_404(article, number)
    restored = services.restore_revision(article, revision, by=request.user)
    messages.success(request, _("Restored revision %(old)s as revision %(new)s.")
                     % {"old": revision.number, "new": restored.number})
    return redirect("kb_desk:revisions", pk=article.pk)


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def category_list(request: StaffRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_category(form.cleaned_data["name"], form.cleaned_data["slug"])
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Added the category “%(name)s”.") % {"name": created.name})
            return redirect("kb_desk:categories")
    return render(request, "kb/desk/categories.html", {"form": form, "categories": selectors.categories()},
                 status=400 if form.errors else 200)


@staff_required
@require_POST
def category_change(request: StaffRequest, pk: int) -> HttpResponse:
    """Rename, move up or down, or delete (when empty) a category."""
    category = get_object_or_404(Category, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "rename":
            services.rename_category(category, request.POST.get("name", ""))
            messages.success(request, _("Renamed the category to “%(name)s”.") % {"name": category.name})
        elif action in ("up", "down"):
            services.move_category(category, action)
        elif action == "delete":
            name = category.name
            services.delete_category(category)
            messages.success(request, _("Deleted the category “%(name)s”.") % {"name": name})
        else:
            raise InvalidInput({"action": _("Choose rename, up, down or delete.")})
    except InvalidInput as error:
        messages.error(request, " ".join(error.messages))
    return redirect("kb_desk:categories")


@never_cache
@staff_required
@require_http_methods(["GET", "POST"])
def article_delete(request: StaffRequest, pk: int) -> HttpResponse:
    """A confirmation page, then the article is gone for good (unpublishing keeps it)."""
    article = _article_or_404(pk)
    if request.method == "POST":
        title = article.title
        services.delete_article(article)
        messages.success(request, _("Deleted “%(title)s”.") % {"title": title})
        return redirect("kb_desk:list")
    return render(request, "kb/desk/delete.html", {
        "article": article, "revision_count": article.revisions.count(),
        "image_count": article.images.count(),
    })
