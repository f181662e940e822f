"""The entitlement ledger: append-only grants and uses of benefits.

Balances (available, held, used) are derived by summing entries; nothing stores a counter.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.memberships.models.catalog import Benefit, Service
from careloop.memberships.models.memberships import Membership


class EntryKind(models.TextChoices):
    GRANT = "grant", "Granted for the period"
    HOLD = "hold", "Held by a booking"
    CONSUME = "consume", "Used"
    RELEASE = "release", "Hold released"
    REVERSE = "reverse", "Use reversed"
    ROLLOVER = "rollover", "Rolled over from the previous period"
    EXPIRE = "expire", "Expired"
    OVERAGE = "overage", "Used beyond the allowance"


class EntitlementEntry(models.Model):
    """One movement of one member's allowance for one service in one allowance period.

    `source_type`/`source_id` name what caused a hold, use or overage (an appointment, a lab
    order...); the database refuses a second hold, or a second use, for the same source.
    `settles` links a use or release to its hold, and a reversal to its use; an entry is
    settled at most once.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="entitlement_entries"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="entitlement_entries"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    benefit = models.ForeignKey(
        Benefit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    quantity = models.PositiveIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    occurred_on = models.DateField()
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    settles = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="settled_by"
    )
    unit_price = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units per use, for an overage."
    )
    note = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="entitlement_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="entitlement_period_not_empty",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=Q(kind="hold") & ~Q(source_id=""),
                name="entitlement_one_hold_per_source",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=Q(kind__in=["consume", "overage"]) & ~Q(source_id=""),
                name="entitlement_one_use_per_source",
            ),
            models.UniqueConstraint(
                fields=["settles"],
                condition=Q(settles__isnull=False),
                name="entitlement_settled_once",
            ),
            models.UniqueConstraint(
                fields=["membership", "patient", "service", "period_start"],
                condition=Q(kind="grant"),
                name="entitlement_one_grant_per_period",
            ),
        ]
        indexes = [
            models.Index(
                fields=["membership", "patient", "service", "period_start"],
                name="entitlement_balance",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} of {self.service_id} for patient {self.patient_id}"
