from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from extdesk.contacts.models import Contact

from .models import LoginFailure, StaffMember


@admin.register(StaffMember)
class StaffMemberAdmin(UserAdmin):
    """The people who work the desk; customers' logins are not listed here."""

    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "groups"]

    def get_queryset(self, request):
        customers = Contact.objects.filter(user__isnull=False).values("user_id")
        return super().get_queryset(request).filter(is_staff=True).exclude(pk__in=customers)

    def save_model(self, request, obj, form, change) -> None:
        # Everyone added here works the desk; taking staff rights away is
        # done by unticking "active" (the person keeps their history).
        obj.is_staff = True
        super().save_model(request, obj, form, change)


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Recent failed desk sign-ins; deleting them lifts a lockout."""

    list_display = ["username", "address", "created_at"]
    search_fields = ["username", "address"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
