"""Staff users: who counts as a desk user, never a customer's login, and how a user is named.

The one rule is used wherever staff are told apart from customers: the
desk's views, the admin (extdesk.desk.admin_site), the portal's file
downloads, the people staff mail goes to and the people a ticket can be
assigned to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

if TYPE_CHECKING:
    # Types only: the admin site imports this module before the models are loaded.
    from django.contrib.auth.models import AnonymousUser, User


def desk_users() -> QuerySet:
    """Every desk user: active staff that is not a contact's login.

    The contact check guards against a customer's user being given staff
    rights by mistake in the admin: the desk shows every customer's tickets.
    """
    users = get_user_model()._default_manager
    return users.filter(is_active=True, is_staff=True, contact__isnull=True)


def is_desk_user(user: User | AnonymousUser) -> bool:
    """True for one of ``desk_users()``; anonymous visitors and customers cost no query."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return desk_users().filter(pk=user.pk).exists()


def display_name(user: User) -> str:
    """A user as pages, history and mail name them: the full name, else the user name."""
    return user.get_full_name() or user.get_username()
