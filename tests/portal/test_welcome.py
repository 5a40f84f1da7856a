"""The site root: customers are sent to their control panel, staff to the sign-in page."""

from __future__ import annotations

import pytest

from extdesk.config import ConfigError, load_config
from tests.helpdesk.factories import make_contact

pytestmark = pytest.mark.django_db


def test_the_root_is_a_page_that_says_how_to_come_in(client, settings):
    settings.EXTDESK_PLATFORM_URL = ""
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "control panel" in page
    assert 'href="/desk/login/"' in page
    assert "Go to your control panel" not in page
    assert "extdesk/app.css" in page  # the site's layout, not a bare page


def test_the_root_links_to_the_control_panel_when_it_is_known(client, settings):
    settings.EXTDESK_PLATFORM_URL = "https://panel.example.com/login"
    page = client.get("/").content.decode()
    assert 'href="https://panel.example.com/login"' in page


def test_a_signed_in_customer_goes_to_their_tickets(client):
    client.force_login(make_contact("acme").user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].endswith("/tickets/")


def test_the_platform_url_setting_is_checked():
    base = {"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": "/tmp"}
    assert load_config(base).platform_url == ""
    assert load_config({**base, "EXTDESK_PLATFORM_URL": "https://cp.example.com/"}).platform_url \
        == "https://cp.example.com/"
    with pytest.raises(ConfigError, match="EXTDESK_PLATFORM_URL"):
        load_config({**base, "EXTDESK_PLATFORM_URL": "panel.example.com"})
