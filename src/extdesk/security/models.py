from django.db import models


class AuthFailureWindow(models.Model):
    """Failed signature checks from one address in its current time window.

    One row per address, shared by every worker through the database; the
    window starts at the first failure and lasts EXTDESK_AUTH_FAIL_WINDOW
    seconds.
    """

    address = models.CharField(max_length=64, primary_key=True)
    # Unix seconds of the window's first failure.
    window_start = models.BigIntegerField(db_index=True)
    failures = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.address}: {self.failures} since {self.window_start}"
