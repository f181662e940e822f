"""The journal: every movement of money, double-entry and append-only.

Each entry's lines add up to zero. A payer's balance is derived from the lines on their
receivable and credit ledgers; nothing stores a balance. On PostgreSQL a trigger refuses
UPDATE and DELETE on both tables (migration 0002), as it does for the audit log.
"""

from django.db import models

from careloop.billing.models.accounts import BillingAccount


class Ledger(models.TextChoices):
    RECEIVABLE = "receivable", "Owed by the payer"
    CREDIT = "credit", "Payer's credit"
    REVENUE = "revenue", "Revenue"
    CASH = "cash", "Collected through the gateway"
    REFUNDS = "refunds", "Refunded"


PAYER_LEDGERS = [Ledger.RECEIVABLE.value, Ledger.CREDIT.value]


class EntryKind(models.TextChoices):
    INVOICE = "invoice", "Invoice issued"
    CREDIT_ISSUED = "credit_issued", "Credit to the payer's account"
    CREDIT_APPLIED = "credit_applied", "Credit applied to an invoice"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    VOID = "void", "Invoice voided"


class JournalEntry(models.Model):
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    key = models.CharField(max_length=140, unique=True, help_text="The same movement posts once.")
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()
    memo = models.CharField(max_length=200, blank=True)
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.ForeignKey(
        "billing.PaymentAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refund = models.ForeignKey(
        "billing.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class JournalLine(models.Model):
    """Debits are positive, credits negative. Payer ledgers name the account."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    ledger = models.CharField(max_length=12, choices=Ledger.choices)
    account = models.ForeignKey(
        BillingAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.IntegerField()

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ledger__in=PAYER_LEDGERS, account__isnull=False)
                | (~models.Q(ledger__in=PAYER_LEDGERS) & models.Q(account__isnull=True)),
                name="journal_line_payer_ledgers_name_account",
            )
        ]
        indexes = [models.Index(fields=["account", "ledger"], name="journal_line_balance")]

    def __str__(self) -> str:
        return f"{self.ledger} {self.amount}"
