"""Data of the staff desk itself (the tickets belong to extdesk.helpdesk)."""

from django.contrib.auth.models import User
from django.db import models


class LoginFailure(models.Model):
    """One failed staff sign-in, or one whose password is being checked
    (desk.throttle writes the row first). Kept in the database so that every
    worker process counts the same failures when deciding on a lockout."""

    # As desk.throttle.throttle_key gives it, so that "Admin", "admin" and
    # " ad min" share one counter.
    username = models.CharField(max_length=150)
    # As web.addresses.request_address gives it: an address, or "unknown".
    address = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "address", "created_at"], name="desk_failure_pair_idx"),
            models.Index(fields=["address", "created_at"], name="desk_failure_addr_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.created_at:%Y-%m-%d %H:%M:%S}"


class StaffMember(User):
    """The staff users (not the customers' logins), for their own admin page."""

    class Meta:
        proxy = True
        verbose_name = "staff member"
        verbose_name_plural = "staff members"


class Presence(models.Model):
    """An agent who has a ticket open ("viewing") or is typing in its reply box ("replying").

    Each open desk tab renews its row every few seconds; a row not renewed
    for desk.presence's horizon is stale, so a closed tab stops showing
    within seconds, whether or not it said goodbye.
    """

    class Activity(models.TextChoices):
        VIEWING = "viewing", "viewing"
        REPLYING = "replying", "replying"

    ticket = models.ForeignKey("helpdesk.Ticket", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(max_length=8, choices=Activity.choices, default=Activity.VIEWING)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="presence_ticket_user")]
        indexes = [models.Index(fields=["ticket", "seen_at"], name="presence_ticket_seen")]

    def __str__(self) -> str:
        return f"user {self.user_id} {self.activity} ticket {self.ticket_id}"
