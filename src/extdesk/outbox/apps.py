from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "extdesk.outbox"
    label = "outbox"
    verbose_name = "Outgoing mail"
