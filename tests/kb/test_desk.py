"""The desk's knowledge-base pages: desk users manage articles; customers and strangers are refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from extdesk.kb import selectors, services
from extdesk.kb.models import Article, ArticleImage, Category, State
from extdesk.kb.selectors import Reader

from .factories import make_article

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def desk(client, agent):
    client.force_login(agent)
    return client


def _post_article(client, url, kb_category, **changes):
    data = {"title": "Mail settings", "slug": "", "category": kb_category.pk, "language": "en",
            "visibility": "public", "body": "Use **IMAP**."}
    return client.post(url, {**data, **changes})


def test_customers_and_strangers_are_sent_to_the_desks_sign_in(client, contact, agent, kb_category):
    article = make_article(agent, kb_category)
    urls = [reverse("kb_desk:list"), reverse("kb_desk:create"), reverse("kb_desk:categories"),
            reverse("kb_desk:edit", args=[article.pk]), reverse("kb_desk:revisions", args=[article.pk])]
    for signed_in in (None, contact.user):
        if signed_in:
            client.force_login(signed_in)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and "/desk/login/" in response["Location"], url
        response = client.post(reverse("kb_desk:state", args=[article.pk]), {"state": "draft"})
        assert response.status_code == 302 and "/desk/login/" in response["Location"]
    assert Article.objects.get().state == State.PUBLISHED


def test_the_list_filters_and_shows_views_and_helpful_counts(desk, agent, kb_category):
    article = make_article(agent, kb_category, "Mail settings")
    make_article(agent, kb_category, "Unfinished", published=False, language="de")
    services.vote(article, helpful=True, address="192.0.2.1", visitor="a" * 32)
    services.vote(article, helpful=False, address="192.0.2.1", visitor="b" * 32)
    services.vote(article, helpful=True, address="192.0.2.1", visitor="c" * 32)
    html = desk.get(reverse("kb_desk:list")).content.decode()
    assert "Mail settings" in html and "Unfinished" in html
    assert "👍 2" in html and "👎 1" in html
    assert 'aria-current="page">Knowledge base' in html  # the desk's navigation
    html = desk.get(reverse("kb_desk:list"), {"state": "draft"}).content.decode()
    assert "Unfinished" in html and "Mail settings" not in html
    html = desk.get(reverse("kb_desk:list"), {"language": "de", "category": kb_category.pk}).content.decode()
    assert "Unfinished" in html and "Mail settings" not in html


def test_create_preview_save_publish(desk, kb_category):
    url = reverse("kb_desk:create")
    assert desk.get(url).status_code == 200
    response = _post_article(desk, url, kb_category, preview="1", body="<script>x</script> **bold**")
    html = response.content.decode()
    assert response.status_code == 200 and not Article.objects.exists()
    assert "<strong>bold</strong>" in html and "&lt;script&gt;x&lt;/script&gt;" in html
    response = _post_article(desk, url, kb_category)
    article = Article.objects.get()
    assert response["Location"] == reverse("kb_desk:edit", args=[article.pk])
    assert article.state == State.DRAFT
    desk.post(reverse("kb_desk:state", args=[article.pk]), {"state": "published"})
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_validation_errors_come_back_next_to_their_fields(desk, agent, kb_category):
    make_article(agent, kb_category, "Taken", slug="taken")
    url = reverse("kb_desk:create")
    for changes, message in (({"title": ""}, "Enter a title."), ({"slug": "taken"}, "Another article has"),
                             ({"category": 999999}, "Choose a category that exists.")):
        response = _post_article(desk, url, kb_category, **changes)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert Article.objects.count() == 1


def test_edit_keeps_revisions_the_diff_escapes_and_restore_adds_one(desk, agent, kb_category):
    article = make_article(agent, kb_category, "Mail", "old line")
    _post_article(desk, reverse("kb_desk:edit", args=[article.pk]), kb_category, title="Mail",
                  slug=article.slug, body="new <script>alert(1)</script> line")
    html = desk.get(reverse("kb_desk:revision", args=[article.pk, 2])).content.decode()
    assert "kb-diff-removed\">-old line" in html
    assert "+new &lt;script&gt;alert(1)&lt;/script&gt; line" in html
    assert "<script>alert" not in html
    desk.post(reverse("kb_desk:restore", args=[article.pk, 1]))
    article.refresh_from_db()
    assert article.body == "old line"
    assert article.revisions.count() == 3
    html = desk.get(reverse("kb_desk:revisions", args=[article.pk])).content.decode()
    assert "restored revision 1" in html
    assert desk.get(reverse("kb_desk:revision", args=[article.pk, 9])).status_code == 404


def test_images_upload_from_the_editor(desk, agent, kb_category):
    article = make_article(agent, kb_category)
    url = reverse("kb_desk:image_upload", args=[article.pk])
    desk.post(url, {"image": SimpleUploadedFile("dns.png", PNG, "image/png")})
    image = ArticleImage.objects.get()
    page = desk.get(reverse("kb_desk:edit", args=[article.pk])).content.decode()
    assert f"![dns.png](/kb/images/{image.pk}/dns.png)" in page
    response = desk.post(url, {"image": SimpleUploadedFile("x.svg", b"<svg/>", "image/svg+xml")}, follow=True)
    assert "not a PNG, JPEG, GIF or WebP image" in response.content.decode()
    assert ArticleImage.objects.count() == 1


def test_categories_page_adds_renames_reorders(desk):
    url = reverse("kb_desk:categories")
    desk.post(url, {"name": "DNS"})
    desk.post(url, {"name": "Mail"})
    response = desk.post(url, {"name": "dns"})
    assert response.status_code == 400 and "already" in response.content.decode()
    mail = Category.objects.get(name="Mail")
    desk.post(reverse("kb_desk:category_change", args=[mail.pk]), {"action": "up"})
    assert list(Category.objects.values_list("name", flat=True)) == ["Mail", "DNS"]
    desk.post(reverse("kb_desk:category_change", args=[mail.pk]), {"action": "rename", "name": "E-mail"})
    assert Category.objects.filter(name="E-mail").exists()
    desk.post(reverse("kb_desk:category_change", args=[mail.pk]), {"action": "delete"})
    assert not Category.objects.filter(pk=mail.pk).exists()


def test_a_new_article_without_categories_asks_for_one_first(desk):
    response = desk.get(reverse("kb_desk:create"))
    assert response["Location"] == reverse("kb_desk:categories")


def test_deleting_an_article_asks_first_then_removes_it_its_images_and_its_index_entry(desk, agent,
                                                                                       kb_category):
    article = make_article(agent, kb_category, "Nameservers", "Point them at us.")
    image = services.add_image(article, SimpleUploadedFile("ns.png", PNG, "image/png"), by=agent)
    storage, name = image.file.storage, image.file.name
    url = reverse("kb_desk:delete", args=[article.pk])
    assert "1 revision" in desk.get(url).content.decode()
    assert Article.objects.exists()
    response = desk.post(url)
    assert response["Location"] == reverse("kb_desk:list")
    assert not Article.objects.exists() and not ArticleImage.objects.exists()
    assert not storage.exists(name)
    assert selectors.search(Reader(), selectors.text_query("nameservers")) == []
