"""Invoices: issue (draft, lines, finalize), apply credit, void, write off, record a payment.

Every movement of money posts to the journal (services/journal.py) in the same transaction.
Issuing is idempotent by the invoice's key: the same cause (a period, a change, a fee month)
returns the invoice it already made.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.compose import DraftLine
from careloop.billing.errors import PaymentInProgress
from careloop.billing.invoice_states import InvoiceAction, invoice_target
from careloop.billing.models import (
    AttemptStatus,
    BillingAccount,
    BillingRun,
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Ledger,
    LineKind,
)
from careloop.billing.selectors.balances import available_credit
from careloop.billing.services.journal import NewEntry, Posting, journal_post
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Membership
from careloop.memberships.periods import Period

# The lines a discount line names (`credits_line`): the charge of the same member and start.
DISCOUNTED_KINDS = (LineKind.PERIOD, LineKind.PRORATION_CHARGE, LineKind.SPONSOR_SHARE)


@dataclass(frozen=True)
class Issued:
    invoice: Invoice
    created: bool


def invoice_issue(
    *,
    account: BillingAccount,
    kind: InvoiceKind,
    key: str,
    lines: list[DraftLine],
    membership: Membership | None = None,
    period: Period | None = None,
    run: BillingRun | None = None,
    due_in_days: int = 0,
) -> Issued:
    """Create, finalize and credit an invoice for `lines`, once per `key`.

    Runs in the caller's transaction (or its own). The lines' sum is the subtotal; below zero
    the difference goes to the payer's credit and the invoice is paid at once with nothing to
    collect. The payer's credit is applied before any card is charged.
    """
    # No look-up first: the unique key (and one invoice per membership period) refuses a
    # second invoice, and the refusal finds the first one.
    today = clock.today()
    now = clock.now()
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                account=account,
                membership=membership,
                kind=kind,
                key=key,
                currency=account.currency,
                period_start=period.start if period else None,
                period_end=period.end if period else None,
                issued_on=today,
                due_on=today + timedelta(days=due_in_days),
                created_at=now,
                billing_run=run,
            )
            _add_lines(invoice, lines)
    except IntegrityError:
        # Another worker issued the same invoice (same key, or same membership period).
        found = Invoice.objects.filter(key=key).first()
        if found is None and membership is not None and period is not None:
            found = Invoice.objects.filter(
                membership=membership, period_start=period.start, kind__in=[kind]
            ).first()
        if found is None:
            raise
        return Issued(found, created=False)
    _finalize(invoice, subtotal=sum(draft.amount for draft in lines))
    invoice_apply_credit(invoice=invoice)
    return Issued(invoice, created=True)


def invoice_line_row(
    invoice: Invoice, draft: DraftLine, credits_line_id: int | None
) -> InvoiceLine:
    """The unsaved row of one drafted line of `invoice`."""
    return InvoiceLine(
        invoice=invoice,
        membership_id=invoice.membership_id,
        kind=draft.kind,
        description=draft.description[:200],
        patient_id=draft.patient_id,
        price_id=draft.price_id,
        service_start=draft.service_start,
        service_end=draft.service_end,
        quantity=draft.quantity,
        unit_amount=draft.unit_amount,
        amount=draft.amount,
        credits_line_id=credits_line_id,
        discount_id=draft.discount_id,
        source_key=draft.source_key,
    )


def _add_lines(invoice: Invoice, lines: list[DraftLine]) -> None:
    """Write the lines in their order, in one insert unless a discount line must name the
    line it reduces (the period line of the same member and start), which needs that line's
    id first."""
    if not any(
        draft.kind == LineKind.DISCOUNT and draft.credits_line_id is None for draft in lines
    ):
        InvoiceLine.objects.bulk_create(
            [invoice_line_row(invoice, draft, draft.credits_line_id) for draft in lines]
        )
        return
    created: dict[tuple[int | None, object], InvoiceLine] = {}
    for draft in lines:
        credits_line_id = draft.credits_line_id
        if draft.kind == LineKind.DISCOUNT and credits_line_id is None:
            target = created.get((draft.patient_id, draft.service_start))
            credits_line_id = target.pk if target is not None else None
        line = invoice_line_row(invoice, draft, credits_line_id)
        line.save(force_insert=True)
        if draft.kind in DISCOUNTED_KINDS:
            created[(draft.patient_id, draft.service_start)] = line


def _finalize(invoice: Invoice, *, subtotal: int) -> None:
    """Draft to open: totals (the sum of its lines), the journal entry, and paid at once when
    nothing is owed."""
    invoice.status = invoice_target(InvoiceStatus(invoice.status), InvoiceAction.FINALIZE)
    invoice.subtotal = subtotal
    invoice.total = max(subtotal, 0)
    invoice.finalized_at = clock.now()
    journal_post(
        kind=EntryKind.INVOICE,
        key=f"invoice:{invoice.pk}",
        new_key=True,
        currency=invoice.currency,
        invoice=invoice,
        memo=f"{invoice.number} issued",
        postings=issued_postings(invoice, subtotal),
    )
    if invoice.total == 0:
        invoice.status = invoice_target(InvoiceStatus(invoice.status), InvoiceAction.PAY)
        invoice.paid_at = clock.now()
    invoice.save()


def issued_postings(invoice: Invoice, subtotal: int) -> list[Posting]:
    """An issued invoice's journal entry: the payer owes its total, below zero the rest is
    their credit, and the lines' sum is revenue."""
    return [
        Posting(Ledger.RECEIVABLE, invoice.total, invoice.account),
        Posting(Ledger.CREDIT, -max(-subtotal, 0), invoice.account),
        Posting(Ledger.REVENUE, -subtotal),
    ]


def credit_postings(invoice: Invoice, usable: int) -> list[Posting]:
    """Credit applied to an invoice: the payer's credit pays part of what they owe."""
    return [
        Posting(Ledger.CREDIT, usable, invoice.account),
        Posting(Ledger.RECEIVABLE, -usable, invoice.account),
    ]


def credit_apply(invoice: Invoice, usable: int, now: datetime) -> NewEntry:
    """Apply `usable` credit to the invoice in memory (paid when nothing is left due) and
    return the journal entry that records it; the caller saves both. Shared by a single
    invoice and a billing run's batch, so the rule is written once."""
    invoice.credit_applied += usable
    entry = NewEntry(
        kind=EntryKind.CREDIT_APPLIED,
        key=f"credit:{invoice.pk}:{invoice.credit_applied}",
        currency=invoice.currency,
        invoice=invoice,
        memo=f"Credit applied to {invoice.number}",
        postings=credit_postings(invoice, usable),
    )
    if invoice.amount_due == 0:
        invoice.status = invoice_target(InvoiceStatus(invoice.status), InvoiceAction.PAY)
        invoice.paid_at = now
        invoice.next_retry_on = None
    return entry


def invoice_apply_credit(*, invoice: Invoice) -> int:
    """Use the payer's credit on an invoice still owed (open, or uncollectible: it is owed
    all the same) before any card is charged; the amount used.

    Not while a charge of the invoice is in flight or its answer unknown (a pending
    attempt): that charge is for what was due when it started, and should it have gone
    through, credit used under it would be paid a second time by the card. The credit stays
    the payer's; once the charge is settled, a retry uses it first."""
    if available_credit(invoice.account_id) <= 0:
        return 0  # most payers have none: no lock taken
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status not in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE):
            return 0
        if locked.attempts.filter(status=AttemptStatus.PENDING).exists():
            return 0
        usable = min(available_credit(locked.account_id), locked.amount_due)
        if usable <= 0:
            return 0
        entry = credit_apply(locked, usable, clock.now())
        journal_post(
            kind=entry.kind,
            key=entry.key,
            currency=entry.currency,
            invoice=locked,
            memo=entry.memo,
            postings=entry.postings,
        )
        locked.save()
    invoice.refresh_from_db()
    return usable


def _audit(invoice: Invoice, actor: User | None, action: str, detail: dict[str, object]) -> None:
    audit_record(
        action=action,
        actor=actor,
        patient_id=invoice.account.patient_id,
        object_type="invoice",
        object_id=invoice.pk,
        detail=detail,
    )


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", "Say why, for the record.", "required")
    return reason


def invoice_void(*, actor: User | None, invoice: Invoice, reason: str) -> Invoice:
    """Cancel an invoice that was issued in error or is waived; credit used on it returns to
    the payer, and a membership it kept past due is active again when nothing else of it is
    overdue. A paid invoice cannot be voided: refund it; nor one whose card payment is still
    waiting for the gateway's answer."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
        target = invoice_target(InvoiceStatus(locked.status), InvoiceAction.VOID)
        if locked.amount_paid > 0:
            raise ValidationFailed.single(
                "invoice", "Part of this invoice was paid; refund the payment instead.", "paid"
            )
        # The invoice lock is the one collection takes to start an attempt, so none can
        # start after this check; a pending one may have taken the money already.
        if locked.attempts.filter(status=AttemptStatus.PENDING).exists():
            raise PaymentInProgress(
                "A card payment for this invoice is waiting for the gateway's answer; void it "
                "once that payment is settled (a paid invoice is refunded instead)."
            )
        if locked.status != InvoiceStatus.DRAFT:
            journal_post(
                kind=EntryKind.VOID,
                key=f"void:{locked.pk}",
                currency=locked.currency,
                invoice=locked,
                memo=f"{locked.number} voided",
                postings=[
                    Posting(Ledger.REVENUE, locked.total),
                    Posting(
                        Ledger.RECEIVABLE, -(locked.total - locked.credit_applied), locked.account
                    ),
                    Posting(Ledger.CREDIT, -locked.credit_applied, locked.account),
                ],
            )
        locked.status = target
        locked.closed_at = clock.now()
        locked.closed_by = actor
        locked.close_reason = reason
        locked.next_retry_on = None
        locked.save()
        _audit(locked, actor, "invoice.void", {"number": locked.number})
        if locked.membership is not None:
            from careloop.billing.services.dunning import membership_recover_when_settled

            membership_recover_when_settled(membership=locked.membership)
    invoice.refresh_from_db()
    return invoice


def invoice_mark_uncollectible(*, actor: User | None, invoice: Invoice, reason: str) -> Invoice:
    """Stop collecting: the invoice stays owed (it can still be paid or voided) but no retry
    runs, and the clinic's policy after the last failure applies to its membership (cancel,
    or stay past due), with notice. The amount stays on the payer's balance."""
    reason = _reason(reason)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
        locked.status = invoice_target(
            InvoiceStatus(locked.status), InvoiceAction.MARK_UNCOLLECTIBLE
        )
        locked.closed_at = clock.now()
        locked.closed_by = actor
        locked.close_reason = reason
        locked.next_retry_on = None
        locked.save()
        _audit(locked, actor, "invoice.uncollectible", {"number": locked.number})
        # Imported here: dunning uses invoice_apply_credit from this module.
        from careloop.billing.services.dunning import invoice_dunning_end

        invoice_dunning_end(invoice=locked, after_failures=False)
    invoice.refresh_from_db()
    return invoice


def invoice_record_payment(
    *, actor: User | None, invoice: Invoice, method: str, reference: str
) -> Invoice:
    """Record that what the invoice still owes was paid outside the gateway (a sponsor's bank
    transfer, a cheque at the desk); the invoice is paid."""
    method = method.strip()
    reference = reference.strip()
    if not method:
        raise ValidationFailed.single(
            "method", "Say how it was paid (bank transfer, cheque ...).", "required"
        )
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
        target = invoice_target(InvoiceStatus(locked.status), InvoiceAction.PAY)
        amount = locked.amount_due
        if amount <= 0:
            raise ValidationFailed.single(
                "invoice", "Nothing is owed on this invoice.", "nothing_due"
            )
        if locked.attempts.filter(status="pending").exists():
            raise ValidationFailed.single(
                "invoice", "A card payment for this invoice is in progress.", "payment_in_progress"
            )
        journal_post(
            kind=EntryKind.PAYMENT,
            key=f"outside_payment:{locked.pk}",
            currency=locked.currency,
            invoice=locked,
            memo=f"{method} {reference}".strip()[:200],
            postings=[
                Posting(Ledger.CASH, amount),
                Posting(Ledger.RECEIVABLE, -amount, locked.account),
            ],
        )
        locked.amount_paid += amount
        locked.status = target
        locked.paid_at = clock.now()
        locked.next_retry_on = None
        locked.save()
        _audit(
            locked,
            actor,
            "invoice.payment_recorded",
            {"number": locked.number, "amount": amount, "method": method},
        )
    invoice.refresh_from_db()
    return invoice
