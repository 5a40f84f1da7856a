"""Writes of the staff desk outside the tickets: staff accounts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from extdesk.sso.usernames import RESERVED_MESSAGE, is_reserved_username


def create_staff_user(
    username: str, password: str, *, email: str = "", superuser: bool = False
) -> AbstractBaseUser:
    """Create a staff user who can sign in to the desk (and, as superuser, the admin).

    Raises ValidationError naming each wrong field; nothing is written then.
    """
    user_model = get_user_model()
    errors: dict[str, list[str]] = {}
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)

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
        raise ValidationError(errors)

    candidate.is_staff = True
    candidate.is_superuser = superuser
    candidate.set_password(password)
    candidate.save()
    return candidate
