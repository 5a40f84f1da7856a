from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "extdesk.mail"
    label = "mail"
    verbose_name = "Incoming mail"
    default_auto_field = "django.db.models.BigAutoField"
