from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "extdesk.worker"
    label = "worker"
    verbose_name = "Periodic duties"
