from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from extdesk.helpdesk.models import Ticket


class RatingsConfig(AppConfig):
    name = "extdesk.ratings"
    label = "ratings"
    verbose_name = "Satisfaction ratings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The helpdesk tells of its writes and its resolved mail through signals: it cannot import ratings.
        from extdesk.helpdesk.notifications import resolved_mail_lines
        from extdesk.helpdesk.services import ticket_written

        from .services import follow_status, mail_lines

        def follow(sender: object, *, ticket: Ticket, status_before: str, **signal: object) -> None:
            follow_status(ticket, status_before=status_before)

        def lines(sender: object, *, ticket: Ticket, **signal: object) -> list[str]:
            return mail_lines(ticket)

        ticket_written.connect(follow, dispatch_uid="extdesk.ratings.follow_status", weak=False)
        resolved_mail_lines.connect(lines, dispatch_uid="extdesk.ratings.mail_lines", weak=False)
