"""Reading at /kb/: who sees which article, the home page's lists, languages, images and search."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.kb import selectors, services
from extdesk.kb.models import Article, State, Visibility
from extdesk.kb.selectors import Reader
from tests.helpdesk.factories import make_staff

from .factories import make_article, make_kb_category

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def articles(agent, kb_category):
    return {
        "public": make_article(agent, kb_category, "Mail settings", "Use **IMAP** on port 993.",
                               slug="mail-settings"),
        "customers": make_article(agent, kb_category, "Your backups", "Backups run nightly.", slug="backups",
                                  visibility=Visibility.CUSTOMERS),
        "draft": make_article(agent, kb_category, "Unfinished", "Not yet.", slug="unfinished",
                              published=False),
    }


def _status(client, slug):
    return client.get(reverse("kb:article", args=[slug])).status_code


def test_an_anonymous_visitor_reads_public_articles_only(client, articles):
    assert _status(client, "mail-settings") == 200
    response = client.get(reverse("kb:article", args=["backups"]))
    assert response.status_code == 403
    assert b"control panel" in response.content
    assert _status(client, "unfinished") == 404
    assert _status(client, "never-was") == 404


def test_a_signed_in_customer_reads_customers_only_articles_never_drafts(client, contact, articles):
    client.force_login(contact.user)
    assert _status(client, "mail-settings") == 200
    response = client.get(reverse("kb:article", args=["backups"]))
    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert contact.display_name.encode() in response.content  # the portal's header names them
    assert _status(client, "unfinished") == 404


def _header(response) -> str:
    assert response.status_code == 200
    return response.content.decode().split("</header>")[0]


PANEL = "https://panel.example.net/"


def test_an_anonymous_reader_is_offered_the_knowledge_base_and_the_control_panel_only(
        client, articles, settings):
    settings.EXTDESK_PLATFORM_URL = PANEL
    for address in (reverse("kb:home"), reverse("kb:article", args=["mail-settings"]),
                    reverse("kb:search") + "?q=mail"):
        header = _header(client.get(address))
        # The tickets would only refuse them (403): no link there, the brand's neither.
        assert f'href="{reverse("portal:tickets")}' not in header, address
        assert "My tickets" not in header and "New ticket" not in header and "Sign out" not in header
        assert f'<a class="brand" href="{reverse("kb:home")}">' in header
        assert f'href="{reverse("kb:home")}" aria-current="page">Knowledge base</a>' in header
        # Where they sign in: "Go to", not "Back to", for a visitor who did not come from there.
        assert f'<a class="platform-link" href="{PANEL}">Go to your control panel</a>' in header
        assert "Back to control panel" not in header


def test_an_anonymous_reader_without_a_control_panel_gets_the_knowledge_base_alone(
        client, articles, settings):
    settings.EXTDESK_PLATFORM_URL = ""
    header = _header(client.get(reverse("kb:home")))
    assert re.findall(r'<a [^>]*href="([^"]+)"', header.split('class="main-nav"')[1]) == [reverse("kb:home")]
    assert "control panel" not in header


def test_a_signed_in_reader_keeps_the_portals_navigation(client, contact, articles, settings):
    settings.EXTDESK_PLATFORM_URL = PANEL
    client.force_login(contact.user)
    header = _header(client.get(reverse("kb:article", args=["mail-settings"])))
    for link in (reverse("portal:tickets"), reverse("portal:new_ticket"), reverse("kb:home")):
        assert f'href="{link}"' in header
    assert f'<a class="brand" href="{reverse("portal:tickets")}">' in header
    assert "Sign out" in header
    assert f'<a class="platform-link" href="{PANEL}">Back to control panel</a>' in header


def test_staff_read_drafts_inside_the_desk_frame(client, agent, articles):
    client.force_login(agent)
    response = client.get(reverse("kb:article", args=["unfinished"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Staff desk" in html and "Draft" in html
    assert "Was this helpful?" not in html  # drafts take no votes


def test_the_article_page_renders_markdown_and_counts_views_but_not_staffs(client, agent, articles):
    response = client.get(reverse("kb:article", args=["mail-settings"]))
    assert "Use <strong>IMAP</strong> on port 993." in response.content.decode()
    client.get(reverse("kb:article", args=["mail-settings"]))
    client.force_login(agent)
    client.get(reverse("kb:article", args=["mail-settings"]))
    assert Article.objects.get(slug="mail-settings").view_count == 2


def test_the_home_lists_what_the_reader_may_see(client, contact, articles, agent):
    services.count_view(articles["customers"])
    html = client.get(reverse("kb:home")).content.decode()
    assert "Mail settings" in html
    assert "Your backups" not in html and "Unfinished" not in html
    assert 'href="/kb/"' in html  # the portal's header links the KB
    client.force_login(contact.user)
    html = client.get(reverse("kb:home")).content.decode()
    assert html.index("Your backups") < html.index("Mail settings")  # most read first


def test_the_home_takes_a_constant_number_of_queries(client, agent, kb_category,
                                                     django_assert_max_num_queries):
    for n in range(30):
        make_article(agent, make_kb_category(f"Topic {n}") if n % 3 == 0 else kb_category)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("kb:home")).status_code == 200


def test_a_category_page_lists_its_visible_articles(client, articles, kb_category):
    html = client.get(reverse("kb:category", args=[kb_category.slug])).content.decode()
    assert "Mail settings" in html and "Use IMAP on port 993." in html
    assert "Your backups" not in html
    assert client.get(reverse("kb:category", args=["nope"])).status_code == 404


def test_the_readers_language_comes_first_english_is_the_fallback(client, agent, kb_category):
    make_article(agent, kb_category, "Mail settings", "English.", slug="mail-en")
    make_article(agent, kb_category, "E-Mail-Einstellungen", "Deutsch.", slug="mail-de", language="de")
    make_article(agent, kb_category, "Réglages", "Français.", slug="mail-fr", language="fr")
    html = client.get(reverse("kb:home"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert html.index("E-Mail-Einstellungen") < html.index("Mail settings")
    assert "Réglages" not in html
    html = client.get(reverse("kb:home"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Mail settings" in html and "E-Mail-Einstellungen" not in html
    html = client.get(reverse("kb:home") + "?lang=fr").content.decode()
    assert html.index("Réglages") < html.index("Mail settings")


# ---------------------------------------------------------------- images


def _image(agent, article, content=PNG, name="dns.png"):
    return services.add_image(article, SimpleUploadedFile(name, content, "image/png"), by=agent)


def test_images_are_served_to_who_may_read_their_article(client, contact, agent, articles):
    public, customers, draft = (_image(agent, articles[key]) for key in ("public", "customers", "draft"))

    def status(image):
        return client.get(reverse("kb:image", args=[image.pk, image.original_name])).status_code

    assert (status(public), status(customers), status(draft)) == (200, 404, 404)
    response = client.get(reverse("kb:image", args=[public.pk, "dns.png"]))
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    client.force_login(contact.user)
    assert (status(public), status(customers), status(draft)) == (200, 200, 404)
    client.force_login(agent)
    assert (status(public), status(customers), status(draft)) == (200, 200, 200)


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"<svg onload='alert(1)'/>", "x.svg", "not a PNG"),
    (b"<html><script>", "x.png", "not a PNG"),
    (b"", "empty.png", "is empty"),
])
def test_only_real_images_are_stored(agent, articles, content, name, words):
    with pytest.raises(InvalidInput) as refused:
        _image(agent, articles["public"], content, name)
    assert words in refused.value.message_dict["image"][0]
    assert not articles["public"].images.exists()


def test_an_image_over_the_attachment_limit_is_refused(agent, articles, settings):
    settings.EXTDESK_ATTACHMENT_MAX_BYTES = 20
    with pytest.raises(InvalidInput) as refused:
        _image(agent, articles["public"])
    assert "the limit is 20 bytes" in refused.value.message_dict["image"][0]


# ---------------------------------------------------------------- search


def test_search_finds_published_articles_ranked_with_a_snippet(client, agent, kb_category):
    make_article(agent, kb_category, "FTP access", "Connect with an FTP client to ftp.example.com.")
    make_article(agent, kb_category, "Backups", "Nightly backups; restore over FTP if you like.")
    make_article(agent, kb_category, "FTP draft", "FTP FTP FTP", published=False)
    response = client.get(reverse("kb:search"), {"q": "ftp"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "FTP draft" not in html
    assert html.index("FTP access") < html.index("Backups")  # the title weighs more
    assert "<mark>FTP</mark>" in html


def test_search_keeps_the_best_matches_their_language_first_each_with_its_snippet(agent, kb_category):
    # More matches than one search shows: the kept ones must be the best ranked, not any. The word
    # in the title ranks an article above the same text without it, on both databases.
    body = "Set the nameserver records. " + " ".join(["zone"] * 40)
    for language in ("en", "de"):
        for number in range(30):
            title = f"{'Nameserver' if number < 10 else 'Domain'} {language} {number:02}"
            make_article(agent, kb_category, title, body, language=language)
    make_article(agent, kb_category, "Nameserver fr", body, language="fr")
    hits = selectors.search(Reader(language="de"), selectors.text_query("nameserver"))
    titles = [hit.article.title for hit in hits]
    assert len(titles) == selectors.SEARCH_LIMIT
    assert set(titles[:10]) == {f"Nameserver de {number:02}" for number in range(10)}
    assert set(titles[10:30]) == {f"Domain de {number:02}" for number in range(10, 30)}
    assert set(titles[30:40]) == {f"Nameserver en {number:02}" for number in range(10)}
    assert all(title.startswith("Domain en ") for title in titles[40:])
    assert all("<mark>nameserver</mark>" in hit.snippet.lower() for hit in hits)


def test_search_follows_an_articles_state_visibility_and_language_as_they_change(agent, kb_category, contact):
    article = make_article(agent, kb_category, "Webmail login", "Open webmail.example.com.")
    query = selectors.text_query("webmail")

    def found(reader):
        return [hit.article.pk for hit in selectors.search(reader, query)] == [article.pk]

    assert found(Reader())
    services.update_article(article, by=agent, title=article.title, body=article.body,
                            category=kb_category.pk, slug=article.slug, visibility=Visibility.CUSTOMERS,
                            language="en")
    assert not found(Reader()) and found(Reader(contact=contact))
    services.update_article(article, by=agent, title=article.title, body=article.body,
                            category=kb_category.pk, slug=article.slug, visibility=Visibility.CUSTOMERS,
                            language="nl")
    assert not found(Reader(contact=contact)) and found(Reader(contact=contact, language="nl"))
    services.set_state(article, State.DRAFT)
    assert not found(Reader(contact=contact, language="nl"))


def test_search_ignores_accents_both_ways(agent, kb_category):
    make_article(agent, kb_category, "Réglages du courriel", "Paramètres de messagerie électronique.",
                 language="fr")
    reader = Reader(language="fr")
    for text in ("reglages", "Réglages", "parametres", "ELECTRONIQUE"):
        hits = selectors.search(reader, selectors.text_query(text))
        assert [hit.article.title for hit in hits] == ["Réglages du courriel"], text


def test_search_shows_the_reader_only_what_they_may_read(agent, kb_category, contact):
    make_article(agent, kb_category, "Restore backups", "How to restore.", visibility=Visibility.CUSTOMERS)
    make_article(agent, kb_category, "Restore mail", "How to restore mail.")
    query = selectors.text_query("restore")
    assert [h.article.title for h in selectors.search(Reader(), query)] == ["Restore mail"]
    assert len(selectors.search(Reader(contact=contact), query)) == 2


def test_search_terms_phrases_and_exclusions_follow_ticket_search(agent, kb_category):
    make_article(agent, kb_category, "SSL certificates", "Let's Encrypt renews them.")
    make_article(agent, kb_category, "SSL on mail", "Use port 993 for IMAP over SSL.")
    reader = Reader()

    def titles(text):
        return sorted(hit.article.title for hit in selectors.search(reader, selectors.text_query(text)))

    assert titles("ssl -imap") == ["SSL certificates"]
    assert titles('"port 993"') == ["SSL on mail"]
    assert titles("encrypt or imap") == ["SSL certificates", "SSL on mail"]


def test_search_escapes_what_it_shows(client, agent, kb_category):
    make_article(agent, kb_category, "Tags", "Write <script>alert(1)</script> nowhere; script tags are text.")
    html = client.get(reverse("kb:search"), {"q": "script"}).content.decode()
    assert "<script>alert" not in html
    assert "&lt;" in html and "<mark>" in html


def test_the_index_follows_edits_title_changes_and_unpublishing(agent, kb_category):
    article = make_article(agent, kb_category, "Domains", "Point the nameservers at us.")
    reader = Reader()
    assert selectors.search(reader, selectors.text_query("nameservers"))
    services.update_article(article, by=agent, title="Domains", slug=article.slug, category=kb_category.pk,
                            body="Set an A record.", visibility="public", language="en")
    assert not selectors.search(reader, selectors.text_query("nameservers"))
    assert selectors.search(reader, selectors.text_query("record"))
    services.set_state(article, State.DRAFT)
    assert not selectors.search(reader, selectors.text_query("record"))


def test_a_search_without_words_asks_nothing(client, articles):
    response = client.get(reverse("kb:search"), {"q": "  -- "})
    assert response.status_code == 200
    assert b"found for" not in response.content and b"No article matches" not in response.content


def test_staff_without_desk_rights_read_as_the_public(client, articles):
    outsider = make_staff("former", password=None, is_active=False)
    client.force_login(outsider)
    assert _status(client, "unfinished") == 404


@pytest.mark.parametrize("text", ["NEAR(mail dns)", "title:mail", '"unclosed', "mail*", "(((", "ümlaut",
                                  "'; DROP TABLE kb_article; --", "a AND OR NOT b"])
def test_any_text_is_a_search_not_a_syntax_error(client, articles, text):
    assert client.get(reverse("kb:search"), {"q": text}).status_code == 200
    assert Article.objects.count() == 3


def test_an_image_whose_file_is_gone_is_a_404(client, agent, articles):
    image = _image(agent, articles["public"])
    image.file.storage.delete(image.file.name)
    assert client.get(reverse("kb:image", args=[image.pk, image.original_name])).status_code == 404


def test_the_readers_language_from_the_request(rf):
    request = rf.get("/kb/?lang=xx", HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.9,en;q=0.5")
    assert selectors.request_language(request) == "nl"  # an unknown ?lang= is ignored
    request.LANGUAGE_CODE = "ru"
    assert selectors.request_language(request) == "ru"
    assert selectors.request_language(rf.get("/kb/")) == "en"


def test_an_overlong_search_is_refused_in_words(client, articles):
    response = client.get(reverse("kb:search"), {"q": "mail " * 100})
    assert response.status_code == 400
    assert "Keep the search to 200 characters." in response.content.decode()
