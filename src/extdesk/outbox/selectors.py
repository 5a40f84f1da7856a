from __future__ import annotations

from datetime import datetime

from .models import OutgoingMail


def due_ids(now: datetime, limit: int) -> list[int]:
    """Pending messages whose next attempt has come, oldest appointment first."""
    pending = OutgoingMail.objects.filter(sent_at__isnull=True, failed_at__isnull=True,
                                          next_attempt_at__lte=now)
    return list(pending.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
