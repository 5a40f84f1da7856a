"""The admin for the helpdesk's settings (categories) and a read-only view of tickets.

Tickets and messages are changed in the staff desk only: there every change
goes through the services, which record it in the ticket's history and send
the notifications. Editing them here would do neither.
"""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Attachment, Category, Message, Ticket, TicketCopy, TicketEvent

admin.site.site_header = _("Extdesk administration")
admin.site.site_title = _("Extdesk admin")
# "View site" leads staff back to their desk, not to the customer portal.
admin.site.site_url = "/desk/"


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "position", "ticket_count"]
    list_editable = ["is_active", "position"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_count=Count("tickets"))

    @admin.display(description=_("tickets"), ordering="ticket_count")
    def ticket_count(self, category: Category) -> int:
        return category.ticket_count  # type: ignore[attr-defined]  # annotated by get_queryset

    def has_delete_permission(self, request, obj=None) -> bool:
        # A category in use is retired (unticking "active"), not deleted:
        # deleting it would empty the category of its tickets' history.
        if obj is not None and obj.tickets.exists():
            return False
        return super().has_delete_permission(request, obj)


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fields = readonly_fields = ("created_at", "author_contact", "author_user", "is_internal", "body")
    extra = 0
    show_change_link = True


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketEvent
    fields = readonly_fields = ("created_at", "kind", "actor_contact", "actor_user", "old_value", "new_value")
    extra = 0


class CopyInline(ReadOnlyMixin, admin.TabularInline):
    model = TicketCopy
    fields = readonly_fields = ("address", "added_at", "how", "added_by_user", "added_by_contact")
    extra = 0


@admin.register(Ticket)
class TicketAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "subject", "status", "priority", "contact", "account", "assignee",
                    "last_activity_at", "desk_link"]
    list_filter = ["status", "priority", "category"]
    search_fields = ["=id", "subject", "contact__email", "account__name"]
    list_select_related = ["contact", "account", "assignee"]
    date_hierarchy = "created_at"
    inlines = [CopyInline, MessageInline, EventInline]
    show_full_result_count = False

    @admin.display(description="")
    def desk_link(self, ticket: Ticket) -> str:
        return format_html('<a href="{}">{}</a>', reverse("desk:ticket", args=[ticket.pk]),
                           gettext("open in the desk"))


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = readonly_fields = ("original_name", "size", "content_type", "created_at")
    extra = 0


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "ticket", "author_contact", "author_user", "is_internal", "created_at"]
    list_filter = ["is_internal"]
    search_fields = ["=ticket__id", "body"]
    list_select_related = ["ticket", "author_contact", "author_user"]
    raw_id_fields = ["ticket", "author_contact", "author_user"]
    inlines = [AttachmentInline]
    show_full_result_count = False
