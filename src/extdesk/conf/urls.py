from django.contrib import admin
from django.urls import path

from extdesk.endpoint.views import soap_endpoint

urlpatterns = [
    # Both spellings answer directly: SOAP::Lite would follow a redirect
    # without its signature header.
    path("soap", soap_endpoint),
    path("soap/", soap_endpoint, name="soap"),
    path("admin/", admin.site.urls),
]
