"""The admin pages of the desk: staff members, all users, sign-in failures."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from extdesk.contacts.models import Contact
from extdesk.sso.usernames import CUSTOMER_PREFIX, is_reserved_username

from .models import LoginFailure, StaffMember


class _NoReservedNames:
    """Refuses a customer-login name (``contact-...``) for a user that does not carry it yet.

    A name a user already has is kept: customers' own logins, and staff
    accounts from before the names were reserved, stay editable.
    """

    # What the user forms it is mixed into provide.
    cleaned_data: dict[str, Any]
    instance: User

    def clean_username(self) -> str:
        parent = getattr(super(), "clean_username", None)
        username = parent() if parent is not None else self.cleaned_data["username"]
        # The instance still holds the stored name here: fields are cleaned
        # before the form copies them onto it.
        if username and is_reserved_username(username) and username != self.instance.get_username():
            # sso.usernames.RESERVED_MESSAGE in the reader's language (the command line keeps it English).
            raise ValidationError(_("User names starting with “%(prefix)s” are reserved for customer logins; "
                                    "choose another name.") % {"prefix": CUSTOMER_PREFIX}, code="reserved")
        return username


class UserAddForm(_NoReservedNames, AdminUserCreationForm):
    pass


class UserEditForm(_NoReservedNames, UserChangeForm):
    pass


# Django's own page of all users (customers' logins included) gets the same check.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AllUsersAdmin(UserAdmin):
    add_form = UserAddForm
    form = UserEditForm


@admin.register(StaffMember)
class StaffMemberAdmin(UserAdmin):
    """The people who work the desk; customers' logins are not listed here."""

    add_form = UserAddForm
    form = UserEditForm

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
