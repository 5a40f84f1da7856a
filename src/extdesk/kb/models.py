"""Knowledge-base articles, their categories, revisions, images and readers' votes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .storage import image_storage

# The portal's languages; an article is written in one of them.
LANGUAGES = [
    ("en", "English"), ("de", "Deutsch"), ("nl", "Nederlands"), ("fr", "Français"),
    ("es", "Español"), ("ru", "Русский"),
]
DEFAULT_LANGUAGE = "en"


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    CUSTOMERS = "customers", _("Signed-in customers only")


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Categories are listed by position, then name.
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    body = models.TextField(blank=True, default="")
    # The body's words without Markdown: what search indexes and listings excerpt.
    plain_body = models.TextField(blank=True, default="", editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    language = models.CharField(max_length=5, choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="kb_articles")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Set at the first publication; the "newest" list orders by it.
    published_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["state", "language", "-view_count"], name="kb_article_most_read"),
            models.Index(fields=["state", "language", "-published_at"], name="kb_article_newest"),
            # The KB home's count per category reads this index alone, never the articles' bodies.
            models.Index(fields=["state", "language", "visibility", "category"], name="kb_article_listed"),
            # Search ranks every match of a word; this index answers "may the reader see it" for
            # each by its id, never reading the article's row and its bodies.
            models.Index(fields=["id", "state", "visibility", "language"], name="kb_article_search_filter"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleRevision(models.Model):
    """The article's title and body as one save left them."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    created_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    # What the save was: "created", "edited" or "restored revision 3".
    note = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_number")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class ArticleImage(models.Model):
    """An image uploaded for an article; served only to who may read the article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(storage=image_storage, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class ArticleVote(models.Model):
    """One reader's answer to "Was this helpful?": a signed-in contact's, or an anonymous visitor's
    (known by a random id in a cookie)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+")
    visitor = models.CharField(max_length=64, blank=True, default="")
    helpful = models.BooleanField()
    # Where the latest vote came from, for the per-address throttle.
    address = models.CharField(max_length=64)
    voted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "contact"], condition=Q(contact__isnull=False),
                                    name="kb_vote_per_contact"),
            models.UniqueConstraint(fields=["article", "visitor"], condition=~Q(visitor=""),
                                    name="kb_vote_per_visitor"),
            models.CheckConstraint(condition=Q(contact__isnull=False) | ~Q(visitor=""),
                                   name="kb_vote_has_voter"),
        ]
        indexes = [models.Index(fields=["address", "voted_at"], name="kb_vote_address")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class SuggestionOpened(models.Model):
    """A signed-in customer opened an article the new-ticket form suggested. Whether they filed a
    ticket afterwards is read from their tickets, not stored, so it cannot drift."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestion_openings")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["opened_at"], name="kb_suggestion_opened_at"),
                   models.Index(fields=["contact", "article", "opened_at"], name="kb_suggestion_contact")]

    def __str__(self) -> str:
        return f"{self.article_id} opened by {self.contact_id}"
