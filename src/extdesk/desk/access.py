"""Who may use the staff desk's pages: desk users (extdesk.helpdesk.staff), never a customer's login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from extdesk.helpdesk.staff import is_desk_user


class StaffRequest(HttpRequest):
    """The request of a view behind staff_required, for the type checker: a desk user is signed in."""

    user: User


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send everyone but desk users to the desk's sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_desk_user(request.user):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper
