"""Deflection: the new-ticket form's suggestions (the JSON endpoint and who sees what), the openings
recorded from them, and the desk's count of openings followed by no ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from extdesk.helpdesk.models import Ticket
from extdesk.kb import deflection
from extdesk.kb.models import SuggestionOpened, Visibility
from tests.helpdesk.factories import make_contact, make_ticket

from .factories import make_article

pytestmark = pytest.mark.django_db

SUGGEST = reverse("kb:suggestions")


@pytest.fixture
def articles(agent, kb_category):
    return {
        "public": make_article(agent, kb_category, "Mail settings for phones", "Use IMAP on port 993.",
                               slug="mail-settings"),
        "customers": make_article(agent, kb_category, "Mail backups", "Your mailboxes are backed up nightly.",
                                  slug="mail-backups", visibility=Visibility.CUSTOMERS),
        "draft": make_article(agent, kb_category, "Mail outage", "Draft about mail.", slug="mail-outage",
                              published=False),
        "german": make_article(agent, kb_category, "Mail-Einstellungen", "Mail auf dem Telefon.",
                               slug="mail-de", language="de"),
    }


def _slugs(response) -> list[str]:
    assert response.status_code == 200
    return [item["url"].split("/")[2] for item in response.json()["articles"]]


def test_anonymous_visitors_get_public_articles_only(client, articles):
    response = client.get(SUGGEST, {"q": "mail on my phone"})
    assert _slugs(response) == ["mail-settings"]
    assert "no-store" in response["Cache-Control"]
    assert response.json()["articles"][0] == {
        "title": "Mail settings for phones", "category": "Mail",
        "url": "/kb/mail-settings/?from=new-ticket"}


def test_a_customer_gets_customers_only_articles_and_their_language_first_never_drafts(
        client, contact, articles):
    client.force_login(contact.user)
    assert set(_slugs(client.get(SUGGEST, {"q": "mail"}))) == {"mail-settings", "mail-backups"}
    german_first = _slugs(client.get(SUGGEST, {"q": "mail", "lang": "de"}))
    assert german_first[0] == "mail-de"
    assert "mail-outage" not in german_first


def test_short_or_wordless_subjects_return_nothing_and_overlong_ones_are_refused(client, articles):
    assert _slugs(client.get(SUGGEST, {"q": "ma"})) == []
    assert _slugs(client.get(SUGGEST, {"q": "?!  ..."})) == []
    response = client.get(SUGGEST, {"q": "mail " * 50})
    assert response.status_code == 400
    assert "200 characters" in response.json()["error"]
    assert client.post(SUGGEST, {"q": "mail"}).status_code == 405


def test_at_most_five_suggestions(client, agent, kb_category):
    for number in range(7):
        make_article(agent, kb_category, f"Webmail tip {number}", "Webmail.", slug=f"webmail-{number}")
    assert len(_slugs(client.get(SUGGEST, {"q": "webmail"}))) == deflection.SUGGESTION_LIMIT


def test_search_syntax_in_a_subject_is_just_words(client, articles):
    # A minus or a quote is not an exclusion or a phrase: a customer wrote a sentence.
    assert _slugs(client.get(SUGGEST, {"q": '-mail "phones'})) == ["mail-settings"]


def test_the_new_ticket_form_loads_the_local_script_and_a_plain_link(client, contact):
    client.force_login(contact.user)
    page = client.get(reverse("portal:new_ticket")).content.decode()
    assert '<script src="/static/kb/suggest.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/kb/kb.css">' in page  # what draws the suggestions
    assert f'data-url="{SUGGEST}"' in page
    assert "Search the knowledge base" in page
    assert "<script>" not in page  # nothing inline: the Content-Security-Policy would refuse it


def test_the_script_inserts_text_only():
    from pathlib import Path

    import extdesk.kb

    script = (Path(extdesk.kb.__file__).parent / "static" / "kb" / "suggest.js").read_text()
    assert "textContent" in script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_a_title_with_markup_comes_back_as_plain_json_text(client, agent, kb_category):
    make_article(agent, kb_category, "<img src=x onerror=alert(1)> mailbox", "Mailbox.", slug="hostile")
    response = client.get(SUGGEST, {"q": "mailbox"})
    assert response["Content-Type"] == "application/json"
    assert response.json()["articles"][0]["title"] == "<img src=x onerror=alert(1)> mailbox"


def _open(client, slug):
    response = client.get(reverse("kb:article", args=[slug]), {"from": "new-ticket"})
    assert response.status_code == 200


def test_opening_a_suggestion_is_recorded_once_per_customer_and_article(client, contact, articles):
    client.get(reverse("kb:article", args=["mail-settings"]))  # read without the marker: not counted
    assert not SuggestionOpened.objects.exists()
    client.force_login(contact.user)
    _open(client, "mail-settings")
    _open(client, "mail-settings")  # a reload
    _open(client, "mail-backups")
    assert sorted(SuggestionOpened.objects.values_list("article__slug", "contact")) == [
        ("mail-backups", contact.pk), ("mail-settings", contact.pk)]


def test_visitors_and_staff_opening_a_suggestion_are_not_counted(client, agent, articles):
    _open(client, "mail-settings")
    client.force_login(agent)
    _open(client, "mail-settings")
    assert not SuggestionOpened.objects.exists()


def _opened(article, contact, minutes_ago):
    return SuggestionOpened.objects.create(article=article, contact=contact,
                                           opened_at=timezone.now() - timedelta(minutes=minutes_ago))


def _filed(contact, minutes_ago):
    ticket = make_ticket(contact)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_the_summary_counts_filed_deflected_and_waiting_openings(articles):
    filer, reader, late_filer, newcomer = (make_contact(name) for name in ("filer", "reader", "late", "new"))
    _opened(articles["public"], filer, 120)
    _filed(filer, 100)  # within the hour after opening: not deflected
    _opened(articles["public"], reader, 120)  # no ticket at all: deflected
    _opened(articles["customers"], late_filer, 200)
    _filed(late_filer, 60)  # two hours later: a new question, the opening was deflected
    _filed(newcomer, 90)  # a ticket before the opening does not count
    _opened(articles["customers"], newcomer, 80)
    _opened(articles["public"], newcomer, 10)  # its hour still running: neither yet
    _opened(articles["public"], reader, 31 * 24 * 60)  # older than the report

    with CaptureQueriesContext(connection) as queries:
        found = deflection.summary()
        rows = {row.title: (row.opened, row.filed, row.deflected) for row in found.rows}
    assert len(queries) == 1
    assert rows == {"Mail settings for phones": (3, 1, 1), "Mail backups": (2, 0, 2)}
    assert (found.opened, found.filed, found.deflected, found.waiting) == (5, 1, 3, 1)


def test_the_desk_list_shows_the_figures_in_a_constant_number_of_queries(client, agent, articles):
    client.force_login(agent)
    customers = [make_contact(f"c{number}") for number in range(3)]
    _opened(articles["public"], customers[0], 90)
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("kb_desk:list")).content.decode()
    assert '<strong data-figure="opened">1</strong>' in page
    assert '<strong data-figure="deflected">1</strong>' in page
    for contact in customers[1:]:
        _opened(articles["customers"], contact, 90)
        _filed(contact, 80)
    with CaptureQueriesContext(connection) as more:
        page = client.get(reverse("kb_desk:list")).content.decode()
    assert len(more) == len(few)
    assert '<strong data-figure="opened">3</strong>' in page
    assert '<strong data-figure="filed">2</strong>' in page
    assert "Mail backups" in page
