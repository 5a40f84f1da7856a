from django.apps import AppConfig


class EndpointConfig(AppConfig):
    name = "extdesk.endpoint"
    verbose_name = "SOAP endpoint"
