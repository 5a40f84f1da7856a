"""The admin site, opened to desk users only (the rule of extdesk.helpdesk.staff).

Django's own site lets in every active user with ``is_staff``; a customer's
login given that flag by mistake would then see every customer's data.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

from extdesk.helpdesk.staff import is_desk_user


class DeskAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return is_desk_user(request.user)


class DeskAdminConfig(AdminConfig):
    """``django.contrib.admin`` with DeskAdminSite as ``admin.site``."""

    default_site = "extdesk.desk.admin_site.DeskAdminSite"
