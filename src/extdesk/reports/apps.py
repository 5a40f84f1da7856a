from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "extdesk.reports"
    label = "reports"
    verbose_name = "Reports"
