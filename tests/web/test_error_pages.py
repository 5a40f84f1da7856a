"""Error pages in the site's layout, with the way on (issue 15): Django's test client, real database."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from extdesk.kb import services as kb_services
from extdesk.mail.services import receive
from extdesk.security.views import server_error
from tests.helpdesk.factories import make_contact, make_staff, make_ticket
from tests.kb.factories import make_article, make_kb_category
from tests.mail.messages import mail

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


def _in_desk_layout(page: str) -> bool:
    """The desk's layout: its body class, its "Staff desk" brand and its header, no control panel."""
    header = page.split("</header>")[0]
    return (_in_layout(page) and '<body class="desk">' in page and 'class="brand-sub"' in header
            and '<link rel="stylesheet" href="/static/desk/desk.css">' in header
            and f'href="{reverse("desk:queue")}"' in header and "platform-link" not in header)


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


def test_a_missing_desk_ticket_offers_the_desk_to_staff_in_the_desks_layout(client, panel):
    client.force_login(make_staff("agent", password=None))
    response = client.get(reverse("desk:ticket", args=[999_999]))
    assert response.status_code == 404
    page = _page(response)
    assert _in_desk_layout(page)
    # The desk's navigation for the signed-in agent, and only the desk as the way on.
    assert f'href="{reverse("desk:canned_list")}"' in page.split("</header>")[0]
    assert _ways(page) == [reverse("desk:queue")]
    assert PANEL not in page and "Back to control panel" not in page


def test_staff_at_a_customers_address_get_the_desks_layout(client, panel):
    client.force_login(make_staff("agent", password=None))
    # A page that is not there, and the customers' tickets (refused: staff are no contact).
    for address, status in (("/no-such-page/", 404), (reverse("portal:tickets"), 403)):
        response = client.get(address)
        assert response.status_code == status
        page = _page(response)
        assert _in_desk_layout(page), address
        assert _ways(page) == [reverse("desk:queue")] and PANEL not in page


def test_a_stranger_at_a_desk_address_is_sent_on_to_the_desk(client, panel):
    page = _page(client.get("/desk/no-such-page/"))
    assert _in_desk_layout(page)
    assert _ways(page) == [reverse("desk:queue")]  # the queue asks them to sign in first
    assert PANEL not in page


def test_a_customer_at_a_desk_address_keeps_their_layout(client, panel):
    client.force_login(make_contact("acme").user)
    response = client.get("/desk/no-such-page/")
    assert response.status_code == 404
    page = _page(response)
    assert _in_layout(page) and not _in_desk_layout(page) and '<body class="">' in page
    assert _ways(page) == [reverse("portal:tickets"), PANEL]


def test_a_refusal_drawn_by_a_desk_view_is_in_the_desks_layout(client, panel):
    # Service levels are for superusers: the desk's own 403 page, through extdesk/error.html.
    client.force_login(make_staff("agent", password=None))
    response = client.get(reverse("desk:sla"))
    assert response.status_code == 403
    page = _page(response)
    assert _in_desk_layout(page) and "For superusers only" in page
    assert _ways(page) == [reverse("desk:queue")]


def test_an_error_page_with_a_head_of_its_own_keeps_the_desks_stylesheet(client, panel):
    # The refused login link replaces the head block (no referrer): the desk's files stay.
    client.force_login(make_staff("agent", password=None))
    response = client.get(reverse("sso:landing", args=["C" * 43]))
    assert response.status_code == 403
    page = _page(response)
    assert _in_desk_layout(page) and '<meta name="referrer" content="no-referrer">' in page
    assert _ways(page) == [reverse("desk:queue")]


def test_a_staff_error_page_asks_who_is_there_once(client, panel, django_assert_max_num_queries):
    agent = make_staff("agent", password=None)
    client.force_login(agent)
    # The session, the user, the header's display name, "is a desk user" once for both the
    # layout and the way on, and the held mail's count in the navigation.
    with django_assert_max_num_queries(5):
        assert client.get("/no-such-page/").status_code == 404


def test_a_staff_error_page_counts_the_held_mail_like_every_desk_page(client, panel):
    receive(mail(headers=[("X-Spam-Flag", "YES")]), source="pipe")
    client.force_login(make_staff("agent", password=None))
    for path in ("/no-such-page/", reverse("desk:queue")):
        header = _page(client.get(path)).split("</header>")[0]
        assert '<span class="nav-count">(1)</span>' in header, path


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
    assert _in_desk_layout(page) and "Not allowed" in page
    assert _ways(page) == [reverse("desk:queue")]


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


def _failed(error: Exception, path: str = "/tickets/"):
    request = RequestFactory().get(path)
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
    assert not _in_desk_layout(page)  # nobody known: the customers' layout
    # Nobody is known without the session: the control panel is the only way on.
    assert _ways(page) == [PANEL]
    assert ("Retry-After" in response) == (status == 503)
    assert "connection refused" not in page and "a bug" not in page


@pytest.mark.parametrize(("error", "status"), [(DatabaseError("connection refused"), 503),
                                             (ValueError("a bug"), 500)])
def test_a_server_error_at_a_desk_address_is_in_the_desks_layout_without_the_database(
        panel, django_assert_num_queries, error, status):
    with django_assert_num_queries(0):
        response = _failed(error, reverse("desk:ticket", args=[7]))
    assert response.status_code == status
    page = _page(response)
    assert _in_desk_layout(page)
    # The desk is the way on; the customers' control panel is not staff's way back.
    assert _ways(page) == [reverse("desk:queue")]
    assert PANEL not in page


def test_error_pages_have_no_fixed_widths(client, panel):
    page = _page(client.get("/no-such-page/"))
    assert 'style="' not in page and "width=device-width" in page


def test_a_server_error_page_names_its_language(panel):
    # Drawn without the context processors: <html lang> comes from the active language itself.
    with translation.override("de"):
        page = _page(_failed(DatabaseError("connection refused")))
    assert '<html lang="de">' in page and "Vorübergehend nicht verfügbar" in page
