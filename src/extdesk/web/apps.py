from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "extdesk.web"
    verbose_name = "Look and feel"
