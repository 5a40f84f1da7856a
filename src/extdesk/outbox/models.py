from django.db import models
from django.db.models import Q


class OutgoingMail(models.Model):
    """One message to send; the row outlives the sending, as its record.

    Pending while ``sent_at`` and ``failed_at`` are both empty; due once
    ``next_attempt_at`` has passed. A sender that takes a message moves
    ``next_attempt_at`` ahead by a lease first, so no other sender takes it
    meanwhile, and a sender that dies mid-way leaves it due again later.
    """

    recipients = models.JSONField()
    subject = models.TextField()
    body = models.TextField()
    # What the message is about ("the staff reply on #42"), for logs that must not quote the body.
    about = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "outgoing mail"
        verbose_name_plural = "outgoing mail"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="outbox_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {', '.join(self.recipients)}"

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "queued"
