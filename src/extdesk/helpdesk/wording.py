"""How a customer reads a ticket's status; staff keep the labels of ``models.Status``.

One mapping for every place a customer is told a status: the portal's
pages and the customer's mail (``notifications.status_changed``).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Status

_CUSTOMER_STATUS: dict[str, Promise] = {
    Status.NEW: _("Received"),
    Status.OPEN: _("In progress"),
    Status.WAITING: _("Awaiting your reply"),
    Status.RESOLVED: _("Solved"),
    Status.CLOSED: _("Closed"),
}


def customer_status_label(status: str) -> str:
    """The status as the customer reads it, in the active language; an unknown value as it is."""
    label = _CUSTOMER_STATUS.get(str(status))
    return str(label) if label is not None else str(status)
