from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "extdesk.helpdesk"
    verbose_name = "Helpdesk"
