"""Posting to the journal: the one place money movements are written."""

from dataclasses import dataclass

from careloop.billing.models import (
    BillingAccount,
    EntryKind,
    Invoice,
    JournalEntry,
    JournalLine,
    Ledger,
    PaymentAttempt,
    Refund,
)
from careloop.core import clock


@dataclass(frozen=True)
class Posting:
    ledger: Ledger
    amount: int  # debit positive, credit negative
    account: BillingAccount | None = None


def journal_post(
    *,
    kind: EntryKind,
    key: str,
    currency: str,
    postings: list[Posting],
    memo: str = "",
    invoice: Invoice | None = None,
    attempt: PaymentAttempt | None = None,
    refund: Refund | None = None,
    new_key: bool = False,
) -> JournalEntry:
    """Write one balanced entry; the same key posts once (a second call returns the first).

    Runs inside the caller's transaction. Refuses an entry whose postings do not add up to
    zero: that would be money appearing or vanishing. A caller that holds the lock making its
    key new (an invoice it just created, a pending attempt it locked) passes `new_key` to skip
    the look-up; the unique key still refuses a second entry, rolling the transaction back.
    """
    if not new_key:
        existing = JournalEntry.objects.filter(key=key).first()
        if existing is not None:
            return existing
    postings = [posting for posting in postings if posting.amount != 0]
    if sum(posting.amount for posting in postings) != 0:
        raise ValueError(f"Journal entry {key} does not balance: {postings}")
    entry = JournalEntry.objects.create(
        kind=kind,
        key=key,
        currency=currency,
        occurred_at=clock.now(),
        memo=memo[:200],
        invoice=invoice,
        attempt=attempt,
        refund=refund,
    )
    JournalLine.objects.bulk_create(
        JournalLine(
            entry=entry, ledger=posting.ledger, account=posting.account, amount=posting.amount
        )
        for posting in postings
    )
    return entry
