"""Issuing and redeeming one-time login tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from extdesk.contacts.models import Contact
from extdesk.periodic import Periodic
from extdesk.web.addresses import IPAddress

from .models import Action, LoginRecord, LoginToken
from .usernames import customer_username

log = logging.getLogger("extdesk.sso")


def _who(contact: Contact) -> str:
    # Named as the platform knows the person: the helpdesk's own row number
    # means nothing to whoever reads the log beside the platform's.
    if contact.platform_id is not None:
        return f"person {contact.platform_id} (contact {contact.pk})"
    return f"guest contact {contact.pk}"

TOKEN_BYTES = 32  # 256 bits; the protocol asks for at least 128
# token_urlsafe(32) is 43 characters; anything else in the URL is not ours.
TOKEN_LENGTH = 43


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def issue_token(contact: Contact, ip: IPAddress, act: str) -> str:
    """Create a token for ``contact`` usable from ``ip``; returns the token (never stored)."""
    if act not in Action.values:
        raise ValueError(f"act must be one of {', '.join(Action.values)}")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    LoginToken.objects.create(
        token_hash=hash_token(token), contact=contact, act=act, ip=str(ip),
        created_at=now, expires_at=now + timedelta(seconds=settings.EXTDESK_SSO_TTL),
    )
    _maybe_prune(now)
    return token


_PRUNE_EVERY_SECONDS = 60
_pruning = Periodic()


def prune_tokens(now: datetime) -> int:
    """Delete tokens that expired over a day ago; returns how many."""
    deleted, _ = LoginToken.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted


def _maybe_prune(now: datetime) -> None:
    # Old tokens are useless; removing them as tokens are issued keeps the
    # table small, and once a minute is enough for that.
    if _pruning.due(_PRUNE_EVERY_SECONDS):
        prune_tokens(now)


@dataclass(frozen=True)
class Redeemed:
    contact: Contact
    user: User
    act: str
    token: LoginToken


def redeem_token(token: str, visitor_ip: IPAddress | None, user_agent: str = "") -> Redeemed | None:
    """Use up ``token`` for a visitor at ``visitor_ip``; None when it must be refused.

    Refused: unknown, used, expired, or (unless EXTDESK_SSO_CHECK_IP is
    off) another address than the one it was issued for. The claim is one
    conditional UPDATE, so of two simultaneous uses exactly one wins.
    """
    if len(token) != TOKEN_LENGTH:
        return None
    now = timezone.now()
    found = (
        LoginToken.objects.filter(token_hash=hash_token(token)).select_related("contact__user").first()
    )
    if found is None:
        log.info("refused login: unknown token")
        return None
    if found.used_at is not None or found.expires_at <= now:
        log.info("refused login for %s: token %s", _who(found.contact),
                 "already used" if found.used_at else "expired")
        return None
    if settings.EXTDESK_SSO_CHECK_IP and (visitor_ip is None or str(visitor_ip) != found.ip):
        log.warning("refused login for %s: token issued for %s, used from %s",
                    _who(found.contact), found.ip, visitor_ip)
        return None
    linked = found.contact.user if found.contact.user_id is not None else None
    if linked is not None and not linked.is_active:
        log.warning("refused login for %s: its user is deactivated", _who(found.contact))
        return None
    if linked is not None and (linked.is_staff or linked.is_superuser):
        # Linked to a staff account (an install taken over before the login
        # stopped adopting users by name): a customer never signs in as staff.
        log.warning("refused login for %s: it is linked to staff account %s",
                    _who(found.contact), found.contact.user_id)
        return None
    with transaction.atomic():
        claimed = LoginToken.objects.filter(pk=found.pk, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now
        )
        if claimed != 1:
            log.info("refused login for %s: token used concurrently", _who(found.contact))
            return None
        user = user_for_contact(found.contact)
        LoginRecord.objects.create(
            contact=found.contact, token=found, ip=str(visitor_ip or found.ip),
            user_agent=user_agent[:255], created_at=now,
        )
    return Redeemed(found.contact, user, found.act, found)


def used_token_act(token: str, contact: Contact) -> str | None:
    """The act of ``token`` if it is ``contact``'s own and already used, else None.

    Lets a customer who is still signed in open a used link of their own
    again (the back button, a second click) and go on to its page; the
    token stays used and signs nobody in.
    """
    if len(token) != TOKEN_LENGTH:
        return None
    return (
        LoginToken.objects.filter(token_hash=hash_token(token), contact=contact, used_at__isnull=False)
        .values_list("act", flat=True).first()
    )


def is_spent(token: str) -> bool:
    """Whether ``token`` is one of ours that was used or has expired (a 410, not a 403).

    The token is 256 random bits: saying that a link was ours tells nobody
    anything usable, and the customer learns to fetch a new one.
    """
    if len(token) != TOKEN_LENGTH:
        return False
    found = (LoginToken.objects.filter(token_hash=hash_token(token))
             .values_list("used_at", "expires_at").first())
    return found is not None and (found[0] is not None or found[1] <= timezone.now())


def user_for_contact(contact: Contact) -> User:
    """The contact's Django user, created (without a usable password) on first login.

    The user is found through the contact's link only, never by its name:
    an existing user called ``contact-<id>`` (a staff account from before
    such names were reserved) is somebody else's and is left alone.
    """
    with transaction.atomic():
        # The row lock makes two first logins of one contact create one user
        # (PostgreSQL; SQLite's IMMEDIATE transactions queue them anyway).
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.user_id is None:
            user = _new_customer_user(locked)
            Contact.objects.filter(pk=contact.pk).update(user=user)
        elif locked.user_id == contact.user_id and contact.user is not None:
            # Still the user the caller loaded (redeem_token joins it in).
            user = contact.user
        else:
            user = User._default_manager.get(pk=locked.user_id)
    contact.user = user
    # The platform owns the address; keep the user's copy current for mail.
    if user.email != contact.email:
        user.email = contact.email
        user.save(update_fields=["email"])
    return user


def _new_customer_user(contact: Contact) -> User:
    """A new user for ``contact``: ``contact-<id>``, or with a random tail when that name is taken."""
    manager = User._default_manager
    # Guests (no platform id) never sign in: init_session finds contacts by platform id.
    assert contact.platform_id is not None
    base = customer_username(contact.platform_id)
    name = base
    # Case-insensitively, as createstaff compares names: no "Contact-7" beside "contact-7".
    if manager.filter(**{f"{User.USERNAME_FIELD}__iexact": base}).exists():
        name = f"{base}-{secrets.token_hex(4)}"
    try:
        with transaction.atomic():
            return manager.create_user(username=name, email=contact.email)
    except IntegrityError:
        # Somebody took the name since the check; a longer random tail is free.
        return manager.create_user(username=f"{base}-{secrets.token_hex(8)}", email=contact.email)
