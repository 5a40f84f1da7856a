from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "extdesk.security"
    label = "security"
    verbose_name = "Security"
