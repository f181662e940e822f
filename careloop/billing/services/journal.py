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
from careloop.core.bulk import values_insert


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


@dataclass(frozen=True)
class NewEntry:
    """An entry for `journal_post_many`: its key is new (the caller holds the lock that makes
    it so), and the unique key still refuses a second one."""

    kind: EntryKind
    key: str
    currency: str
    postings: list[Posting]
    memo: str = ""
    invoice: Invoice | None = None
    attempt: PaymentAttempt | None = None


def journal_post_many(entries: list[NewEntry]) -> None:
    """Write many balanced entries in two inserts (entries, then their lines): a billing
    run's batch. Each entry is what `journal_post(..., new_key=True)` would write; an entry
    that does not balance refuses the whole batch before anything is written."""
    now = clock.now()
    kept = []
    for new in entries:
        postings = [posting for posting in new.postings if posting.amount != 0]
        if sum(posting.amount for posting in postings) != 0:
            raise ValueError(f"Journal entry {new.key} does not balance: {postings}")
        kept.append(postings)
    written = values_insert(
        JournalEntry,
        ["kind", "key", "currency", "occurred_at", "memo", "invoice_id", "attempt_id"],
        [
            (
                new.kind,
                new.key,
                new.currency,
                now,
                new.memo[:200],
                None if new.invoice is None else new.invoice.pk,
                None if new.attempt is None else new.attempt.pk,
            )
            for new in entries
        ],
    )
    values_insert(
        JournalLine,
        ["entry_id", "ledger", "account_id", "amount"],
        [
            (
                entry,
                posting.ledger,
                None if posting.account is None else posting.account.pk,
                posting.amount,
            )
            for entry, postings in zip(written, kept, strict=True)
            for posting in postings
        ],
    )
