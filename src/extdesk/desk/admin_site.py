"""The admin site, opened to desk users only (the rule of extdesk.desk.access).

Django's own site lets in every active user with ``is_staff``; a customer's
login given that flag by mistake would then see every customer's data.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class DeskAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # Imported here: this module is loaded with INSTALLED_APPS, before
        # the models that extdesk.desk.access reaches exist.
        from .access import is_desk_user

        return is_desk_user(request.user)


class DeskAdminConfig(AdminConfig):
    """``django.contrib.admin`` with DeskAdminSite as ``admin.site``."""

    default_site = "extdesk.desk.admin_site.DeskAdminSite"
