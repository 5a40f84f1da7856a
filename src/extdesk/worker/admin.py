from django.contrib import admin
from django.http import HttpRequest

from .models import DutyLease


@admin.register(DutyLease)
class DutyLeaseAdmin(admin.ModelAdmin):
    """Read-only: which duty ran when, where, and how it went. The workers write these rows."""

    list_display = ("name", "last_finished_at", "last_failed", "last_outcome", "due_at", "claimed_by",
                    "claimed_until")
    list_filter = ("last_failed",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DutyLease | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DutyLease | None = None) -> bool:
        return False
