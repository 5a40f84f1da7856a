from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "extdesk.desk"
    verbose_name = "Staff desk"
