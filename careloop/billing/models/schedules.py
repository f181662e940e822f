"""What billing keeps per membership, and the clinic's billing policy."""

from django.db import models

from careloop.billing.models.accounts import BillingAccount


class MembershipBilling(models.Model):
    """Where a membership's billing stands.

    `billed_through` is the exclusive end of the last period invoiced; `next_bill_on` is the
    day the next period starts and its invoice is due (empty while paused, once cancelled or
    when the plan does not renew). The billing run picks the rows whose `next_bill_on` has
    come, locking each row so several workers never bill one membership twice.
    """

    membership = models.OneToOneField(
        "memberships.Membership", on_delete=models.PROTECT, related_name="billing"
    )
    account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="memberships_billed"
    )
    member_account = models.ForeignKey(
        BillingAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a sponsored membership: the primary member, who pays any remainder.",
    )
    billed_through = models.DateField(null=True, blank=True)
    next_bill_on = models.DateField(null=True, blank=True)
    paused_fee_through = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["membership"]
        # In the run's claiming order, so a worker takes its next batch from the front of the
        # index whatever the statistics say: on the first of the month most rows are due,
        # and a plan that scans and sorts them all costs every batch the whole table.
        indexes = [models.Index(fields=["next_bill_on", "id"], name="membership_billing_due")]

    def __str__(self) -> str:
        return f"billing of membership {self.membership_id}"

    @property
    def invoice_account(self) -> BillingAccount:
        """Where member invoices go: the paying patient, or for a sponsored membership the
        primary member (any remainder the sponsor does not cover, and fees)."""
        return self.member_account or self.account


class AfterFinalFailure(models.TextChoices):
    CANCEL = "cancel", "Cancel the membership"
    STAY_PAST_DUE = "stay_past_due", "Keep it past due"


class OverageBilling(models.TextChoices):
    NEXT_INVOICE = "next_invoice", "On the next invoice"
    AT_ONCE = "at_once", "At once"


class BillingSettings(models.Model):
    """Clinic-wide billing policy; one row."""

    retry_days = models.CharField(
        max_length=60,
        default="1,1,5",
        help_text="Days after the previous failure at which a failed charge is retried.",
    )
    after_final_failure = models.CharField(
        max_length=14, choices=AfterFinalFailure.choices, default=AfterFinalFailure.STAY_PAST_DUE
    )
    renewal_notice_days = models.CharField(
        max_length=60,
        default="30,7",
        help_text="Days before an annual renewal on which the payer is told.",
    )
    overage_billing = models.CharField(
        max_length=14, choices=OverageBilling.choices, default=OverageBilling.NEXT_INVOICE
    )
    card_expiry_notice_days = models.PositiveSmallIntegerField(
        default=14, help_text="Remind a payer this many days before a charge their card won't see."
    )

    def __str__(self) -> str:
        return "billing settings"

    @property
    def retry_schedule(self) -> list[int]:
        return [int(part) for part in self.retry_days.split(",") if part.strip()]

    @property
    def renewal_notices(self) -> list[int]:
        return sorted(
            (int(part) for part in self.renewal_notice_days.split(",") if part.strip()),
            reverse=True,
        )
