"""Writes of the knowledge base: categories, articles and their revisions, images, views and votes.

Every function validates what it is given and raises InvalidInput (naming the field) before it
changes anything.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from extdesk.contacts.models import Contact
from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.services import display_file_name, format_size
from extdesk.helpdesk.storage import attachment_upload_to

from . import rendering
from .models import (
    LANGUAGES,
    Article,
    ArticleImage,
    ArticleRevision,
    ArticleVote,
    Category,
    State,
    Visibility,
)
from .storage import image_storage

MAX_TITLE_LENGTH = 200
MAX_SLUG_LENGTH = 200
MAX_CATEGORY_NAME_LENGTH = 100
# Long enough for any how-to; bounds what one rendering costs.
MAX_BODY_LENGTH = 100_000
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The reading pages' own addresses under /kb/: an article there could never be reached.
RESERVED_ARTICLE_SLUGS = frozenset({"search", "category", "images"})
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Votes from one address in VOTE_WINDOW, at most: a reader votes on a few articles, a script on all.
VOTE_LIMIT = 30
VOTE_WINDOW = timedelta(hours=1)

# Images by their first bytes: what browsers show in an <img>, and never SVG (it can carry script).
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class VoteThrottled(Exception):
    """Too many votes from this address lately; nothing was recorded."""


# ---------------------------------------------------------------- validation


# A one-line field's refusals (empty, too long, control characters), whole sentences for each field:
# "the name" and "the title" take different words around them in other languages.
_LINE_PROBLEMS = {
    "name": (gettext_noop("Enter a name."),
             gettext_noop("Keep the name to %(limit)s characters (it has %(length)s)."),
             gettext_noop("The name contains control characters.")),
    "title": (gettext_noop("Enter a title."),
              gettext_noop("Keep the title to %(limit)s characters (it has %(length)s)."),
              gettext_noop("The title contains control characters.")),
}


def _clean_line(value: str, field: str, limit: int) -> str:
    empty, too_long, control = _LINE_PROBLEMS[field]
    value = " ".join((value or "").split())
    if not value:
        raise InvalidInput({field: _(empty)})
    if len(value) > limit:
        raise InvalidInput({field: _(too_long) % {"limit": limit, "length": len(value)}})
    if _CONTROL_CHARS.search(value):
        raise InvalidInput({field: _(control)})
    return value


def clean_slug(slug: str, *, fallback: str) -> str:
    """The slug as typed (lower-cased), or made from ``fallback`` when left empty."""
    slug = (slug or "").strip().lower()
    if not slug:
        slug = slugify(fallback)[:MAX_SLUG_LENGTH].strip("-")
        if not slug:
            raise InvalidInput({"slug": _(
                "Enter a slug: the title has no letters or digits to make one from.")})
    if len(slug) > MAX_SLUG_LENGTH:
        raise InvalidInput({"slug": _("Keep the slug to %(limit)s characters (it has %(length)s).") % {
            "limit": MAX_SLUG_LENGTH, "length": len(slug)}})
    if not _SLUG.match(slug):
        raise InvalidInput({"slug": _("A slug is lower-case letters, digits and single hyphens between them "
                                      "(like mail-settings).")})
    return slug


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY_LENGTH:
        raise InvalidInput({"body": _("Keep the article to %(limit)s characters (it has %(length)s).") % {
            "limit": MAX_BODY_LENGTH, "length": len(body)}})
    if "\x00" in body:
        raise InvalidInput({"body": _("The article contains a NUL character.")})
    return body


def _clean_choice(value: str, field: str, choices: list[tuple[str, str]] | list[str]) -> str:
    allowed = [choice[0] if isinstance(choice, tuple) else choice for choice in choices]
    if value not in allowed:
        raise InvalidInput({field: _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}})
    return value


def _category(category_id: object) -> Category:
    try:
        return Category.objects.get(pk=int(str(category_id)))
    except (ValueError, Category.DoesNotExist):
        raise InvalidInput({"category": _("Choose a category that exists.")}) from None


# ---------------------------------------------------------------- categories


def create_category(name: str, slug: str = "") -> Category:
    name = _clean_line(name, "name", MAX_CATEGORY_NAME_LENGTH)
    slug = clean_slug(slug, fallback=name)
    if Category.objects.filter(name__iexact=name).exists():
        raise InvalidInput({"name": _("There is a category called “%(name)s” already.") % {"name": name}})
    if Category.objects.filter(slug=slug).exists():
        raise InvalidInput({"slug": _("Another category has the slug “%(slug)s”.") % {"slug": slug}})
    position = (Category.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            return Category.objects.create(name=name, slug=slug, position=position)
    except IntegrityError:
        raise InvalidInput({"name": _("Another category took this name or slug just now.")}) from None


def rename_category(category: Category, name: str) -> Category:
    name = _clean_line(name, "name", MAX_CATEGORY_NAME_LENGTH)
    if Category.objects.filter(name__iexact=name).exclude(pk=category.pk).exists():
        raise InvalidInput({"name": _("There is a category called “%(name)s” already.") % {"name": name}})
    category.name = name
    category.save(update_fields=["name"])
    return category


def move_category(category: Category, direction: str) -> None:
    """Swap the category with its neighbour ``up`` or ``down``; the positions are renumbered 1..n."""
    direction = _clean_choice(direction, "direction", ["up", "down"])
    with transaction.atomic():
        ordered = list(Category.objects.select_for_update().order_by("position", "name", "id"))
        index = next(i for i, found in enumerate(ordered) if found.pk == category.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, found in enumerate(ordered, start=1):
            if found.position != position:
                found.position = position
                found.save(update_fields=["position"])


def delete_category(category: Category) -> None:
    if category.articles.exists():
        raise InvalidInput({"category": _("“%(name)s” still has articles: move them first.") % {
            "name": category.name}})
    category.delete()


# ---------------------------------------------------------------- articles


def _lock(article: Article) -> None:
    """Hold the article's row until the transaction ends: two saves at once number their revisions
    one after the other instead of colliding on a number."""
    list(Article.objects.select_for_update().filter(pk=article.pk).values_list("pk", flat=True))


def _add_revision(article: Article, by: User | None, note: str) -> ArticleRevision:
    number = (article.revisions.aggregate(last=Max("number"))["last"] or 0) + 1
    return ArticleRevision.objects.create(article=article, number=number, author=by,
                                          created_at=article.updated_at, title=article.title,
                                          body=article.body, note=note)


def _check_article_slug(slug: str, article: Article | None) -> None:
    if slug in RESERVED_ARTICLE_SLUGS:
        raise InvalidInput({"slug": _(
            "“%(slug)s” is the address of a knowledge-base page: choose another slug.") % {"slug": slug}})
    others = Article.objects.filter(slug=slug)
    if (others.exclude(pk=article.pk) if article else others).exists():
        raise InvalidInput({"slug": _("Another article has the slug “%(slug)s”.") % {"slug": slug}})


def create_article(*, by: User, title: str, body: str, category: object, slug: str = "",
                   visibility: str = Visibility.PUBLIC, language: str = "en") -> Article:
    """A new draft and its first revision."""
    title = _clean_line(title, "title", MAX_TITLE_LENGTH)
    slug = clean_slug(slug, fallback=title)
    found_category = _category(category)
    body = _clean_body(body)
    visibility = _clean_choice(visibility, "visibility", Visibility.values)
    language = _clean_choice(language, "language", LANGUAGES)
    _check_article_slug(slug, None)
    now = timezone.now()
    try:
        with transaction.atomic():
            article = Article.objects.create(
                title=title, slug=slug, category=found_category, body=body,
                plain_body=rendering.plain_text(body), visibility=visibility, language=language,
                author=by, created_at=now, updated_at=now)
            _add_revision(article, by, "created")
    except IntegrityError:
        raise InvalidInput({"slug": _("Another article took the slug “%(slug)s” just now.") % {
            "slug": slug}}) from None
    return article


def update_article(article: Article, *, by: User, title: str, body: str, category: object, slug: str,
                   visibility: str, language: str) -> Article:
    """Save the article's fields; a changed title or body is kept as a new revision."""
    title = _clean_line(title, "title", MAX_TITLE_LENGTH)
    slug = clean_slug(slug, fallback=title)
    found_category = _category(category)
    body = _clean_body(body)
    visibility = _clean_choice(visibility, "visibility", Visibility.values)
    language = _clean_choice(language, "language", LANGUAGES)
    _check_article_slug(slug, article)
    text_changed = (title, body) != (article.title, article.body)
    article.title, article.slug, article.category, article.body = title, slug, found_category, body
    article.plain_body = rendering.plain_text(body)
    article.visibility, article.language = visibility, language
    article.updated_at = timezone.now()
    try:
        with transaction.atomic():
            _lock(article)
            article.save()
            if text_changed:
                _add_revision(article, by, "edited")
    except IntegrityError:
        raise InvalidInput({"slug": _("Another article took the slug “%(slug)s” just now.") % {
            "slug": slug}}) from None
    return article


def restore_revision(article: Article, revision: ArticleRevision, *, by: User) -> ArticleRevision:
    """The revision's title and body made current again, as a new revision (history is never rewritten)."""
    if revision.article_id != article.pk:
        raise InvalidInput({"revision": _("That revision belongs to another article.")})
    with transaction.atomic():
        _lock(article)
        article.title, article.body = revision.title, revision.body
        article.plain_body = rendering.plain_text(revision.body)
        article.updated_at = timezone.now()
        article.save(update_fields=["title", "body", "plain_body", "updated_at"])
        return _add_revision(article, by, f"restored revision {revision.number}")


def set_state(article: Article, state: str) -> Article:
    """Publish or unpublish; the first publication dates the article for the "newest" list."""
    state = _clean_choice(state, "state", State.values)
    article.state = state
    if state == State.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.save(update_fields=["state", "published_at"])
    return article


def delete_article(article: Article) -> None:
    """The article, its revisions, votes and images gone; the images' files deleted after the rows."""
    names = list(article.images.values_list("file", flat=True))
    article.delete()
    storage = image_storage()
    for name in names:
        storage.delete(name)


def count_view(article: Article) -> None:
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


# ---------------------------------------------------------------- images


def _image_type(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def add_image(article: Article, upload: UploadedFile | None, *, by: User) -> ArticleImage:
    """Store an uploaded PNG, JPEG, GIF or WebP image for the article (the attachment size limit)."""
    if upload is None:
        raise InvalidInput({"image": _("Choose an image to upload.")})
    name = display_file_name(upload.name)
    size = upload.size or 0
    max_bytes = settings.EXTDESK_ATTACHMENT_MAX_BYTES
    if size == 0:
        raise InvalidInput({"image": _("%(name)s is empty.") % {"name": name}})
    if size > max_bytes:
        raise InvalidInput({"image": _("%(name)s is %(size)s; the limit is %(limit)s.") % {
            "name": name, "size": format_size(size), "limit": format_size(max_bytes)}})
    content_type = _image_type(upload)
    if content_type is None:
        raise InvalidInput({"image": _("%(name)s is not a PNG, JPEG, GIF or WebP image.") % {"name": name}})
    storage = image_storage()
    stored = storage.save(attachment_upload_to(None, name), upload)
    try:
        return ArticleImage.objects.create(article=article, file=stored, original_name=name,
                                           content_type=content_type, size=size, uploaded_by=by,
                                           created_at=timezone.now())
    except BaseException:
        storage.delete(stored)
        raise


# ---------------------------------------------------------------- votes


def vote(article: Article, *, helpful: bool, address: str, contact: Contact | None = None,
         visitor: str = "") -> ArticleVote:
    """Record the reader's answer, replacing their earlier one on this article.

    A signed-in contact votes as themself, anyone else by their visitor id (a random cookie).
    Raises VoteThrottled when the address voted VOTE_LIMIT times in VOTE_WINDOW.
    """
    if contact is None and not re.fullmatch(r"[0-9a-f]{32}", visitor or ""):
        raise InvalidInput({"visitor": _("The visitor id is missing or malformed.")})
    now = timezone.now()
    who = {"contact": contact} if contact is not None else {"visitor": visitor}
    with transaction.atomic():
        recent = ArticleVote.objects.filter(address=address, voted_at__gt=now - VOTE_WINDOW)
        existing = ArticleVote.objects.select_for_update().filter(article=article, **who).first()
        if existing is None and recent.count() >= VOTE_LIMIT:
            raise VoteThrottled
        if existing is not None:
            existing.helpful, existing.address, existing.voted_at = helpful, address, now
            existing.save(update_fields=["helpful", "address", "voted_at"])
            return existing
        try:
            with transaction.atomic():
                return ArticleVote.objects.create(article=article, helpful=helpful, address=address,
                                                  voted_at=now, **who)
        except IntegrityError:
            # The same reader's other click won the race: theirs is replaced by this one.
            ArticleVote.objects.filter(article=article, **who).update(helpful=helpful, address=address,
                                                                      voted_at=now)
            return ArticleVote.objects.get(article=article, **who)
