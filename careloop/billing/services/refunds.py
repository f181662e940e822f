"""Refunds: money back to the card of a succeeded payment, never more than it took.

A refund is its own explicit action; credits stay on the payer's account until then. The
refund draws on the payer's credit first (a cancellation's credit paid back to the card), then
counts against revenue. Like a charge, it is recorded before the gateway is called.
"""

import uuid

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.base import RefundStatus as GatewayRefundStatus
from careloop.billing.models import (
    AttemptStatus,
    EntryKind,
    Invoice,
    Ledger,
    PaymentAttempt,
    Refund,
    RefundStatus,
)
from careloop.billing.selectors.balances import available_credit
from careloop.billing.services.journal import Posting, journal_post
from careloop.core import clock
from careloop.core.errors import ValidationFailed


def refund_create(
    *, actor: User | None, attempt: PaymentAttempt, amount: int, reason: str
) -> Refund:
    """Refund part or all of a payment to the card it came from."""
    reason = reason.strip()
    if amount <= 0:
        raise ValidationFailed.single("amount", "Enter an amount above zero.", "not_positive")
    if not reason:
        raise ValidationFailed.single("reason", "Say why, for the record.", "required")
    with transaction.atomic():
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status != AttemptStatus.SUCCEEDED:
            raise ValidationFailed.single(
                "payment", "Only a payment that went through can be refunded.", "not_paid"
            )
        refundable = locked.amount - locked.amount_refunded
        if amount > refundable:
            raise ValidationFailed.single(
                "amount",
                f"At most {refundable / 100:.2f} of this payment can still be refunded.",
                "more_than_paid",
            )
        locked.amount_refunded += amount
        locked.save(update_fields=["amount_refunded"])
        refund = Refund.objects.create(
            attempt=locked,
            amount=amount,
            reason=reason,
            idempotency_key=f"careloop-refund-{uuid.uuid4().hex}",
            created_at=clock.now(),
            actor=actor,
        )
    result = gateway_for(locked.gateway).refund(
        charge_reference=locked.reference, amount=amount, idempotency_key=refund.idempotency_key
    )
    return refund_record_outcome(
        refund=refund,
        status=result.status,
        reference=result.reference,
        message=result.failure_message,
    )


def refund_record_outcome(
    *, refund: Refund, status: GatewayRefundStatus, reference: str, message: str
) -> Refund:
    with transaction.atomic():
        locked = Refund.objects.select_for_update().select_related("attempt").get(pk=refund.pk)
        if locked.status != RefundStatus.PENDING or status == GatewayRefundStatus.UNKNOWN:
            return locked
        locked.reference = reference
        locked.settled_at = clock.now()
        attempt = PaymentAttempt.objects.select_for_update().get(pk=locked.attempt_id)
        invoice = (
            Invoice.objects.select_for_update().select_related("account").get(pk=attempt.invoice_id)
        )
        if status == GatewayRefundStatus.FAILED:
            locked.status = RefundStatus.FAILED
            locked.failure_message = message[:300]
            locked.save()
            attempt.amount_refunded -= locked.amount
            attempt.save(update_fields=["amount_refunded"])
            return locked
        locked.status = RefundStatus.SUCCEEDED
        locked.save()
        from_credit = min(available_credit(invoice.account), locked.amount)
        journal_post(
            kind=EntryKind.REFUND,
            key=f"refund:{locked.idempotency_key}",
            currency=attempt.currency,
            invoice=invoice,
            attempt=attempt,
            refund=locked,
            memo=f"Refund on {invoice.number}",
            postings=[
                Posting(Ledger.CREDIT, from_credit, invoice.account),
                Posting(Ledger.REFUNDS, locked.amount - from_credit),
                Posting(Ledger.CASH, -locked.amount),
            ],
        )
        invoice.amount_refunded += locked.amount
        invoice.save(update_fields=["amount_refunded"])
        audit_record(
            action="billing.refund",
            actor=locked.actor,
            patient_id=invoice.account.patient_id,
            object_type="invoice",
            object_id=invoice.pk,
            detail={"amount": locked.amount, "refund": locked.pk},
        )
    refund.refresh_from_db()
    return refund
