"""Who may use the staff desk: active staff users, never a customer's login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from extdesk.contacts.models import Contact


def is_desk_user(user) -> bool:
    """True for an active staff user that is not a contact's login.

    The contact check guards against a customer's user being given staff
    rights by mistake in the admin: the desk shows every customer's tickets.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return not Contact.objects.filter(user_id=user.pk).exists()


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send everyone but desk users to the desk's sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_desk_user(request.user):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper
