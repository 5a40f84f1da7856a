"""The signed links of the resolved mail: one per choice, naming the ticket, the resolution and the choice.

A link is a django.core.signing token under a salt used for nothing else,
so that no other signed value of the site (a session, another app's token)
is ever taken for one, nor one for it. It expires with the rating window
(RATING_WINDOW after it was signed, which is when the ticket was resolved),
and it is good only on its own ticket's page: it opens no session and
leads nowhere but the rating of that resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exceptions import RatingRefused
from .models import Choice, Resolution

SALT = "extdesk.ratings.link"
NOT_VALID = gettext_lazy("This rating link is not valid. Use the link from your e-mail as it is.")
# How long after the resolution its rating can still be given or changed.
RATING_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class LinkTarget:
    """What a valid link names."""

    ticket_id: int
    resolution_id: int
    choice: str


def token(resolution: Resolution, choice: str) -> str:
    """The signed token of ``choice`` for ``resolution``."""
    payload = {"t": resolution.ticket_id, "r": resolution.pk, "c": Choice(choice).value}
    return signing.dumps(payload, salt=SALT)


def url(resolution: Resolution, choice: str) -> str:
    """The absolute address of the link that rates ``resolution`` as ``choice``."""
    path = reverse("ratings:link", args=[resolution.ticket_id, token(resolution, choice)])
    return f"{settings.EXTDESK_BASE_URL}{path}"


def read(ticket_id: int, value: str) -> LinkTarget:
    """What a link's token names, checked for the ticket of the page it was opened on; RatingRefused else."""
    try:
        payload = signing.loads(value, salt=SALT, max_age=RATING_WINDOW)
    except signing.SignatureExpired:
        raise RatingRefused(_("This rating link has expired: ratings are taken for %(days)d days after a "
                              "ticket is resolved.") % {"days": RATING_WINDOW.days}, status=410) from None
    except signing.BadSignature:
        raise RatingRefused(str(NOT_VALID)) from None
    fields = payload if isinstance(payload, dict) else {}
    ticket, resolution, choice = fields.get("t"), fields.get("r"), fields.get("c")
    # Signed by this site, so well formed unless the signing key was shared: checked all the same.
    if not (isinstance(ticket, int) and isinstance(resolution, int) and choice in Choice.values):
        raise RatingRefused(str(NOT_VALID))
    if ticket != ticket_id:
        raise RatingRefused(_("This rating link belongs to another ticket."))
    return LinkTarget(ticket, resolution, str(choice))
