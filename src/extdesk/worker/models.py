"""The periodic duties' turns: one lease row per duty, shared by every worker on every host."""

from __future__ import annotations

from django.db import models


class DutyLease(models.Model):
    """Who runs a duty now (``claimed_by`` until ``claimed_until``) and when it is next due.

    A worker takes a duty's turn with one conditional UPDATE (due, and not claimed or its claim
    expired), so two workers never run the same duty at once; a worker that died mid-duty leaves
    a claim that expires and is taken over.
    """

    name = models.CharField(max_length=64, primary_key=True)
    due_at = models.DateTimeField(help_text="When the duty is next to run, on any host.")
    claimed_by = models.CharField(max_length=200, blank=True, default="",
                                  help_text="The worker running it now: host, process and a random tag.")
    claimed_until = models.DateTimeField(null=True, blank=True,
                                         help_text="The claim lapses then unless the worker renews it.")
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    # The last run's outcome in one line: what it did, or the error that stopped it.
    last_outcome = models.CharField(max_length=500, blank=True, default="")
    last_failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
