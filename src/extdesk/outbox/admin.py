from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """Read-only: mail is written by the helpdesk; staff may only ask for a retry."""

    list_display = ("id", "created_at", "subject", "to", "state", "attempts", "next_attempt_at", "sent_at",
                    "short_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter),
                   ("bounced_at", admin.EmptyFieldListFilter))
    # mail_id: a bounce or a customer quotes the Message-ID; staff look the mail up by it.
    search_fields = ("subject", "about", "mail_id")
    date_hierarchy = "created_at"
    readonly_fields = ("recipients", "subject", "mail_id", "header_lines", "body", "about", "created_at",
                       "attempts", "last_error", "next_attempt_at", "sent_at", "failed_at", "bounced_at",
                       "bounce")
    exclude = ("headers",)
    actions = ["retry_now"]

    @admin.display(description=_("to"))
    def to(self, obj: OutgoingMail) -> str:
        return ", ".join(obj.recipients)

    @admin.display(description=_("headers"))
    def header_lines(self, obj: OutgoingMail) -> str:
        # Plain text, escaped by the admin like any read-only value.
        return "\n".join(f"{name}: {value}" for name, value in obj.headers)

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutgoingMail) -> str:
        return obj.last_error[:80]

    @admin.action(description=_("Retry now (the selected unsent mail)"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        report = services.retry_now(queryset.filter(sent_at__isnull=True).values_list("id", flat=True))
        level = messages.SUCCESS if not (report.retrying or report.given_up) else messages.WARNING
        self.message_user(request, gettext(
            "Retried: sent %(sent)s, to retry %(retrying)s, given up %(given_up)s, taken by another sender "
            "%(skipped)s.") % {"sent": report.sent, "retrying": report.retrying, "given_up": report.given_up,
                               "skipped": report.skipped}, level)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
