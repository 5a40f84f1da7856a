"""The ratings in the admin, to read only: customers give them (the mailed links, the portal), staff read
them on the ticket, in the queue and in the reports; an edit here would rewrite a customer's answer."""

from django.contrib import admin

from .models import Rating, Resolution


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnly):
    list_display = ["ticket", "choice", "comment", "contact", "updated_at"]
    list_filter = ["choice"]
    list_select_related = ["ticket", "contact"]
    search_fields = ["comment"]
    date_hierarchy = "updated_at"


@admin.register(Resolution)
class ResolutionAdmin(ReadOnly):
    list_display = ["ticket", "resolved_at", "reopened_at", "agent", "category"]
    list_select_related = ["ticket", "agent", "category"]
    date_hierarchy = "resolved_at"
