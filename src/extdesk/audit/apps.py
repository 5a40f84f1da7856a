from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "extdesk.audit"
    label = "audit"
    verbose_name = "Audit log"
