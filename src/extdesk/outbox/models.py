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
    # Sent a copy (Cc): named in the Cc header and given RCPT TO like the recipients.
    cc = models.JSONField(default=list, blank=True)
    subject = models.TextField()
    body = models.TextField()
    # Its Message-ID (without angle brackets), fixed when it is queued, so
    # that a reply to it, or a bounce of it, can be traced back here.
    mail_id = models.CharField(max_length=255, blank=True, default="")
    # Further headers, in order, as [name, value] pairs: threading
    # (In-Reply-To, References), Reply-To, Auto-Submitted and the helpdesk's own.
    headers = models.JSONField(default=list, blank=True)
    # What the message is about ("the staff reply on #42"), for logs that must not quote the body.
    about = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # A delivery report came back for it: when, and what it said (status and diagnostic).
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce = models.TextField(blank=True, default="")

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
            models.Index(fields=["mail_id"], name="outbox_message_id"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {', '.join(self.recipients)}"

    @property
    def state(self) -> str:
        if self.bounced_at is not None:
            return "bounced"
        if self.sent_at is not None:
            return "sent"
        if self.failed_at is not None:
            return "failed"
        return "queued"
