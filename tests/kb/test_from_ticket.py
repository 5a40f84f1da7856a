"""From a ticket to an article and back: a public staff reply prefills the KB editor, and the reply box's
picker inserts a published article's title and address. Desk users only."""

from __future__ import annotations

import html as html_text
import re

import pytest
from django.urls import reverse

from extdesk.helpdesk import services as helpdesk_services
from extdesk.kb.models import Article
from tests.helpdesk.factories import make_ticket

from .factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(contact):
    return make_ticket(contact, subject="Mail <b>settings</b> for Outlook", body="My phone is 555-0100.")


@pytest.fixture
def staff_reply(ticket, agent):
    return helpdesk_services.reply(ticket, author=agent, body="Use IMAP on port 993 & <script>x</script>.")


def textarea(response) -> str:
    """The reply box's text, as a browser shows it (escaped in the page: unescaped here)."""
    found = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S)
    assert found, "no reply box"
    return html_text.unescape(found.group(1)).removeprefix("\n")


def _editor(client, message_id):
    return client.get(reverse("kb_desk:create"), {"from_message": message_id})


def test_a_public_staff_reply_prefills_the_editor_escaped(client, agent, kb_category, staff_reply):
    client.force_login(agent)
    response = _editor(client, staff_reply.pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Mail &lt;b&gt;settings&lt;/b&gt; for Outlook"' in html
    assert "Use IMAP on port 993 &amp; &lt;script&gt;x&lt;/script&gt;." in html
    assert "<script>x</script>" not in html
    assert "555-0100" not in html  # the customer's own message is not carried over
    assert not Article.objects.exists()  # nothing saved, let alone published


@pytest.mark.parametrize("which", ["customer", "internal", "unknown", "junk"])
def test_other_messages_are_refused_and_the_editor_starts_empty(client, agent, kb_category, ticket, which):
    client.force_login(agent)
    message_id = {
        "customer": lambda: ticket.messages.get().pk,
        "internal": lambda: helpdesk_services.reply(ticket, author=agent, body="Secret note",
                                                    internal=True).pk,
        "unknown": lambda: 999999,
        "junk": lambda: "1 or 1=1",
    }[which]()
    html = _editor(client, message_id).content.decode()
    assert "is not a public staff reply" in html
    assert "555-0100" not in html and "Secret note" not in html and "Mail &lt;b&gt;" not in html


def test_customers_and_strangers_are_sent_to_the_desks_sign_in(client, contact, kb_category, staff_reply):
    for signed_in in (None, contact.user):
        if signed_in:
            client.force_login(signed_in)
        response = _editor(client, staff_reply.pk)
        assert response.status_code == 302 and "/desk/login/" in response["Location"]


def test_the_ticket_page_links_public_staff_replies_only(client, agent, ticket, staff_reply):
    helpdesk_services.reply(ticket, author=agent, body="Secret note", internal=True)
    client.force_login(agent)
    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    link = f'{reverse("kb_desk:create")}?from_message='
    assert html.count("Start an article from this reply") == 1
    assert f"{link}{staff_reply.pk}" in html


# ---------------------------------------------------------------- the link picker


@pytest.fixture
def articles(agent, kb_category):
    return {
        "dns": make_article(agent, kb_category, "DNS records <explained>", slug="dns-records"),
        "mail": make_article(agent, kb_category, "Mail settings", slug="mail-settings",
                             visibility="customers"),
        "draft": make_article(agent, kb_category, "DNS draft", slug="dns-draft", published=False),
    }


def test_the_search_endpoint_lists_published_articles_by_title_with_their_address(client, agent, articles):
    client.force_login(agent)
    found = client.get(reverse("kb_desk:links"), {"q": "  dns  "}).json()["articles"]
    assert [article["title"] for article in found] == ["DNS records <explained>"]  # JSON escapes on use
    assert found[0]["text"] == "DNS records <explained>: http://testserver/kb/dns-records/"
    everything = client.get(reverse("kb_desk:links")).json()["articles"]
    assert [article["title"] for article in everything] == ["DNS records <explained>", "Mail settings"]
    assert everything[1]["visibility"] == "Signed-in customers only"
    assert client.get(reverse("kb_desk:links"), {"q": "x" * 5000}).json() == {"articles": []}


def test_the_picker_works_without_javascript(client, agent, ticket, articles):
    client.force_login(agent)
    url = reverse("kb_desk:link_insert", args=[ticket.pk])
    html = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert f'formaction="{url}#reply"' in html and "<option" not in html.split('name="kb_article"')[1][:200]
    response = client.post(url, {"kb_action": "find", "kb_q": "dns", "body": "Hello,"})
    html = response.content.decode()
    assert "DNS records &lt;explained&gt; (en)</option>" in html and "DNS draft" not in html
    assert textarea(response) == "Hello,"
    response = client.post(url, {"kb_action": "insert", "kb_q": "dns", "kb_article": articles["dns"].pk,
                                 "body": "Hello,\r\nsee "})
    assert response.status_code == 200
    assert textarea(response) == "Hello,\r\nsee\n\nDNS records <explained>: http://testserver/kb/dns-records/"
    assert "DNS records &lt;explained&gt;: http" in response.content.decode()
    assert not ticket.messages.filter(author_user=agent).exists()  # nothing is sent


def test_a_draft_or_unknown_article_is_not_inserted(client, agent, ticket, articles):
    client.force_login(agent)
    url = reverse("kb_desk:link_insert", args=[ticket.pk])
    for chosen in (articles["draft"].pk, 999999, "junk"):
        response = client.post(url, {"kb_action": "insert", "kb_article": chosen, "body": "Hi"})
        assert "Choose one of the published articles" in response.content.decode()
        assert textarea(response) == "Hi"


def test_the_picker_refuses_customers_and_strangers(client, contact, ticket, articles):
    for signed_in in (None, contact.user):
        if signed_in:
            client.force_login(signed_in)
        for response in (client.get(reverse("kb_desk:links")),
                         client.post(reverse("kb_desk:link_insert", args=[ticket.pk]),
                                     {"kb_action": "insert", "kb_article": articles["dns"].pk})):
            assert response.status_code == 302 and "/desk/login/" in response["Location"]


@pytest.mark.slow
def test_the_picker_inserts_at_the_cursor_in_a_browser(server):
    """The script: typing lists the articles from the JSON search, "Insert link" puts the link at
    the cursor without drawing the page again."""
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
    from tests.e2e.test_desk_browser import PASSWORD, run_cli

    run_cli(server, "createstaff", "linker", "--name", "Lee Linker", "--password-stdin",
            stdin=f"{PASSWORD}\n")
    code = (
        "from django.contrib.auth.models import User\n"
        "from django.utils import timezone\n"
        "from extdesk.contacts.models import Contact\n"
        "from extdesk.helpdesk import services\n"
        "from extdesk.kb import services as kb\n"
        "now = timezone.now()\n"
        "c = Contact.objects.create(platform_id=9901, email='ann@example.com', first_name='Ann',"
        " last_name='Lee', created_at=now, updated_at=now)\n"
        "category = kb.create_category('Mail')\n"
        "article = kb.create_article(by=User.objects.get(username='linker'), title='Mail settings',"
        " slug='mail-settings', body='Use IMAP.', category=category.pk)\n"
        "kb.set_state(article, 'published')\n"
        "print(services.create_ticket(contact=c, subject='Mail', body='Help').pk)\n"
    )
    number = int(run_cli(server, "manage", "shell", "--no-imports", "-c", code).split()[-1])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server.base_url}/desk/login/")
            page.get_by_label("User name").fill("linker")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{server.base_url}/desk/")
            page.goto(f"{server.base_url}/desk/tickets/{number}/")
            box = page.get_by_label("Message")
            box.fill("Hello, see  below.")
            box.evaluate("box => box.setSelectionRange(11, 11)")
            box.blur()
            page.get_by_label("Article links").fill("mail")
            expect(page.get_by_label("Article whose link to insert")).to_be_visible()
            page.get_by_role("button", name="Insert link").click()
            expect(box).to_have_value(f"Hello, see Mail settings: {server.base_url}/kb/mail-settings/ below.")
            assert page.url.endswith(f"/desk/tickets/{number}/")  # no page drawn again
        finally:
            browser.close()
