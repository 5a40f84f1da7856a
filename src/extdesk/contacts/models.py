"""The platform's persons as the helpdesk knows them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Account(models.Model):
    """A platform account (a customer company); contacts belong to accounts."""

    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """One platform person, keyed by its platform id; or a guest who wrote in by e-mail.

    A guest (no platform id) is known by name and address only: it has no
    account and no portal access, and its tickets become the contact's when
    the platform pushes a person with its address.
    """

    platform_id = models.BigIntegerField(unique=True, null=True, blank=True)
    email = models.CharField(max_length=254)
    prefix = models.CharField(max_length=255, blank=True, default="")
    first_name = models.CharField(max_length=255, blank=True, default="")
    insertion = models.CharField(max_length=255, blank=True, default="")
    middle_name = models.CharField(max_length=255, blank=True, default="")
    last_name = models.CharField(max_length=255, blank=True, default="")
    suffix = models.CharField(max_length=255, blank=True, default="")
    accounts = models.ManyToManyField(Account, related_name="contacts", blank=True)
    # The Django user this contact logs in as; created on the first login
    # through the platform, so that pushing persons stays a pure bulk write.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
    )
    # Digest of the record as last pushed (fields and account names): lets
    # alter_contacts find the changed records of a large push in bulk.
    fingerprint = models.CharField(max_length=32, default="")
    # The language code (one of settings.LANGUAGES) the contact last read the
    # portal in; their mail is written in it. Empty: the site's default.
    language = models.CharField(max_length=16, blank=True, default="", db_default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["platform_id"]
        indexes = [
            # Incoming mail finds its sender by address, whatever its case.
            models.Index(Lower("email"), name="contact_email_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    @property
    def is_guest(self) -> bool:
        return self.platform_id is None

    @property
    def display_name(self) -> str:
        parts = (self.prefix, self.first_name, self.middle_name, self.insertion,
                 self.last_name, self.suffix)
        name = " ".join(part for part in parts if part)
        return name or self.email
