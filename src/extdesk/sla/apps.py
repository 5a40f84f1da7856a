from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from extdesk.helpdesk.models import Message, Ticket


class SlaConfig(AppConfig):
    name = "extdesk.sla"
    label = "sla"
    verbose_name = "Service levels"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The helpdesk's writes tell the clocks through this signal: helpdesk cannot import sla.
        from extdesk.helpdesk.services import ticket_written

        from .services import follow_write

        def follow(sender: object, *, ticket: Ticket, status_before: str, priority_before: int,
                   message: Message | None, thread_moved: bool, **signal: object) -> None:
            follow_write(ticket, status_before=status_before, priority_before=priority_before,
                         message=message, thread_moved=thread_moved)

        ticket_written.connect(follow, dispatch_uid="extdesk.sla.follow_write", weak=False)
