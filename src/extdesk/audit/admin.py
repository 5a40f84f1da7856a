from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the server alone."""

    # ``count``: how many refused requests the row stands for (1 for the rest).
    list_display = ("at", "kind", "operation", "address", "outcome", "status", "count", "records", "person")
    list_filter = ("kind", "outcome", "operation")
    search_fields = ("address", "operation", "=person")
    date_hierarchy = "at"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
