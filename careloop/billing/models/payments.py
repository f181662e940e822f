"""Payment attempts, refunds and what the gateways told us.

An attempt is written, with its idempotency key, before the gateway is called, so a crash
leaves a pending attempt that is settled later by asking the gateway, never by charging again.
The database allows one pending attempt per invoice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from careloop.billing.models.accounts import BillingAccount, PaymentMethod
from careloop.billing.models.invoices import Invoice


class AttemptStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the gateway"
    SUCCEEDED = "succeeded", "Succeeded"
    DECLINED = "declined", "Declined"
    FAILED = "failed", "Failed"


class AttemptTrigger(models.TextChoices):
    RUN = "run", "Billing run"
    AT_ONCE = "at_once", "Charged at once"
    RETRY = "retry", "Scheduled retry"
    STAFF = "staff", "Retried by staff"
    NEW_CARD = "new_card", "New card"


class PaymentAttempt(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="attempts")
    account = models.ForeignKey(BillingAccount, on_delete=models.PROTECT, related_name="+")
    payment_method = models.ForeignKey(
        PaymentMethod, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    gateway = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    trigger = models.CharField(max_length=10, choices=AttemptTrigger.choices)
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.PENDING
    )
    reference = models.CharField(max_length=120, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    amount_refunded = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(status="pending"),
                name="payment_attempt_one_pending_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=models.F("amount")),
                name="payment_attempt_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="attempt_pending")]

    def __str__(self) -> str:
        return f"payment attempt {self.idempotency_key}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the gateway"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money back to the card of one succeeded payment; never more than it took."""

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    idempotency_key = models.CharField(max_length=80, unique=True)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    reference = models.CharField(max_length=120, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive")]

    def __str__(self) -> str:
        return f"refund {self.idempotency_key}"


class GatewayEvent(models.Model):
    """A webhook event, stored once by its id: a replay finds the row and does nothing."""

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(help_text="When the gateway created the event.")
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="gateway_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.type} {self.event_id}"


class SandboxRecord(models.Model):
    """The sandbox gateway's own memory of customers, charges and refunds.

    It lives in the database so that a charge made by one process can be looked up by another,
    as a real gateway's would; only the sandbox gateway reads or writes it.
    """

    kind = models.CharField(max_length=10)  # customer, charge, refund
    reference = models.CharField(max_length=80, unique=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    customer = models.CharField(max_length=80, blank=True)
    token = models.CharField(max_length=120, blank=True)
    amount = models.IntegerField(default=0)
    outcome = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"sandbox {self.kind} {self.reference}"
