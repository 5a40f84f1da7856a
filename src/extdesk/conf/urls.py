from django.contrib import admin
from django.urls import include, path

from extdesk.endpoint.views import soap_endpoint

urlpatterns = [
    # Both spellings answer directly: SOAP::Lite would follow a redirect
    # without its signature header.
    path("soap", soap_endpoint),
    path("soap/", soap_endpoint, name="soap"),
    path("admin/", admin.site.urls),
    path("", include("extdesk.sso.urls")),
    # The customer portal owns the site root; keep it last.
    path("", include("extdesk.portal.urls")),
]
