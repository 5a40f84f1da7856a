"""Who may use the staff desk's pages: desk users (extdesk.helpdesk.staff), never a customer's login."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from extdesk.helpdesk.staff import desk_users


class StaffRequest(HttpRequest):
    """The request of a view behind staff_required, for the type checker: a desk user is signed in."""

    user: User


def _signed_in_desk_user(request: HttpRequest) -> bool:
    """is_desk_user in the same one query, which also loads the user's profile for the page's header."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    found = desk_users().filter(pk=user.pk).select_related("staff_profile").first()
    if found is None:
        return False
    # The user's side of StaffProfile.user: its cache takes the loaded profile, or its absence.
    User._meta.get_field("staff_profile").set_cached_value(user, getattr(found, "staff_profile", None))
    return True


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send everyone but desk users to the desk's sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _signed_in_desk_user(request):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return view(request, *args, **kwargs)

    return wrapper
