"""Writes of the staff desk outside the tickets: staff accounts, their profiles and their sign-in."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import cast

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from extdesk.helpdesk.exceptions import InvalidInput
from extdesk.helpdesk.models import MAIL_PREFERENCES, StaffProfile
from extdesk.helpdesk.staff import is_desk_user
from extdesk.sso.usernames import RESERVED_MESSAGE, is_reserved_username

from . import throttle

log = logging.getLogger("extdesk.desk")

MAX_DISPLAY_NAME_LENGTH = 100
MAX_SIGNATURE_LENGTH = 2000
MAX_SIGNATURE_LINES = 12
# Every control character; a signature keeps its line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SIGNATURE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_display_name(name: str) -> str:
    """The name customers see: trimmed, single-spaced, at most 100 characters, one line."""
    if _CONTROL.search(name or ""):
        raise InvalidInput({"display_name": _("The name contains control characters (a line break, a tab).")})
    name = " ".join((name or "").split())
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidInput({"display_name": _(
            "Keep the name to %(limit)s characters (it has %(length)s).") % {
                "limit": MAX_DISPLAY_NAME_LENGTH, "length": len(name)}})
    return name


def clean_signature(text: str) -> str:
    """A signature: its lines as typed (ends trimmed), at most 2000 characters and 12 lines."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if _SIGNATURE_CONTROL.search(text):
        raise InvalidInput({"signature": _("The signature contains control characters.")})
    if len(text) > MAX_SIGNATURE_LENGTH:
        raise InvalidInput({"signature": _(
            "Keep the signature to %(limit)s characters (it has %(length)s).") % {
                "limit": MAX_SIGNATURE_LENGTH, "length": len(text)}})
    if text.count("\n") >= MAX_SIGNATURE_LINES:
        raise InvalidInput({"signature": _("Keep the signature to %(limit)s lines.") % {
            "limit": MAX_SIGNATURE_LINES}})
    return text


def update_staff_profile(user: User, *, display_name: str, signature: str,
                         mail: Mapping[str, bool] | None = None) -> StaffProfile:
    """Set the staff member's display name, signature and, given ``mail``, which staff mail they get
    (each of helpdesk.models.MAIL_PREFERENCES, ticked or not; None keeps them).

    InvalidInput naming each wrong field; nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str | bool] = {}
    for field, check, value in (("display_name", clean_display_name, display_name),
                                ("signature", clean_signature, signature)):
        try:
            cleaned[field] = check(value)
        except InvalidInput as exc:
            errors.update(exc.message_dict)
    if mail is not None:
        # All five or none: a missing one would silently keep an old choice the page showed otherwise.
        if set(mail) != set(MAIL_PREFERENCES) or not all(isinstance(v, bool) for v in mail.values()):
            errors[NON_FIELD_ERRORS] = [_("Choose, for each kind of mail, whether you want it.")]
        else:
            cleaned.update(mail)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        profile, _created = StaffProfile.objects.update_or_create(user=user, defaults=cleaned)
    # The user's cached profile, if any, is the old one.
    User._meta.get_field("staff_profile").set_cached_value(user, profile)
    return profile


# The command line's (createstaff) and the demo's: its refusals are printed in English, the language of
# the command line, whatever language the calling thread was left in.
@translation.override(None)
def create_staff_user(
    username: str, password: str, *, email: str = "", superuser: bool = False, display_name: str = "",
) -> AbstractBaseUser:
    """Create a staff user who can sign in to the desk (and, as superuser, the admin).

    ``display_name`` is the name customers will see (their profile's). Raises
    InvalidInput naming each wrong field; nothing is written then.
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

    try:
        display_name = clean_display_name(display_name)
    except InvalidInput as exc:
        errors.update(exc.message_dict)

    if errors:
        raise InvalidInput(errors)

    candidate.is_staff = True
    candidate.is_superuser = superuser
    candidate.set_password(password)
    with transaction.atomic():
        candidate.save()
        StaffProfile.objects.create(user=candidate, display_name=display_name)
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
