"""Error pages in the site's layout, with the way on (issue 15): Django's test client, real database."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError
from django.test import Client, RequestFactory
from django.urls import reverse

from extdesk.kb import services as kb_services
from extdesk.security.views import server_error
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.kb.factories import make_article, make_kb_category

pytestmark = pytest.mark.django_db

PANEL = "https://panel.example.net/"


@pytest.fixture
def panel(settings):
    settings.EXTDESK_PLATFORM_URL = PANEL
    return PANEL


def _page(response) -> str:
    return response.content.decode()


def _in_layout(page: str) -> bool:
    return 'class="site-header"' in page and 'class="site-footer"' in page and "error-page" in page


def _ways(page: str) -> list[str]:
    """The links the error card offers as the way on."""
    found = re.search(r'<p class="error-ways">(.*?)</p>', page, re.S)
    return re.findall(r'href="([^"]+)"', found.group(1)) if found else []


def test_unknown_address_is_a_404_in_the_layout_with_the_control_panel(client, panel):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = _page(response)
    assert _in_layout(page) and "Page not found" in page
    assert _ways(page) == [PANEL]
    assert "no-store" in response["Cache-Control"]


def test_without_a_control_panel_an_anonymous_visitor_gets_no_links(client, settings):
    settings.EXTDESK_PLATFORM_URL = ""
    page = _page(client.get("/no-such-page/"))
    assert _in_layout(page) and _ways(page) == []
    assert "Back to control panel" not in page


def test_another_customers_ticket_is_a_plain_404_with_my_tickets(client, panel):
    owner = make_contact("acme")
    secret = make_ticket(owner, subject="Database password for acme", body="hunter2")
    other = make_contact("globex")
    client.force_login(other.user)

    response = client.get(reverse("portal:ticket", args=[secret.pk]))

    assert response.status_code == 404
    page = _page(response)
    assert _in_layout(page)
    assert _ways(page) == [reverse("portal:tickets"), PANEL]
    for leak in ("Database password", "hunter2", "acme", owner.email):
        assert leak not in page


def test_a_missing_desk_ticket_offers_the_desk_to_staff(client, settings):
    settings.EXTDESK_PLATFORM_URL = ""
    client.force_login(make_staff("agent", password=None))
    response = client.get(reverse("desk:ticket", args=[999_999]))
    assert response.status_code == 404
    assert _ways(_page(response)) == [reverse("desk:queue")]


def test_portal_without_a_session_is_a_403_with_the_control_panel(client, panel):
    response = client.get(reverse("portal:tickets"))
    assert response.status_code == 403
    page = _page(response)
    assert _in_layout(page) and "sign in through your control panel" in page.lower()
    assert _ways(page) == [PANEL]
    assert f'href="{PANEL}"' in page.split("</header>")[0]  # the header's way back too


def test_permission_denied_is_a_403_in_the_layout(client, panel):
    admin = make_staff("boss", password=None, is_superuser=True)
    client.force_login(admin)
    # The admin refuses adding tickets by hand (PermissionDenied): Django's handler403.
    response = client.get("/admin/helpdesk/ticket/add/")
    assert response.status_code == 403
    page = _page(response)
    assert _in_layout(page) and "Not allowed" in page
    assert _ways(page) == [reverse("desk:queue"), PANEL]


def test_a_bad_host_is_a_400_in_the_layout(client, panel, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    # A view that reads the Host (the language switcher checks where it goes back to): DisallowedHost.
    response = client.post(reverse("language"), {"language": "en", "next": "/"}, HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = _page(response)
    assert _in_layout(page) and "Bad request" in page
    assert _ways(page) == [PANEL]


def test_a_form_without_its_csrf_token_is_a_403_in_the_layout(panel):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_contact("acme").user)
    response = strict.post(reverse("portal:sign_out"))
    assert response.status_code == 403
    page = _page(response)
    assert _in_layout(page) and "Form expired" in page
    assert _ways(page) == [reverse("portal:tickets"), PANEL]


def test_throttled_votes_are_a_429_in_the_layout(client, panel, monkeypatch):
    article = make_article(make_staff("writer", password=None), make_kb_category("Mail"), "Mail settings",
                           slug="mail-settings")
    monkeypatch.setattr(kb_services, "VOTE_LIMIT", 0)
    client.force_login(make_contact("acme").user)
    response = client.post(reverse("kb:vote", args=[article.slug]), {"helpful": "yes"})
    assert response.status_code == 429
    page = _page(response)
    assert _in_layout(page) and "Too many votes" in page
    assert _ways(page) == [reverse("portal:tickets"), PANEL]


def _failed(error: Exception):
    request = RequestFactory().get("/tickets/")
    try:
        raise error
    except Exception:
        return server_error(request)


@pytest.mark.parametrize(("error", "status", "words"), [
    (DatabaseError("connection refused"), 503, "Temporarily unavailable"),
    (ValueError("a bug"), 500, "Something went wrong"),
])
def test_server_errors_are_in_the_layout_and_never_touch_the_database(
        panel, settings, django_assert_num_queries, error, status, words):
    settings.EXTDESK_BRAND_NAME = "Acme Hosting"
    with django_assert_num_queries(0):
        response = _failed(error)
    assert response.status_code == status
    page = _page(response)
    assert _in_layout(page) and words in page and "Acme Hosting" in page
    # Nobody is known without the session: the control panel is the only way on.
    assert _ways(page) == [PANEL]
    assert ("Retry-After" in response) == (status == 503)
    assert "connection refused" not in page and "a bug" not in page


def test_error_pages_have_no_fixed_widths(client, panel):
    page = _page(client.get("/no-such-page/"))
    assert 'style="' not in page and "width=device-width" in page
