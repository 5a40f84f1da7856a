"""Staff users: who counts as a desk user, never a customer's login, and how a user is named.

The one rule is used wherever staff are told apart from customers: the
desk's views, the admin (extdesk.desk.admin_site), the portal's file
downloads, the people staff mail goes to and the people a ticket can be
assigned to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
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


# What a customer reads for a staff member who has given no name: never their login name.
NEUTRAL_STAFF_NAME = "Support team"


def profile_name(user: User) -> str:
    """The display name the staff member chose in their profile; empty without one.

    Costs a query unless the profile was loaded with the user
    (``select_related("staff_profile")``), as every desk list does.
    """
    try:
        profile = user.staff_profile
    except ObjectDoesNotExist:
        return ""
    return profile.display_name


def display_name(user: User) -> str:
    """A user as the desk's pages and history name them: display name, else full name, else user name."""
    return profile_name(user) or user.get_full_name() or user.get_username()


def public_name(user: User) -> str:
    """A staff member as customers see them (portal, mail): display name, else full name, else
    "Support team". The login name is never shown to a customer: it is half of a staff sign-in.
    """
    return profile_name(user) or user.get_full_name() or NEUTRAL_STAFF_NAME


def signature(user: User) -> str:
    """The signature the staff member keeps in their profile; empty without one (a query unless loaded)."""
    try:
        return user.staff_profile.signature
    except ObjectDoesNotExist:
        return ""


def signed(body: str, user: User) -> str:
    """A public reply's text with the author's signature under it, after the usual "-- " line.

    The text as it stands when the signature is empty.
    """
    text = signature(user).strip()
    if not text:
        return body
    return f"{body.rstrip()}\n\n-- \n{text}"
