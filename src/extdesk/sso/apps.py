from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "extdesk.sso"
    verbose_name = "One-time login"
