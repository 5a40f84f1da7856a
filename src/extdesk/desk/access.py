"""Who may use the staff desk: active staff users, never a customer's login.

The one rule is used wherever staff are told apart from customers: the
desk's views, the admin (extdesk.desk.admin_site), the people staff mail
goes to and the people a ticket can be assigned to.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse


def desk_users() -> QuerySet:
    """Every desk user: active staff that is not a contact's login.

    The contact check guards against a customer's user being given staff
    rights by mistake in the admin: the desk shows every customer's tickets.
    """
    users = get_user_model()._default_manager
    return users.filter(is_active=True, is_staff=True, contact__isnull=True)


def is_desk_user(user) -> bool:
    """True for one of ``desk_users()``; anonymous visitors and customers cost no query."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return desk_users().filter(pk=user.pk).exists()


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send everyone but desk users to the desk's sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_desk_user(request.user):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper
