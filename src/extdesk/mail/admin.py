from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import InboundMail


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    """Read-only: the record of what came in is written by the mail channel alone.

    Held mail is released or deleted on the desk's held list, where the
    service that does it checks and records who decided.
    """

    list_display = ("received_at", "sender_address", "subject", "outcome", "reason", "ticket", "source")
    list_filter = ("outcome",)
    search_fields = ("sender_address", "subject", "mail_id")
    date_hierarchy = "received_at"
    ordering = ("-received_at", "-id")
    list_select_related = ("ticket",)
    readonly_fields = ("received_at", "source", "sender_name", "sender_address", "subject", "mail_id", "size",
                       "outcome", "reason", "contact", "ticket", "message", "bounced", "decided_by",
                       "decided_at", "original", "dedup_key")
    exclude = ("raw",)

    @admin.display(description=_("original"))
    def original(self, obj: InboundMail) -> str:
        if not obj.raw:
            return gettext("not kept")
        # The desk's pages show the headers and serve the .eml with the right download headers.
        return format_html('<a href="{}">{}</a> · <a href="{}">{}</a>',
                           reverse("desk:inbound_mail", args=[obj.pk]), gettext("headers"),
                           reverse("desk:inbound_eml", args=[obj.pk]), gettext("download .eml"))

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
