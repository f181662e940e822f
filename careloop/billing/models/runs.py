"""Billing runs and the notices billing sends once each."""

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"


class BillingRun(models.Model):
    """One pass over the memberships due as of a date; its counts are kept as it goes."""

    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memberships_seen = models.PositiveIntegerField(default=0)
    invoices_issued = models.PositiveIntegerField(default=0)
    amount_invoiced = models.BigIntegerField(default=0)
    charges_succeeded = models.PositiveIntegerField(default=0)
    charges_failed = models.PositiveIntegerField(default=0)
    amount_collected = models.BigIntegerField(default=0)
    # Charges of failed invoices whose retry day had come; counted in the charges too.
    retries = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"billing run as of {self.as_of}"


class Notice(models.Model):
    """A message billing sent to a payer, stored once by its key so a rerun sends nothing."""

    key = models.CharField(max_length=140, unique=True)
    account = models.ForeignKey(
        "billing.BillingAccount", on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(max_length=30)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
