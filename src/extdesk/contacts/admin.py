from django.contrib import admin

from .models import Account, Contact


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["platform_id", "email", "first_name", "last_name", "updated_at"]
    search_fields = ["=platform_id", "email", "first_name", "last_name"]
    filter_horizontal = ["accounts"]
    readonly_fields = ["platform_id", "fingerprint", "created_at", "updated_at", "user"]
