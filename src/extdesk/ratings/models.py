"""Satisfaction ratings: one per resolution of a ticket, good or bad, with an optional comment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from extdesk.contacts.models import Contact
from extdesk.helpdesk.models import Category, Ticket


class Choice(models.TextChoices):
    GOOD = "good", _("Good")
    BAD = "bad", _("Bad")


class Resolution(models.Model):
    """One time a ticket was resolved (or closed without being resolved first), until it is reopened.

    Written by this app when the ticket enters resolved or closed (services.open_resolution), so
    that a rating names the very resolution it is about, and credits the agent and category of that
    moment, whatever changes after it. A ticket resolved, reopened and resolved again has two.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="resolutions")
    resolved_at = models.DateTimeField()
    # Set when the ticket was reopened: the resolution is over, its rating read-only.
    reopened_at = models.DateTimeField(null=True, blank=True)
    # The ticket's assignee at the resolution, else the staff member who wrote its last public reply.
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["resolved_at", "id"]
        constraints = [
            # A ticket has at most one resolution in force.
            models.UniqueConstraint(fields=["ticket"], condition=Q(reopened_at__isnull=True),
                                    name="resolution_one_current"),
        ]
        # The reports count the ratings of the resolutions made in a period.
        indexes = [models.Index(fields=["resolved_at"], name="resolution_resolved")]

    def __str__(self) -> str:
        return f"resolution of ticket {self.ticket_id} at {self.resolved_at:%Y-%m-%d %H:%M}"


class Rating(models.Model):
    """The customer's answer to "Were you helped?" for one resolution; a change replaces it."""

    # One rating per resolution: the unique key that stops a second one.
    resolution = models.OneToOneField(Resolution, on_delete=models.CASCADE, related_name="rating")
    # The resolution's ticket, kept here too so that the queue filters ratings without a join.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    choice = models.CharField(max_length=4, choices=Choice.choices)
    comment = models.TextField(blank=True, default="")
    # Who rated (the ticket's contact through the mailed link, or a member of its account in the portal).
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["choice", "ticket"], name="rating_choice_ticket")]

    def __str__(self) -> str:
        return f"{self.choice} for ticket {self.ticket_id}"


class SubmissionWindow(models.Model):
    """Rating submissions from one address in its current window (the throttle; services.throttle)."""

    address = models.CharField(max_length=64, primary_key=True)
    # Unix seconds of the window's first submission.
    window_start = models.BigIntegerField(db_index=True)
    submissions = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.address}: {self.submissions} since {self.window_start}"
