"""The page language: the browser's Accept-Language, the header's switcher that sticks, and the
language a signed-in contact's mail is written in (Contact.language)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from extdesk.contacts.models import Contact
from tests.helpdesk.factories import make_contact, make_staff

pytestmark = pytest.mark.django_db

# One sentence of the welcome page, as each catalogue has it.
CUSTOMERS = {"en": "Customers", "de": "Kunden", "nl": "Klanten", "fr": "Clients", "es": "Clientes",
             "ru": "Клиентам"}


@pytest.mark.parametrize("language", sorted(CUSTOMERS))
def test_the_browser_language_is_the_page_language(client, language):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h2>{CUSTOMERS[language]}</h2>" in html


def test_an_unoffered_language_falls_back_to_english(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="en">' in html
    assert "<h2>Customers</h2>" in html


def test_the_switcher_is_on_the_page_with_every_language(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f'action="{reverse("language")}"' in html
    assert '<input type="hidden" name="next" value="/">' in html
    for code, _name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in html
    # Each language in its own name.
    for name in ("English", "Deutsch", "Nederlands", "Français", "Español", "Русский"):
        assert f">{name}</option>" in html
    assert '<option value="de" lang="de" selected>Deutsch</option>' in html


def test_the_switcher_sticks_over_the_browser_language(client):
    answer = client.post(reverse("language"), {"language": "fr", "next": "/kb/?q=dns"})
    assert answer.status_code == 302
    assert answer["Location"] == "/kb/?q=dns"
    cookie = answer.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="fr">' in html and "<h2>Clients</h2>" in html


def test_the_switcher_stores_a_signed_in_contacts_language(client):
    contact = make_contact("acme")
    client.force_login(contact.user)
    assert client.post(reverse("language"), {"language": "ru", "next": "/tickets/"}).status_code == 302
    contact.refresh_from_db()
    assert contact.language == "ru"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http://testserver/tickets/",
    "javascript:alert(1)", "tickets/", "/tickets/\r\nSet-Cookie: x=1",
])
def test_the_switcher_never_sends_the_browser_elsewhere(client, target):
    contact = make_contact("acme")
    client.force_login(contact.user)
    answer = client.post(reverse("language"), {"language": "de", "next": target})
    assert answer.status_code == 400
    assert "Location" not in answer
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    contact.refresh_from_db()
    assert contact.language == ""


def test_an_unoffered_language_is_refused_and_changes_nothing(client):
    contact = make_contact("acme")
    client.force_login(contact.user)
    answer = client.post(reverse("language"), {"language": "xx", "next": "/"}, HTTP_ACCEPT_LANGUAGE="de")
    assert answer.status_code == 400
    assert "Die Sprache wurde nicht geändert" in answer.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    contact.refresh_from_db()
    assert contact.language == ""


def test_the_switcher_takes_posts_only(client):
    assert client.get(reverse("language"), {"language": "de", "next": "/"}).status_code == 405


def test_a_portal_page_records_the_language_it_was_read_in_once(client):
    contact = make_contact("acme")
    client.force_login(contact.user)
    client.get(reverse("portal:tickets"), HTTP_ACCEPT_LANGUAGE="nl")
    contact.refresh_from_db()
    assert contact.language == "nl"
    # The same language again: nothing written.
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("portal:tickets"), HTTP_ACCEPT_LANGUAGE="nl")
    table = Contact._meta.db_table
    assert [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and table in q["sql"]] == []
    client.get(reverse("kb:home"), HTTP_ACCEPT_LANGUAGE="es")
    contact.refresh_from_db()
    assert contact.language == "es"


def test_reading_in_the_default_language_keeps_an_empty_one_empty(client):
    contact = make_contact("acme")
    client.force_login(contact.user)
    client.get(reverse("portal:tickets"), HTTP_ACCEPT_LANGUAGE="en")
    contact.refresh_from_db()
    assert contact.language == ""


def test_staff_pages_record_nothing(client):
    staff = make_staff(password=None)
    client.force_login(staff)
    assert client.get(reverse("desk:queue"), HTTP_ACCEPT_LANGUAGE="de").status_code == 200
    assert not Contact.objects.exclude(language="").exists()
