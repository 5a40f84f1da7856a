"""Canned replies: prepared answers agents insert into the reply box and edit before sending.

A personal reply is its owner's alone: only they see, change or delete it.
A shared reply (no owner) is offered to every desk user; superusers create,
change and delete shared replies, so that the team's common answers change
only by the people who run the desk. The writes are one transaction each;
refusals are InvalidInput (by field) and NotAllowed.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from extdesk.helpdesk.exceptions import InvalidInput, NotAllowed
from extdesk.helpdesk.models import CannedReply, Ticket
from extdesk.helpdesk.staff import is_desk_user

from . import placeholders

MAX_TITLE_LENGTH = 100
MAX_BODY_LENGTH = 20_000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# ---------------------------------------------------------------- who may


def may_share(user: User) -> bool:
    """Whether ``user`` may create, change and delete shared replies."""
    return user.is_superuser and is_desk_user(user)


def may_change(reply: CannedReply, user: User) -> bool:
    """Personal replies by their owner, shared ones by superusers."""
    if reply.owner_id is not None:
        return reply.owner_id == user.pk
    return may_share(user)


def _check(reply: CannedReply | None, user: User, *, shared: bool) -> None:
    if not is_desk_user(user):
        raise NotAllowed("only active staff members may manage canned replies")
    if reply is not None and not may_change(reply, user):
        raise NotAllowed(f"user {user.pk} may not change canned reply {reply.pk}")
    if shared and not may_share(user):
        raise NotAllowed("only superusers share canned replies")


# ---------------------------------------------------------------- validation


def _clean(title: str, body: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    if not title:
        errors.setdefault("title", []).append(_("Enter a name for the reply."))
    elif len(title) > MAX_TITLE_LENGTH:
        errors.setdefault("title", []).append(
            _("Keep the name to %(limit)s characters (it has %(length)s).") % {
                "limit": MAX_TITLE_LENGTH, "length": len(title)})
    elif _CONTROL_CHARS.search(title):
        errors.setdefault("title", []).append(_("The name contains control characters."))
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        errors.setdefault("body", []).append(_("Enter the text of the reply."))
    elif len(body) > MAX_BODY_LENGTH:
        errors.setdefault("body", []).append(
            _("Keep the text to %(limit)s characters (it has %(length)s).") % {
                "limit": MAX_BODY_LENGTH, "length": len(body)})
    elif "\x00" in body:
        errors.setdefault("body", []).append(_("The text contains a NUL character."))
    elif unknown := placeholders.unknown_placeholders(body):
        known = ", ".join(f"{{{{ {name} }}}}" for name in placeholders.PLACEHOLDERS)
        errors.setdefault("body", []).append(ngettext(
            "Unknown placeholder: %(unknown)s. The placeholders are %(known)s.",
            "Unknown placeholders: %(unknown)s. The placeholders are %(known)s.", len(unknown)) % {
                "unknown": ", ".join(unknown), "known": known})
    if errors:
        raise InvalidInput(errors)
    return title, body


# ---------------------------------------------------------------- writes


def create_canned_reply(*, actor: User, title: str, body: str, shared: bool = False) -> CannedReply:
    """A new reply, the actor's own unless ``shared`` (superusers only)."""
    _check(None, actor, shared=shared)
    title, body = _clean(title, body)
    now = timezone.now()
    with transaction.atomic():
        return CannedReply.objects.create(title=title, body=body, owner=None if shared else actor,
                                          created_at=now, updated_at=now)


def update_canned_reply(reply: CannedReply, *, actor: User, title: str, body: str,
                        shared: bool | None = None) -> CannedReply:
    """Change a reply's name and text; ``shared`` True shares it, False makes it the actor's own.

    Sharing, and taking a shared reply for one's own, are for superusers.
    ``shared`` None leaves that as it is.
    """
    share = reply.is_shared if shared is None else shared
    _check(reply, actor, shared=share or reply.is_shared)
    title, body = _clean(title, body)
    with transaction.atomic():
        current = CannedReply.objects.select_for_update().get(pk=reply.pk)
        current.title, current.body = title, body
        current.owner = None if share else (current.owner or actor)
        current.updated_at = timezone.now()
        current.save(update_fields=["title", "body", "owner", "updated_at"])
    return current


def delete_canned_reply(reply: CannedReply, *, actor: User) -> None:
    _check(reply, actor, shared=False)
    with transaction.atomic():
        CannedReply.objects.filter(pk=reply.pk).delete()


# ---------------------------------------------------------------- reads


def canned_replies_for(user: User, search: str = "") -> QuerySet[CannedReply]:
    """The replies ``user`` may use (theirs and the shared ones), by name; ``search`` in the name."""
    replies = CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
    if search := " ".join((search or "").split()):
        replies = replies.filter(title__icontains=search)
    return replies.order_by("title", "id")


def canned_reply_for(user: User, pk: int | str) -> CannedReply | None:
    """The reply if ``user`` may use it; None for others' personal replies and unknown ids."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return canned_replies_for(user).filter(pk=number).first()


def filled(reply: CannedReply, ticket: Ticket, agent: User) -> str:
    """The reply's text for ``agent`` answering ``ticket``, its placeholders filled."""
    return placeholders.fill(reply.body, placeholders.ticket_values(ticket, agent))
