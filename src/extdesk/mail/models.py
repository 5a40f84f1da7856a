"""Every mail that came in, whatever became of it: the record that makes delivery exactly-once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from extdesk.contacts.models import Contact
from extdesk.helpdesk.models import Message, Ticket
from extdesk.helpdesk.storage import attachment_storage
from extdesk.outbox.models import OutgoingMail


class Outcome(models.TextChoices):
    TICKET = "ticket", _("New ticket")
    REPLY = "reply", _("Reply on a ticket")
    HELD = "held", _("Held for staff")
    DELETED = "deleted", _("Deleted by staff")
    BOUNCE = "bounce", _("Delivery report")
    OWN = "own", _("The helpdesk's own mail, come back")
    REFUSED = "refused", _("Unknown sender, refused")
    DROPPED = "dropped", _("An automatic answer, recorded only")


class InboundMail(models.Model):
    """One message received by pipe or IMAP.

    ``dedup_key`` is unique: the same message delivered twice (by the MTA
    twice, or by pipe and IMAP) finds its row and is not stored again. The
    row is written in the transaction that stores the ticket or reply, so
    either both exist or neither does.
    """

    dedup_key = models.CharField(max_length=64, unique=True)
    mail_id = models.CharField(max_length=255, blank=True, default="")
    # "pipe", or the mailbox it was fetched from (imaps://user@host/INBOX, no password).
    source = models.CharField(max_length=255)
    sender_address = models.CharField(max_length=254, blank=True, default="")
    sender_name = models.CharField(max_length=255, blank=True, default="")
    subject = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField()
    # The whole original (.eml), under a random name in the attachment store;
    # empty when nothing of it is kept (refused, deleted).
    raw = models.FileField(storage=attachment_storage, max_length=255, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # Why it was held, refused or dropped, or why no automatic answer went
    # out ("Auto-Submitted: auto-replied"); shown to staff.
    reason = models.CharField(max_length=255, blank=True, default="")
    received_at = models.DateTimeField()
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbound_mail")
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="inbound_mail")
    # The outgoing message a delivery report is about.
    bounced = models.ForeignKey(OutgoingMail, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="bounces")
    # Who released or deleted a held mail, and when.
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "incoming mail"
        verbose_name_plural = "incoming mail"
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="inbound_outcome_received"),
            # How many new tickets one sender opened in the last hour.
            models.Index(fields=["sender_address", "outcome", "received_at"], name="inbound_sender_recent"),
            models.Index(fields=["mail_id"], name="inbound_message_id"),
        ]

    def __str__(self) -> str:
        return f"mail from {self.sender_address or 'nobody'}: {self.subject}"
