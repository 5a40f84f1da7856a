from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "extdesk.web"
    verbose_name = "Look and feel"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .timezones import copy_zone_to_session

        user_logged_in.connect(copy_zone_to_session, dispatch_uid="extdesk.web.time_zone")
