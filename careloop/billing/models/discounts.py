"""Discount codes and introductory prices.

An introductory price is a discount attached to a plan (`introductory_for`) that new
enrollments receive automatically for its first periods; a plan change never grants it again.
"""

from django.db import models
from django.db.models import Q


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "Percentage off"
    AMOUNT = "amount", "Amount off"


class DiscountDuration(models.TextChoices):
    ONCE = "once", "First invoice only"
    PERIODS = "periods", "For a number of periods"
    FOREVER = "forever", "For as long as the membership lasts"


class Discount(models.Model):
    code = models.CharField(max_length=40, null=True, blank=True, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=DiscountKind.choices)
    percent_off = models.PositiveSmallIntegerField(null=True, blank=True)
    amount_off = models.PositiveIntegerField(null=True, blank=True, help_text="Minor units.")
    currency = models.CharField(max_length=3, default="USD")
    duration = models.CharField(max_length=10, choices=DiscountDuration.choices)
    periods = models.PositiveSmallIntegerField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, help_text="Last day it can be redeemed.")
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    plans = models.ManyToManyField("memberships.Plan", blank=True, related_name="discounts")
    introductory_for = models.OneToOneField(
        "memberships.Plan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="introductory_discount",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="percent", percent_off__gte=1, percent_off__lte=100)
                | Q(kind="amount", amount_off__gte=1),
                name="discount_has_a_value",
            ),
            models.CheckConstraint(
                condition=~Q(duration="periods") | Q(periods__gte=1),
                name="discount_periods_counted",
            ),
            models.CheckConstraint(
                condition=Q(code__isnull=False) | Q(introductory_for__isnull=False),
                name="discount_code_or_introductory",
            ),
        ]

    def __str__(self) -> str:
        return self.code or self.name


class DiscountRedemption(models.Model):
    """A discount applied to one membership; the periods it has discounted are its lines."""

    discount = models.ForeignKey(Discount, on_delete=models.PROTECT, related_name="redemptions")
    membership = models.ForeignKey(
        "memberships.Membership", on_delete=models.PROTECT, related_name="discount_redemptions"
    )
    redeemed_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["redeemed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["discount", "membership"], name="discount_once_per_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.discount} on membership {self.membership_id}"
