from django.db import models


class UsedNonce(models.Model):
    """A nonce of an accepted request, kept until its timestamp leaves the
    window, so that a replay is refused by every worker and after restarts."""

    nonce = models.CharField(max_length=64, primary_key=True)
    # Unix time after which a request with this nonce fails the clock check
    # anyway, so the row can go.
    expires_at = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return self.nonce
