from django.db import models


class AuditEntry(models.Model):
    """One SOAP call or one login through the platform, as it happened."""

    class Kind(models.TextChoices):
        SOAP = "soap", "SOAP call"
        LOGIN = "login", "login through the platform"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    address = models.CharField(max_length=64)
    # The SOAP operation, or the page a login lands on.
    operation = models.CharField(max_length=64, blank=True)
    # "ok", "client fault", "server fault", or why a login was refused.
    outcome = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    # Records the call carried (alter_contacts) or answered (list_contacts).
    records = models.PositiveIntegerField(default=0)
    # The platform person a login was for.
    person = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.operation} {self.address} {self.outcome}"
