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
    # Refused requests (a bad signature, a refused login link) are not one
    # row each: anyone can send thousands a second. They are counted in one
    # row per address, kind and status and window of time; ``at`` is the
    # first of them, ``last_at`` the latest, ``count`` how many. Every other
    # entry is one event, count 1 (a database default: the SOAP endpoint's
    # INSERT does not name the column).
    count = models.PositiveIntegerField(default=1, db_default=1)
    # Unix seconds at which the window of a row of refused requests began;
    # None on the entries of single events.
    window_start = models.BigIntegerField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        constraints = [
            # The key that the refused requests of one window are counted under.
            models.UniqueConstraint(
                fields=["kind", "address", "status", "window_start"],
                condition=models.Q(window_start__isnull=False),
                name="audit_refused_window_key",
            ),
        ]

    def __str__(self) -> str:
        times = f" x{self.count}" if self.count != 1 else ""
        return (f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.operation} {self.address} "
                f"{self.outcome}{times}")
