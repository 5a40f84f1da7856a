"""One-time login tokens handed to the platform by init_session, and logins made with them."""

from __future__ import annotations

from django.db import models

from extdesk.contacts.models import Contact


class Action(models.TextChoices):
    ADD = "add", "New ticket"
    LIST = "list", "Ticket list"


class LoginToken(models.Model):
    # Only the SHA-256 of the token is kept: a copy of the database lets
    # nobody log in.
    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="login_tokens")
    act = models.CharField(max_length=8, choices=Action.choices)
    ip = models.GenericIPAddressField(unpack_ipv4=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"login token for contact {self.contact_id} ({self.act})"


class LoginRecord(models.Model):
    """A successful one-time login."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="logins")
    token = models.OneToOneField(LoginToken, null=True, on_delete=models.SET_NULL, related_name="login")
    ip = models.GenericIPAddressField(unpack_ipv4=True)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"login of contact {self.contact_id} from {self.ip}"
