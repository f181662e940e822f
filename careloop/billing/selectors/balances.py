"""Balances derived from the journal; nothing stores them."""

from dataclasses import dataclass

from django.db.models import Sum

from careloop.billing.models import BillingAccount, JournalLine, Ledger


@dataclass(frozen=True)
class AccountBalance:
    owed: int  # open invoices not yet paid
    credit: int  # the payer's credit, applied to their next invoices

    @property
    def balance(self) -> int:
        """Positive: the payer owes; negative: the clinic owes the payer (credit)."""
        return self.owed - self.credit


def _ledger_sum(account: BillingAccount, ledger: Ledger) -> int:
    total = JournalLine.objects.filter(account=account, ledger=ledger).aggregate(
        total=Sum("amount")
    )["total"]
    return int(total or 0)


def account_balance(account: BillingAccount) -> AccountBalance:
    return AccountBalance(
        owed=_ledger_sum(account, Ledger.RECEIVABLE),
        credit=-_ledger_sum(account, Ledger.CREDIT),
    )


def available_credit(account: BillingAccount) -> int:
    return account_balance(account).credit


def journal_totals() -> dict[str, int]:
    """Each ledger's total; all of them add up to zero when the journal balances."""
    rows = JournalLine.objects.values("ledger").annotate(total=Sum("amount")).order_by("ledger")
    return {row["ledger"]: int(row["total"] or 0) for row in rows}
