"""The provider's branding on every page, and the two files it adds: the logo and the accent's stylesheet.

EXTDESK_BRAND_NAME, EXTDESK_BRAND_LOGO and EXTDESK_ACCENT_COLOR are checked
at start (extdesk.config); here they become template variables, the logo is
served at /brand/logo and the accent colour at /brand/theme.css. Nothing
here needs the database, so an error page during an outage is branded too.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from extdesk.contacts.models import Contact
from extdesk.helpdesk.staff import is_desk_user

# A versioned URL (?v=) never changes its content: browsers keep it a year.
CACHE_FOREVER = "public, max-age=31536000, immutable"
# The unversioned URL, should anyone link it: a day.
CACHE_A_DAY = "public, max-age=86400"
# The logo is an image and nothing else: an SVG opened on its own runs no script, loads nothing.
LOGO_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

# WCAG AA for normal text: links in the accent on white, white text on accent buttons.
MIN_CONTRAST = 4.5


@dataclass(frozen=True)
class WayOn:
    """Where an error page sends a signed-in visitor on to."""

    url: str
    label: str


@dataclass(frozen=True)
class Brand:
    name: str
    logo_url: str
    theme_url: str


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(rgb: tuple[int, int, int]) -> float:
    """The WCAG contrast ratio of ``rgb`` against white (1 to 21)."""
    return 1.05 / (_luminance(rgb) + 0.05)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def _mix(rgb: tuple[int, int, int], other: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    """``share`` of ``other`` mixed into ``rgb``."""
    r, g, b = (round(c + (o - c) * share) for c, o in zip(rgb, other, strict=True))
    return r, g, b


def palette(accent: str) -> dict[str, str]:
    """The stylesheet's colours from one accent colour ``#rrggbb``.

    The accent itself marks the brand; links and buttons use it darkened
    just enough to keep white text and links on white readable (4.5:1),
    so a light brand colour never makes the pages illegible.
    """
    base = _rgb(accent)
    primary = base
    share = 0.0
    while contrast_with_white(primary) < MIN_CONTRAST:
        share += 0.02
        primary = _mix(base, (0, 0, 0), share)
    return {
        "accent": accent,
        "accent-strong": _hex(primary),
        "accent-dark": _hex(_mix(primary, (0, 0, 0), 0.22)),
        "accent-soft": _hex(_mix(base, (255, 255, 255), 0.9)),
    }


@functools.lru_cache(maxsize=4)
def _logo_version(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _logo_url() -> str:
    path: Path | None = settings.EXTDESK_BRAND_LOGO
    if path is None:
        return ""
    try:
        version = _logo_version(path, path.stat().st_mtime_ns)
    except OSError:
        # Gone since the start: the pages show the name alone rather than a broken image.
        return ""
    return f"{reverse('brand_logo')}?v={version}"


def brand() -> Brand:
    """The brand as templates show it; reads settings and the logo's file, never the database."""
    accent = settings.EXTDESK_ACCENT_COLOR
    theme = f"{reverse('brand_theme')}?v={accent[1:]}" if accent else ""
    return Brand(name=settings.EXTDESK_BRAND_NAME, logo_url=_logo_url(), theme_url=theme)


def brand_context() -> dict[str, object]:
    """What base.html needs of the brand, for a page rendered without a request (the 500/503 page).

    Such a page knows nobody (the session is in the database), so it wears the customers' layout.
    """
    return {"brand": brand(), "platform_url": settings.EXTDESK_PLATFORM_URL, "desk_layout": False}


def at_desk_address(request: HttpRequest) -> bool:
    """Whether ``request`` is for one of the desk's addresses (known from the path alone)."""
    return request.path.startswith(reverse("desk:queue"))


def desk_layout(request: HttpRequest) -> bool:
    """Whether an error page for ``request`` wears the desk's layout rather than the customers'.

    A desk user's does, wherever they are (a portal address, the admin); so does a stranger's at
    one of the desk's addresses, who is on the way to the desk's sign-in. A signed-in customer
    keeps their own layout even at a desk address.
    """
    # A page refused before AuthenticationMiddleware ran (a body over its limit) knows nobody.
    user: User | AnonymousUser | None = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return is_desk_user(user)
    return at_desk_address(request)


def way_on(request: HttpRequest, at_desk: bool) -> WayOn | None:
    """The visitor's own start page: the desk in the desk's layout (``at_desk``), else their tickets."""
    if at_desk:
        # The queue, or for a stranger the sign-in page it sends them to.
        return WayOn(reverse("desk:queue"), str(_("Staff desk")))
    user: User | AnonymousUser | None = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if Contact.objects.filter(user=user).exists():
        return WayOn(reverse("portal:tickets"), str(_("My tickets")))
    return None


def site(request: HttpRequest) -> dict[str, object]:
    """Context processor: ``brand``, ``platform_url``, and ``desk_layout`` and ``way_on`` for error pages.

    The last two are callables the template calls when error.html reads them, so other pages cost
    no query; each asks the database once per request however often the page reads it.
    """
    at_desk = functools.cache(partial(desk_layout, request))
    return {**brand_context(), "desk_layout": at_desk,
            "way_on": functools.cache(lambda: way_on(request, at_desk()))}


@require_GET
def logo(request: HttpRequest) -> HttpResponse:
    """The logo file, with its type from its content (checked at start) and long caching."""
    path: Path | None = settings.EXTDESK_BRAND_LOGO
    if path is None:
        raise Http404("No logo is configured.")
    try:
        content = path.read_bytes()
    except OSError:
        raise Http404("The logo file cannot be read.") from None
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type=settings.EXTDESK_BRAND_LOGO_TYPE)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_FOREVER if "v" in request.GET else CACHE_A_DAY
    response["Content-Security-Policy"] = LOGO_POLICY
    return response


@require_GET
def theme(request: HttpRequest) -> HttpResponse:
    """The accent colour as CSS custom properties; app.css's Branding section builds on them."""
    accent = settings.EXTDESK_ACCENT_COLOR
    if not accent:
        raise Http404("No accent colour is configured.")
    body = ":root {\n" + "".join(f"  --{name}: {value};\n" for name, value in palette(accent).items()) + "}\n"
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = CACHE_FOREVER if request.GET.get("v") == accent[1:] else CACHE_A_DAY
    return response
