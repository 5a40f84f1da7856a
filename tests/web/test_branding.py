"""Branding (issue 15): EXTDESK_BRAND_NAME, EXTDESK_BRAND_LOGO, EXTDESK_ACCENT_COLOR on pages and mail."""

from __future__ import annotations

import io
import re
from email.header import decode_header, make_header
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from PIL import Image

import extdesk
from extdesk.config import LOGO_MAX_BYTES, ConfigError, brand, load_config
from extdesk.outbox.services import enqueue
from extdesk.web.branding import MIN_CONTRAST, _rgb, contrast_with_white, palette
from tests.helpdesk.factories import make_contact, make_staff
from tests.outbox.smtp import send_to_loopback_smtp, smtp_server

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>\n'


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "#2452c7").save(out, kind)
    return out.getvalue()


# ---------------------------------------------------------------- settings


def test_defaults():
    found = brand({})
    assert (found.name, found.logo, found.accent) == ("Helpdesk", None, "")


@pytest.mark.parametrize(("kind", "media_type"), [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("SVG", "image/svg+xml"),
])
def test_a_logo_is_typed_by_its_content_not_its_name(tmp_path, kind, media_type):
    path = tmp_path / "logo.gif"  # the name says nothing
    path.write_bytes(SVG if kind == "SVG" else _image(kind))
    found = brand({"EXTDESK_BRAND_LOGO": str(path), "EXTDESK_BRAND_NAME": "  Acme   Hosting "})
    assert (found.logo, found.logo_type, found.name) == (path, media_type, "Acme Hosting")


@pytest.mark.parametrize(("env", "words"), [
    ({"EXTDESK_ACCENT_COLOR": "blue"}, "EXTDESK_ACCENT_COLOR='blue' must be a colour as #rrggbb"),
    ({"EXTDESK_ACCENT_COLOR": "#12345"}, "EXTDESK_ACCENT_COLOR"),
    ({"EXTDESK_ACCENT_COLOR": "#12345g"}, "EXTDESK_ACCENT_COLOR"),
    ({"EXTDESK_ACCENT_COLOR": "#1234567"}, "EXTDESK_ACCENT_COLOR"),
    ({"EXTDESK_BRAND_NAME": "x" * 61}, "EXTDESK_BRAND_NAME"),
    ({"EXTDESK_BRAND_LOGO": "/nonexistent/logo.png"},
     "EXTDESK_BRAND_LOGO: cannot read /nonexistent/logo.png"),
])
def test_bad_settings_name_their_variable(env, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        brand(env)


def test_a_logo_that_is_no_image_is_refused(tmp_path):
    text = tmp_path / "logo.png"
    text.write_bytes(b"GIF89a not one of ours")
    with pytest.raises(ConfigError, match=r"EXTDESK_BRAND_LOGO=.* is not a PNG, JPEG, WebP or SVG image"):
        brand({"EXTDESK_BRAND_LOGO": str(text)})
    html = tmp_path / "page.svg"
    html.write_bytes(b"<html><script>alert(1)</script></html>")
    with pytest.raises(ConfigError, match="EXTDESK_BRAND_LOGO"):
        brand({"EXTDESK_BRAND_LOGO": str(html)})


def test_a_directory_or_a_huge_logo_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"EXTDESK_BRAND_LOGO=.* is a directory"):
        brand({"EXTDESK_BRAND_LOGO": str(tmp_path)})
    big = tmp_path / "big.png"
    big.write_bytes(_image("PNG") + b"\0" * LOGO_MAX_BYTES)
    with pytest.raises(ConfigError, match=r"EXTDESK_BRAND_LOGO=.* a logo may have at most"):
        brand({"EXTDESK_BRAND_LOGO": str(big)})


def test_an_unreadable_logo_is_refused(tmp_path):
    # Unreadable for anyone, root too: a path through a file.
    beside = tmp_path / "logo.png"
    beside.write_bytes(_image("PNG"))
    with pytest.raises(ConfigError, match=r"EXTDESK_BRAND_LOGO: cannot read .*: Not a directory"):
        brand({"EXTDESK_BRAND_LOGO": str(beside / "logo.png")})


def test_load_config_reads_the_brand(tmp_path):
    config = load_config({"EXTDESK_SECRET": "x" * 16, "EXTDESK_DATA_DIR": str(tmp_path),
                          "EXTDESK_ACCENT_COLOR": "#AA3300", "EXTDESK_BRAND_NAME": "Acme"})
    assert (config.brand.name, config.brand.accent) == ("Acme", "#aa3300")


@pytest.mark.parametrize("accent", ["#2452c7", "#ffcc00", "#ffffff", "#000000", "#7fdbff"])
def test_the_palette_keeps_links_and_buttons_readable(accent):
    colours = palette(accent)
    assert colours["accent"] == accent
    assert contrast_with_white(_rgb(colours["accent-strong"])) >= MIN_CONTRAST
    strong, dark = (contrast_with_white(_rgb(colours[name])) for name in ("accent-strong", "accent-dark"))
    assert dark >= strong


def test_a_dark_enough_accent_is_used_as_it_is():
    assert palette("#2452c7")["accent-strong"] == "#2452c7"
    assert palette("#ffcc00")["accent-strong"] != "#ffcc00"


# ---------------------------------------------------------------- pages


@pytest.fixture
def branded(settings, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(_image("PNG"))
    found = brand({"EXTDESK_BRAND_LOGO": str(logo), "EXTDESK_BRAND_NAME": "Acme Hosting",
                   "EXTDESK_ACCENT_COLOR": "#aa3300"})
    settings.EXTDESK_BRAND_NAME = found.name
    settings.EXTDESK_BRAND_LOGO = found.logo
    settings.EXTDESK_BRAND_LOGO_TYPE = found.logo_type
    settings.EXTDESK_ACCENT_COLOR = found.accent
    settings.EXTDESK_PLATFORM_URL = "https://panel.example.net/"
    return logo


@pytest.mark.django_db
def test_the_portal_shows_the_brand_logo_accent_and_the_way_back(client, branded):
    client.force_login(make_contact("acme").user)
    page = client.get(reverse("portal:tickets")).content.decode()
    header, footer = page.split("</header>")[0], page.split('class="site-footer"')[1]
    assert "Acme Hosting" in header and "Acme Hosting" in footer and "Extdesk" not in page
    assert re.search(r'<img class="brand-logo" src="/brand/logo\?v=[0-9a-f]{12}" alt="">', header)
    assert '<link rel="stylesheet" href="/brand/theme.css?v=aa3300">' in page
    assert '<a class="platform-link" href="https://panel.example.net/">Back to control panel</a>' in header
    assert "style=" not in page  # the CSP allows no inline style


@pytest.mark.django_db
def test_without_settings_the_portal_has_no_logo_theme_or_panel_link(client, settings):
    settings.EXTDESK_PLATFORM_URL = ""
    client.force_login(make_contact("acme").user)
    page = client.get(reverse("portal:tickets")).content.decode()
    assert "brand-logo" not in page and "theme.css" not in page and "Back to control panel" not in page
    assert "Helpdesk" in page.split('class="site-footer"')[1]


@pytest.mark.django_db
def test_the_desk_shows_the_brand_but_not_the_customers_panel(client, branded):
    client.force_login(make_staff(password=None))
    page = client.get(reverse("desk:queue")).content.decode()
    header = page.split("</header>")[0]
    assert "Acme Hosting" in header and "Staff desk" in header and "brand-logo" in header
    assert "Back to control panel" not in header
    assert "<title>" in page and "Acme Hosting staff desk</title>" in page


@pytest.mark.django_db
def test_the_logo_route_serves_the_file_with_caching_and_its_type(client, branded):
    version = re.search(r"/brand/logo\?v=([0-9a-f]+)", client.get("/no-such-page/").content.decode())
    assert version
    response = client.get(reverse("brand_logo"), {"v": version.group(1)})
    assert response.status_code == 200 and response.content == branded.read_bytes()
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    again = client.get(reverse("brand_logo"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.get(reverse("brand_logo")).headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.django_db
def test_an_svg_logo_is_served_sandboxed(client, settings, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    settings.EXTDESK_BRAND_LOGO, settings.EXTDESK_BRAND_LOGO_TYPE = logo, "image/svg+xml"
    response = client.get(reverse("brand_logo"))
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_logo_or_accent_is_a_404(client, settings):
    settings.EXTDESK_BRAND_LOGO, settings.EXTDESK_ACCENT_COLOR = None, ""
    assert client.get(reverse("brand_logo")).status_code == 404
    assert client.get(reverse("brand_theme")).status_code == 404


@pytest.mark.django_db
def test_the_theme_sets_the_accent_properties(client, branded):
    response = client.get(reverse("brand_theme"), {"v": "aa3300"})
    css = response.content.decode()
    assert response["Content-Type"].startswith("text/css")
    assert "--accent: #aa3300;" in css and "--accent-strong: #" in css and "--accent-soft: #" in css
    assert "immutable" in response["Cache-Control"]


def test_app_css_builds_the_primary_colours_on_the_accent():
    css = (Path(extdesk.__file__).parent / "web" / "static" / "extdesk" / "app.css").read_text()
    branding = css.split("/* Branding")[1]
    for line in ("--primary: var(--accent-strong);", "--primary-dark: var(--accent-dark);",
                 "--primary-soft: var(--accent-soft);"):
        assert line in branding


# ---------------------------------------------------------------- mail


@pytest.mark.django_db
def test_mail_comes_from_the_brand_and_closes_with_it(settings, django_capture_on_commit_callbacks):
    port = send_to_loopback_smtp(settings)
    settings.DEFAULT_FROM_EMAIL = "support@example.com"
    settings.EXTDESK_BRAND_NAME = "Grüße & Co, Hosting"
    with smtp_server(port) as received, django_capture_on_commit_callbacks(execute=True):
        enqueue("Hello", "Your ticket is solved.", ["ann@example.com"], "a test")
    (message,) = received.messages
    name, address = parseaddr(message["From"])
    assert (str(make_header(decode_header(name))), address) == ("Grüße & Co, Hosting", "support@example.com")
    assert message["Reply-To"] == "support@example.com"
    body = message.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert body.endswith("Your ticket is solved.\n\n-- \nGrüße & Co, Hosting\n")


@pytest.mark.django_db
def test_a_sender_with_its_own_name_keeps_it(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Support Team <support@example.com>"
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("Hello", "Text.", ["ann@example.com"], "a test")
    assert mail.outbox[-1].from_email == "Support Team <support@example.com>"
