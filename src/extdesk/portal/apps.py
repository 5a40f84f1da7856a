from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "extdesk.portal"
    verbose_name = "Customer portal"
