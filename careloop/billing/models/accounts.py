"""Payers and their saved cards.

A billing account is one payer: a patient (who pays their own or their household's membership)
or an employer sponsor. Its balance is never stored: it is derived from the journal.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class BillingAccount(models.Model):
    patient = models.OneToOneField(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="billing_account",
    )
    sponsor = models.OneToOneField(
        "memberships.Sponsor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="billing_account",
    )
    currency = models.CharField(max_length=3, default="USD")
    gateway = models.CharField(max_length=20)
    gateway_customer = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False, sponsor__isnull=True)
                | Q(patient__isnull=True, sponsor__isnull=False),
                name="billing_account_has_one_payer",
            )
        ]

    def __str__(self) -> str:
        return f"billing account #{self.pk}"


class PaymentMethod(models.Model):
    """A card saved at the gateway: its token, brand, last four digits and expiry, never the
    number. At most one default per account among the cards not removed."""

    account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="payment_methods"
    )
    gateway = models.CharField(max_length=20)
    token = models.CharField(max_length=120)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    gateway_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the gateway's latest applied change was made; older events are ignored.",
    )

    class Meta:
        ordering = ["account", "-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_default=True, removed_at__isnull=True),
                name="payment_method_one_default",
            ),
            models.UniqueConstraint(fields=["gateway", "token"], name="payment_method_token_once"),
            models.CheckConstraint(
                condition=Q(exp_month__gte=1, exp_month__lte=12), name="payment_method_exp_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} ending {self.last4}"

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year}"
