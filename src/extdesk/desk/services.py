"""Writes of the staff desk outside the tickets: staff accounts and their sign-in."""

from __future__ import annotations

import logging
from typing import cast

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.http import HttpRequest

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.staff import is_desk_user
from extdesk.sso.usernames import RESERVED_MESSAGE, is_reserved_username

from . import throttle

log = logging.getLogger("extdesk.desk")


def create_staff_user(
    username: str, password: str, *, email: str = "", superuser: bool = False
) -> AbstractBaseUser:
    """Create a staff user who can sign in to the desk (and, as superuser, the admin).

    Raises InvalidInput naming each wrong field; nothing is written then.
    """
    user_model = get_user_model()
    errors: dict[str, list[str]] = {}
    username_field = cast(models.Field, user_model._meta.get_field(user_model.USERNAME_FIELD))

    if not username:
        errors.setdefault("username", []).append("Enter a user name.")
    elif username != username.strip():
        errors.setdefault("username", []).append("The user name must not start or end with spaces.")
    else:
        try:
            username_field.clean(username, None)
        except ValidationError as exc:
            errors.setdefault("username", []).extend(exc.messages)
        if is_reserved_username(username):
            errors.setdefault("username", []).append(RESERVED_MESSAGE)
        # Case-insensitively, so that no "Admin" can pass for "admin".
        if user_model._default_manager.filter(**{f"{user_model.USERNAME_FIELD}__iexact": username}).exists():
            errors.setdefault("username", []).append(f"A user named {username!r} already exists.")

    email = BaseUserManager.normalize_email(email.strip()) if email else ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(f"{email!r} is not a valid e-mail address.")

    candidate = user_model(**{user_model.USERNAME_FIELD: username, "email": email})
    if not password:
        errors.setdefault("password", []).append("Enter a password.")
    else:
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)

    if errors:
        raise InvalidInput(errors)

    candidate.is_staff = True
    candidate.is_superuser = superuser
    candidate.set_password(password)
    candidate.save()
    return candidate


def authenticate_staff(
    request: HttpRequest, *, username: str, password: str, address: str
) -> User | throttle.Lockout | None:
    """The desk user these credentials name, the Lockout in force instead, or None when they are wrong.

    The attempt is counted before the password is checked (extdesk.desk.throttle),
    so that parallel guesses cannot all slip under the limit; the right
    password of a desk user clears the failures of its name from ``address``.
    """
    attempt = throttle.begin(username, address)
    if isinstance(attempt, throttle.Lockout):
        log.warning("refused staff sign-in for %r from %s: locked out for %d s",
                    username, address, attempt.seconds_left)
        return attempt
    user = authenticate(request, username=username, password=password)
    if user is not None and is_desk_user(user):
        throttle.succeeded(attempt)
        return user
    # The attempt's row stays: it is this failure.
    log.warning("failed staff sign-in for %r from %s", username, address)
    return None
