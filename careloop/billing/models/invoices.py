"""Invoices and their lines.

An invoice moves draft -> open -> paid | void | uncollectible, and uncollectible -> paid | void
(careloop.billing.invoice_states). Lines are rounded once each, half up, to the minor unit, and
signed: charges positive, credits negative. When the lines of an invoice add up to less than
zero the difference goes to the payer's credit and the invoice total is zero.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.billing.models.accounts import BillingAccount


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"


class InvoiceKind(models.TextChoices):
    ENROLLMENT = "enrollment", "Enrollment"
    RENEWAL = "renewal", "Renewal"
    CHANGE = "change", "Membership change"
    FEES = "fees", "Fees"
    SPONSOR = "sponsor", "Sponsor"
    MANUAL = "manual", "Manual"


# The invoices that bill a membership's period: at most one per membership per period start.
PERIOD_KINDS = [InvoiceKind.ENROLLMENT.value, InvoiceKind.RENEWAL.value]


class Invoice(models.Model):
    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="invoices")
    membership = models.ForeignKey(
        "memberships.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    key = models.CharField(
        max_length=120, unique=True, help_text="What caused it; the same cause never bills twice."
    )
    status = models.CharField(
        max_length=14, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    currency = models.CharField(max_length=3)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    subtotal = models.IntegerField(default=0, help_text="Sum of the lines; negative is credit.")
    total = models.PositiveIntegerField(default=0, help_text="What the payer owes: subtotal >= 0.")
    credit_applied = models.PositiveIntegerField(default=0)
    amount_paid = models.PositiveIntegerField(default=0)
    amount_refunded = models.PositiveIntegerField(default=0)
    issued_on = models.DateField()
    due_on = models.DateField()
    created_at = models.DateTimeField()
    finalized_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Voided or written off.")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.TextField(blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    next_retry_on = models.DateField(null=True, blank=True)
    billing_run = models.ForeignKey(
        "billing.BillingRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "period_start"],
                condition=Q(kind__in=PERIOD_KINDS),
                name="invoice_once_per_membership_period",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in InvoiceStatus]),
                name="invoice_status_is_known",
            ),
            models.CheckConstraint(
                condition=Q(credit_applied__lte=models.F("total")),
                name="invoice_credit_within_total",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=models.F("amount_paid")),
                name="invoice_refund_within_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_retry_on"], name="invoice_retry_due"),
            models.Index(fields=["account", "status"], name="invoice_account_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"INV-{self.pk:06d}"

    @property
    def amount_due(self) -> int:
        if self.status in (InvoiceStatus.VOID, InvoiceStatus.PAID):
            return 0
        return self.total - self.credit_applied - self.amount_paid

    def is_past_due(self, today: date) -> bool:
        return self.status == InvoiceStatus.OPEN and self.due_on < today


class LineKind(models.TextChoices):
    PERIOD = "period", "Membership"
    PRORATION_CHARGE = "proration_charge", "Membership (remaining days)"
    PRORATION_CREDIT = "proration_credit", "Credit for unused days"
    ENROLLMENT_FEE = "enrollment_fee", "Enrollment fee"
    DISCOUNT = "discount", "Discount"
    OVERAGE = "overage", "Beyond the allowance"
    PAUSE_FEE = "pause_fee", "Pause fee"
    EARLY_TERMINATION_FEE = "early_termination_fee", "Early termination fee"
    SPONSOR_SHARE = "sponsor_share", "Sponsored membership"
    ADJUSTMENT = "adjustment", "Adjustment"


class InvoiceLine(models.Model):
    """One charge or credit. `credits_line` names the charge a proration credit gives back, so
    the credits against a charge can be capped at what it billed. `source_key` is unique where
    set: an overage use, an enrollment fee or a discount period is billed once."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    membership = models.ForeignKey(
        "memberships.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    kind = models.CharField(max_length=24, choices=LineKind.choices)
    description = models.CharField(max_length=200)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    price = models.ForeignKey(
        "memberships.PlanPrice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service_start = models.DateField(null=True, blank=True)
    service_end = models.DateField(null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.IntegerField()
    amount = models.IntegerField()
    credits_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    discount = models.ForeignKey(
        "billing.Discount", null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["invoice", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service_start__isnull=True)
                | Q(service_end__isnull=True)
                | Q(service_end__gte=models.F("service_start")),
                name="invoice_line_service_dates",
            )
        ]

    def __str__(self) -> str:
        return self.description
