"""Writing articles and categories: validation, revisions, their diff and restoring one."""

from __future__ import annotations

import pytest

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.kb import selectors, services
from extdesk.kb.models import Article, ArticleRevision, Category, State

from .factories import make_article, make_kb_category

pytestmark = pytest.mark.django_db


def _fields(kb_category, **changes):
    fields = {"title": "Mail settings", "slug": "", "category": kb_category.pk, "body": "Use IMAP.",
              "visibility": "public", "language": "en"}
    return {**fields, **changes}


def test_a_new_article_is_a_draft_with_its_first_revision(agent, kb_category):
    article = services.create_article(by=agent, **_fields(kb_category))
    assert (article.slug, article.state, article.author, article.plain_body) == \
        ("mail-settings", State.DRAFT, agent, "Use IMAP.")
    [revision] = article.revisions.all()
    assert (revision.number, revision.title, revision.body, revision.author, revision.note) == \
        (1, "Mail settings", "Use IMAP.", agent, "created")


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"title": "   "}, "title", "Enter a title"),
    ({"title": "x" * 201}, "title", "200 characters"),
    ({"slug": "Has Spaces"}, "slug", "lower-case letters"),
    ({"slug": "a--b"}, "slug", "single hyphens"),
    ({"title": "!!!", "slug": ""}, "slug", "no letters or digits"),
    ({"slug": "search"}, "slug", "address of a knowledge-base page"),
    ({"title": "Search", "slug": ""}, "slug", "address of a knowledge-base page"),
    ({"category": 999999}, "category", "category that exists"),
    ({"category": "mail"}, "category", "category that exists"),
    ({"visibility": "everyone"}, "visibility", "public, customers"),
    ({"language": "xx"}, "language", "en, de, nl, fr, es, ru"),
    ({"body": "x" * 100_001}, "body", "100000 characters"),
    ({"body": "a\x00b"}, "body", "NUL"),
])
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(agent, kb_category, changes, field, words):
    with pytest.raises(InvalidInput) as refused:
        services.create_article(by=agent, **_fields(kb_category, **changes))
    assert words in " ".join(refused.value.message_dict[field])
    assert not Article.objects.exists()
    assert not ArticleRevision.objects.exists()


def test_a_duplicate_slug_is_refused_on_create_and_on_edit(agent, kb_category):
    first = services.create_article(by=agent, **_fields(kb_category, slug="mail"))
    with pytest.raises(InvalidInput) as refused:
        services.create_article(by=agent, **_fields(kb_category, slug="mail"))
    assert "slug “mail”" in refused.value.message_dict["slug"][0]
    other = services.create_article(by=agent, **_fields(kb_category, slug="other"))
    with pytest.raises(InvalidInput):
        services.update_article(other, by=agent, **_fields(kb_category, slug="mail"))
    other.refresh_from_db()
    assert other.slug == "other"
    assert first.revisions.count() == other.revisions.count() == 1


def test_an_edit_of_the_text_is_a_new_revision_a_change_of_its_setting_is_not(agent, kb_category):
    article = services.create_article(by=agent, **_fields(kb_category))
    services.update_article(article, by=agent, **_fields(kb_category, slug=article.slug, language="de"))
    assert article.revisions.count() == 1
    services.update_article(article, by=agent, **_fields(kb_category, slug=article.slug, body="Use POP3."))
    assert [r.body for r in article.revisions.all()] == ["Use POP3.", "Use IMAP."]
    assert [r.note for r in article.revisions.all()] == ["edited", "created"]


def test_the_diff_of_two_revisions_shows_what_changed_line_by_line(agent, kb_category):
    article = services.create_article(by=agent, **_fields(kb_category, body="one\ntwo\n-- three"))
    services.update_article(article, by=agent, **_fields(kb_category, slug=article.slug,
                                                         body="one\n2 <b>two</b>\n-- three"))
    older, newer = article.revisions.order_by("number")
    lines = [(line.kind, line.text) for line in selectors.revision_diff(older, newer)]
    assert ("removed", "-two") in lines
    assert ("added", "+2 <b>two</b>") in lines
    assert ("context", " -- three") in lines  # a line starting with dashes is content, not a header
    assert lines[0][0] == "hunk"


def test_restoring_a_revision_makes_it_current_as_a_new_revision(agent, kb_category):
    article = services.create_article(by=agent, **_fields(kb_category))
    services.update_article(article, by=agent, **_fields(kb_category, slug=article.slug, title="Mail (new)",
                                                         body="Use POP3."))
    first = article.revisions.get(number=1)
    restored = services.restore_revision(article, first, by=agent)
    article.refresh_from_db()
    assert (article.title, article.body, article.plain_body) == ("Mail settings", "Use IMAP.", "Use IMAP.")
    assert (restored.number, restored.note) == (3, "restored revision 1")
    assert article.revisions.count() == 3


def test_a_revision_of_another_article_cannot_be_restored(agent, kb_category):
    one = services.create_article(by=agent, **_fields(kb_category, slug="one"))
    two = services.create_article(by=agent, **_fields(kb_category, slug="two", body="Two."))
    with pytest.raises(InvalidInput):
        services.restore_revision(one, two.revisions.get(), by=agent)
    one.refresh_from_db()
    assert one.body == "Use IMAP."


def test_publishing_dates_the_article_once(agent, kb_category):
    article = make_article(agent, kb_category)
    published_at = article.published_at
    assert published_at is not None
    services.set_state(article, State.DRAFT)
    services.set_state(article, State.PUBLISHED)
    assert article.published_at == published_at
    with pytest.raises(InvalidInput):
        services.set_state(article, "archived")


def test_categories_are_added_renamed_reordered_and_deleted_when_empty(agent):
    dns, mail, ssl = (make_kb_category(name) for name in ("DNS", "Mail", "SSL"))
    assert dns.slug == "dns"
    with pytest.raises(InvalidInput) as refused:
        services.create_category("dns")
    assert "already" in refused.value.message_dict["name"][0]
    with pytest.raises(InvalidInput):
        services.create_category("  ")
    services.move_category(ssl, "up")
    assert list(Category.objects.values_list("name", flat=True)) == ["DNS", "SSL", "Mail"]
    services.move_category(dns, "up")  # already first: nothing moves
    assert list(Category.objects.values_list("name", flat=True)) == ["DNS", "SSL", "Mail"]
    services.rename_category(mail, "E-mail")
    with pytest.raises(InvalidInput):
        services.rename_category(mail, "ssl")
    make_article(agent, mail)
    with pytest.raises(InvalidInput) as refused:
        services.delete_category(mail)
    assert "still has articles" in refused.value.message_dict["category"][0]
    services.delete_category(dns)
    assert list(Category.objects.values_list("name", flat=True)) == ["SSL", "E-mail"]
