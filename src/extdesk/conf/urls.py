from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from extdesk.endpoint.views import soap_endpoint
from extdesk.sso.language import switch as switch_language
from extdesk.web import branding

# A database outage answers a 503 page, other failures a 500 page; all in the site's layout.
handler400 = "extdesk.web.errors.bad_request"
handler403 = "extdesk.web.errors.permission_denied"
handler404 = "extdesk.web.errors.page_not_found"
handler500 = "extdesk.security.views.server_error"

urlpatterns = [
    # Both spellings answer directly: SOAP::Lite would follow a redirect
    # without its signature header.
    path("soap", soap_endpoint),
    path("soap/", soap_endpoint, name="soap"),
    # The admin signs in through the desk's page, which throttles failed attempts.
    path("admin/login/", RedirectView.as_view(pattern_name="desk:login", query_string=True)),
    path("admin/", admin.site.urls),
    # The provider's logo and accent colour (EXTDESK_BRAND_LOGO, EXTDESK_ACCENT_COLOR).
    path("brand/logo", branding.logo, name="brand_logo"),
    path("brand/theme.css", branding.theme, name="brand_theme"),
    path("desk/reports/", include("extdesk.reports.urls")),
    path("desk/kb/", include("extdesk.kb.desk_urls")),
    path("desk/", include("extdesk.desk.urls")),
    path("kb/", include("extdesk.kb.urls")),
    path("rate/", include("extdesk.ratings.urls")),
    path("", include("extdesk.web.urls")),
    path("", include("extdesk.sso.urls")),
    # The header's language switcher, on every page.
    path("language/", switch_language, name="language"),
    # The customer portal owns the site root; keep it last.
    path("", include("extdesk.portal.urls")),
]

if settings.EXTDESK_DEMO:
    # Only in `extdesk serve --demo`: the stand-in for the platform's control panel.
    urlpatterns.insert(0, path("platform/", include("extdesk.demo.urls")))
