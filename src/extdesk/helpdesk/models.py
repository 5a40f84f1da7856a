"""Tickets, their threads, attachments and history."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from extdesk.contacts.models import Account, Contact

from .staff import display_name, public_name
from .storage import attachment_storage, attachment_upload_to


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting on customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# What a customer calls "open" and "closed" in the ticket list filter.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)


class Priority(models.IntegerChoices):
    # Integers so that sorting by priority means sorting by urgency.
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Speaker(models.TextChoices):
    """Who wrote a ticket's latest public message: what the queue shows beside it."""

    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Agent")


class Escalation(models.IntegerChoices):
    """How far a ticket's SLA target has been escalated: each step is notified once."""

    NONE = 0, "None"
    WARNED = 1, "Warned (80 %)"
    BREACHED = 2, "Breached"


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True, help_text=_("Offered to customers on new tickets."))
    position = models.PositiveIntegerField(default=0, help_text=_("Lower numbers are listed first."))

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label staff put on tickets ("refund", "dns") to find and group them."""

    # Stored as typed (trimmed, single-spaced); unique whatever the case.
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A customer's request; its ``id`` is the number people quote (#123)."""

    subject = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # The newest public message or status change: the lists sort on it.
    last_activity_at = models.DateTimeField()
    # Raised by every write to the ticket, its thread or its properties: a
    # form drawn from an older version is a collision, not an update.
    version = models.PositiveIntegerField(default=1)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    # Set when the ticket was merged into another; it is then closed and points there.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_from")

    # The SLA clocks (extdesk.sla), stored and recomputed by every change that affects them, so
    # that no page computes them per row. Targets are counted in business time, on one clock for
    # both: it runs while the ticket waits on staff and pauses while it waits on the customer.
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # The soonest due time still pending; empty while the clock is paused or nothing is due.
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Business seconds the clock ran before ``sla_clock_since``, from which it runs now
    # (empty: paused or stopped).
    sla_elapsed_seconds = models.PositiveIntegerField(default=0)
    sla_clock_since = models.DateTimeField(null=True, blank=True)
    # The first public staff reply; the latest resolution and closing (empty once reopened).
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Escalation of each target (notified once per step), and when the next step falls due.
    first_response_escalation = models.PositiveSmallIntegerField(choices=Escalation.choices,
                                                                 default=Escalation.NONE)
    resolution_escalation = models.PositiveSmallIntegerField(choices=Escalation.choices,
                                                             default=Escalation.NONE)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # A target was missed: marked in the queue, counted in the reports.
    first_response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    # Who wrote the latest public message, and its first line (the queue's rows show both).
    last_speaker = models.CharField(max_length=8, choices=Speaker.choices, blank=True, default="")
    last_message_excerpt = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        indexes = [
            # The customer's list reads each of these in order, a page at a time (backwards: newest
            # first); the trailing columns let it filter by status, and count, inside the index.
            models.Index(fields=["contact", "last_activity_at", "id", "account", "status"],
                         name="ticket_contact_list"),
            models.Index(fields=["account", "last_activity_at", "id", "status"], name="ticket_account_list"),
            models.Index(fields=["status", "-last_activity_at"], name="ticket_status_activity"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["-last_activity_at", "-id"], name="ticket_activity"),
            # The queue's sorts read these forwards or backwards, a page at a time.
            models.Index(fields=["priority", "last_activity_at", "id"], name="ticket_priority_activity"),
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            # Needs attention: the tickets waiting on staff, soonest due first, then oldest.
            models.Index(fields=["next_due_at", "created_at", "id"], name="ticket_needs_attention",
                         condition=Q(status__in=["new", "open"])),
            # The worker's duties: escalations falling due, resolved tickets to close.
            models.Index(fields=["next_escalation_at"], name="ticket_escalation_due",
                         condition=Q(next_escalation_at__isnull=False)),
            models.Index(fields=["status", "resolved_at"], name="ticket_status_resolved"),
            # The reports: tickets closed per day.
            models.Index(fields=["closed_at"], name="ticket_closed",
                         condition=Q(closed_at__isnull=False)),
        ]
        # PostgreSQL also has a trigram index on UPPER(subject) for the queue's text
        # search (migration 0002); it is not declared here because SQLite cannot build it.

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def number(self) -> int:
        return self.pk

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Channel(models.TextChoices):
    """How a message reached the helpdesk."""

    WEB = "web", "Web"
    EMAIL = "email", "E-mail"


class Message(models.Model):
    """One entry of a ticket's thread, written by the contact or by staff."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket_messages",
    )
    body = models.TextField()
    # Internal notes are for staff only: never shown to, nor mailed to, the customer.
    is_internal = models.BooleanField(default=False)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField()
    # The ticket version the write that added it made (services.bump_version stamps it): what a
    # form drawn from an older version has not seen. Empty only inside that write's transaction.
    version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(author_contact__isnull=False, author_user__isnull=True)
                           | Q(author_contact__isnull=True, author_user__isnull=False)),
                name="message_one_author",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} on ticket {self.ticket_id}"

    @property
    def by_staff(self) -> bool:
        return self.author_user_id is not None

    @property
    def author_name(self) -> str:
        # One of the two is set (the message_one_author constraint).
        if self.author_contact is not None:
            return self.author_contact.display_name
        return display_name(self.author_user) if self.author_user is not None else ""

    @property
    def public_author_name(self) -> str:
        """The author as the customer sees them: staff by their public name, never their login name."""
        if self.author_contact is not None:
            return self.author_contact.display_name
        return public_name(self.author_user) if self.author_user is not None else ""


class MailReference(models.Model):
    """A Message-ID that the helpdesk sent or received for a ticket: what a mail's reply threads on.

    Written for every notification queued about a ticket and every mail
    stored on one; a mail whose In-Reply-To or References names one of
    these is a reply on that ticket (when its sender may see the ticket).
    """

    # Without the angle brackets; RFC 5322 allows 998 characters a line, and
    # real ids stay far below this.
    mail_id = models.CharField(max_length=255)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mail_references")
    # The thread entry the mail carried or reported, when there is one.
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["mail_id"], name="mailref_message_id"),
            models.Index(fields=["ticket", "created_at"], name="mailref_ticket_created"),
        ]

    def __str__(self) -> str:
        return f"<{self.mail_id}> on ticket {self.ticket_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=attachment_storage, upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    REPLIED = "replied", _("Replied")
    NOTE = "note", _("Internal note")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    CATEGORY = "category", _("Category changed")
    TAGS = "tags", _("Tags changed")
    MERGED = "merged", _("Merged")
    # A resolved ticket the customer did not answer for EXTDESK_AUTO_CLOSE_DAYS (extdesk.sla.duties).
    AUTO_CLOSED = "auto_closed", _("Closed automatically")
    # An address copied on the ticket's mail (TicketCopy) was added or removed; the value names it.
    COPY_ADDED = "copy_added", _("Copy (Cc) added")
    COPY_REMOVED = "copy_removed", _("Copy (Cc) removed")


class CopyWay(models.TextChoices):
    """How an address came to be copied on a ticket."""

    MAIL = "mail", _("by e-mail")
    DESK = "desk", _("on the desk")
    PORTAL = "portal", _("in the portal")


class TicketCopy(models.Model):
    """An address that gets a copy (Cc) of every mail the ticket's customer gets, and may answer by mail.

    Its mail to the ticket is threaded on it like the contact's own
    (extdesk.mail.routing.may_see); removing the copy takes that away.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="copies")
    # As given (trimmed); unique on the ticket whatever its case.
    address = models.CharField(max_length=254)
    added_at = models.DateTimeField()
    # Who added it: a staff member, or a contact (the customer, or the mail that named it).
    added_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    added_by_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    how = models.CharField(max_length=8, choices=CopyWay.choices)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name_plural = "ticket copies"
        constraints = [models.UniqueConstraint("ticket", Lower("address"), name="ticket_copy_unique_ci")]
        # Incoming mail asks whether its sender is copied on a ticket, by address.
        indexes = [models.Index(Lower("address"), name="ticket_copy_address")]

    def __str__(self) -> str:
        return f"{self.address} copied on ticket {self.ticket_id}"


class StaffProfile(models.Model):
    """What customers see of a staff member (the name they sign with, their signature), and which
    staff mail they want.

    The login name never reaches a customer (helpdesk.staff.public_name). A
    staff member without a profile (one added in the admin) wants every
    mail, as the defaults say: the mail preferences only ever take mail away.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="staff_profile")
    display_name = models.CharField(max_length=100, blank=True, default="")
    # Appended to the agent's public replies.
    signature = models.TextField(blank=True, default="", max_length=2000)
    # Which staff mail they get (helpdesk.selectors.staff_mail_recipients); all on, as before there was
    # a choice. "Mine": the tickets assigned to them; "unassigned": the tickets nobody is assigned to.
    mail_new_unassigned = models.BooleanField(_("New tickets nobody is assigned to"), default=True)
    mail_replies_unassigned = models.BooleanField(_("Customer replies on unassigned tickets"), default=True)
    mail_mine = models.BooleanField(_("New tickets and replies on tickets assigned to me"), default=True)
    mail_escalations_mine = models.BooleanField(
        _("Escalations (SLA warnings and breaches) of my tickets"), default=True)
    mail_escalations_unassigned = models.BooleanField(_("Escalations of unassigned tickets"), default=True)

    def __str__(self) -> str:
        return self.display_name or f"profile of user {self.user_id}"


# The staff mail preferences, in the order the profile page shows them.
MAIL_PREFERENCES = ("mail_new_unassigned", "mail_replies_unassigned", "mail_mine", "mail_escalations_mine",
                    "mail_escalations_unassigned")


class StaffMail(StrEnum):
    """What a staff mail is about; each kind has its "mine" and its "unassigned" preference."""

    NEW_TICKET = "new_ticket"
    CUSTOMER_REPLY = "customer_reply"
    ESCALATION = "escalation"


# Each kind's preferences: (the assignee's, the desk users' while nobody is assigned).
STAFF_MAIL_PREFERENCES = {
    StaffMail.NEW_TICKET: ("mail_mine", "mail_new_unassigned"),
    StaffMail.CUSTOMER_REPLY: ("mail_mine", "mail_replies_unassigned"),
    StaffMail.ESCALATION: ("mail_escalations_mine", "mail_escalations_unassigned"),
}


class CannedReply(models.Model):
    """A prepared answer, inserted into the reply box and edited before sending.

    Shared with every agent when ``owner`` is empty, else its owner's own.
    Placeholders (``{{ contact.first_name }}``) are filled from the ticket.
    """

    title = models.CharField(max_length=100)
    body = models.TextField(max_length=20_000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="canned_replies")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class TicketEvent(models.Model):
    """One line of a ticket's history: who changed what, from what to what."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    # Display values (labels, names), so history reads right after renames.
    old_value = models.CharField(max_length=255, blank=True, default="")
    new_value = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()
    # As Message.version: the ticket version this change made.
    version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id}"

    @property
    def actor_name(self) -> str:
        if self.actor_contact is not None:
            return self.actor_contact.display_name
        if self.actor_user is not None:
            return display_name(self.actor_user)
        return "system"
