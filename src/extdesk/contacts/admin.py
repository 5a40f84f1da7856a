from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Contact


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Read-only: the platform owns its persons and pushes every change."""

    list_display = ["platform_id", "email", "first_name", "last_name", "updated_at"]
    search_fields = ["=platform_id", "email", "first_name", "last_name"]
    list_filter = ["accounts"]
    readonly_fields = [
        "platform_id", "email", "prefix", "first_name", "insertion", "middle_name", "last_name",
        "suffix", "accounts", "user", "fingerprint", "created_at", "updated_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
