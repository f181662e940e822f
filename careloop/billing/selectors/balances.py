"""Balances derived from the journal; nothing stores them."""

from dataclasses import dataclass

from django.db.models import Q, Sum

from careloop.billing.models import BillingAccount, JournalLine, Ledger


@dataclass(frozen=True)
class AccountBalance:
    owed: int  # open invoices not yet paid
    credit: int  # the payer's credit, applied to their next invoices

    @property
    def balance(self) -> int:
        """Positive: the payer owes; negative: the clinic owes the payer (credit)."""
        return self.owed - self.credit


def account_balance(account: BillingAccount | int) -> AccountBalance:
    """What the payer owes and their credit, from their journal lines in one query."""
    totals = JournalLine.objects.filter(account=account).aggregate(
        receivable=Sum("amount", filter=Q(ledger=Ledger.RECEIVABLE)),
        credit=Sum("amount", filter=Q(ledger=Ledger.CREDIT)),
    )
    return AccountBalance(owed=int(totals["receivable"] or 0), credit=-int(totals["credit"] or 0))


def available_credit(account: BillingAccount | int) -> int:
    return account_balance(account).credit


def journal_totals() -> dict[str, int]:
    """Each ledger's total; all of them add up to zero when the journal balances."""
    rows = JournalLine.objects.values("ledger").annotate(total=Sum("amount")).order_by("ledger")
    return {row["ledger"]: int(row["total"] or 0) for row in rows}
