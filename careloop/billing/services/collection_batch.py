"""Charging a billing run's batch of new invoices together: the batch path of collection.

The same three steps as `invoice_collect` (services/collection.py), each for the whole batch:
1. one transaction locks the invoices and writes a pending PaymentAttempt, with a fresh
   idempotency key, for each invoice that owes something, has a card on file and was never
   charged (the rules of a first charge, FIRST_CHARGES); it commits before any gateway call;
2. outside any transaction the gateway is called for every attempt, concurrently (the
   caller's threads);
3. one transaction writes the outcomes: for the charges that went through, the attempts, the
   payments in the journal, the invoices paid and their audit events as one chain segment;
   a declined or failed charge goes through `attempt_record_outcome` (past due, dunning,
   the payer told) inside the same transaction; an unknown answer leaves its attempt pending.
A process that dies between the steps leaves pending attempts, settled later by asking the
gateway by their keys (`payment_attempts_settle`), never by charging again.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from careloop.audit.services import AuditEntry, audit_record_many
from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.base import ChargeResult, ChargeStatus
from careloop.billing.invoice_states import InvoiceAction, invoice_target
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    EntryKind,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
)
from careloop.billing.services.collection import (
    NOT_SENT,
    attempt_record_outcome,
    membership_settle_status,
    payment_postings,
)
from careloop.billing.services.journal import NewEntry, journal_post_many
from careloop.core import clock
from careloop.core.bulk import rows_update
from careloop.core.faults import crash_point
from careloop.memberships.models import Membership, MembershipStatus

Charger = Callable[[Callable[..., Any], list[Any]], list[Any]]


@dataclass(frozen=True)
class BatchCharged:
    succeeded: int = 0
    failed: int = 0
    amount: int = 0


def invoices_collect_batch(*, invoice_ids: list[int], in_threads: Charger) -> BatchCharged:
    """Charge each of a run's new invoices a first time (trigger RUN), the batch's attempts
    recorded together before any gateway call and its outcomes written together after;
    `in_threads(function, items)` calls `function(*item)` for each item, concurrently."""
    attempts = _attempts_record(invoice_ids)
    if not attempts:
        return BatchCharged()
    crash_point("billing.batch_attempts_recorded")
    results: list[ChargeResult] = in_threads(
        _charge, [(attempt, position) for position, attempt in enumerate(attempts)]
    )
    crash_point("billing.batch_charged")
    return _outcomes_record(attempts, results)


def _attempts_record(invoice_ids: list[int]) -> list[PaymentAttempt]:
    """Step 1: a pending attempt per invoice to charge, committed. An invoice whose pending
    attempt another process wrote meanwhile (the unique pending attempt) rolls the step back
    and the batch is recorded again without it."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return _attempts_create(invoice_ids)
        except IntegrityError:
            continue
    return []


def _attempts_create(invoice_ids: list[int]) -> list[PaymentAttempt]:
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(pk__in=invoice_ids, status__in=[InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE])
        .order_by("id")
    )
    invoices = [invoice for invoice in invoices if invoice.amount_due > 0]
    charged = set(
        PaymentAttempt.objects.filter(invoice_id__in=[invoice.pk for invoice in invoices])
        .exclude(status=AttemptStatus.FAILED, failure_code=NOT_SENT)
        .values_list("invoice_id", flat=True)
    )
    cards: dict[int, PaymentMethod] = {}
    for method in PaymentMethod.objects.filter(
        account_id__in={invoice.account_id for invoice in invoices},
        is_default=True,
        removed_at__isnull=True,
    ):
        cards.setdefault(method.account_id, method)
    now = clock.now()
    attempts = []
    retry_cleared = []
    for invoice in invoices:
        card = cards.get(invoice.account_id)
        if invoice.pk in charged or card is None:
            continue
        if invoice.next_retry_on is not None:
            retry_cleared.append(invoice.pk)
        attempts.append(
            PaymentAttempt(
                invoice=invoice,
                account=invoice.account,
                payment_method=card,
                gateway=card.gateway,
                idempotency_key=f"careloop-{uuid.uuid4().hex}",
                amount=invoice.amount_due,
                currency=invoice.currency,
                trigger=AttemptTrigger.RUN,
                created_at=now,
            )
        )
    if retry_cleared:
        Invoice.objects.filter(pk__in=retry_cleared).update(next_retry_on=None)
    return PaymentAttempt.objects.bulk_create(attempts)


def _charge(attempt: PaymentAttempt, position: int) -> ChargeResult:
    """Step 2 for one attempt: the gateway call with the attempt's key."""
    method = attempt.payment_method
    assert method is not None
    result = gateway_for(attempt.gateway).charge(
        customer=attempt.account.gateway_customer,
        token=method.token,
        amount=attempt.amount,
        currency=attempt.currency,
        idempotency_key=attempt.idempotency_key,
        description=attempt.invoice.number,
    )
    if position == 0:
        crash_point("billing.batch_charging")
    return result


def _outcomes_record(attempts: list[PaymentAttempt], results: list[ChargeResult]) -> BatchCharged:
    """Step 3: every answer written in one transaction, only for attempts still pending (a
    `payment_attempts_settle` of another process may have settled one meanwhile)."""
    with transaction.atomic():
        pending = set(
            PaymentAttempt.objects.select_for_update()
            .filter(pk__in=[attempt.pk for attempt in attempts], status=AttemptStatus.PENDING)
            .values_list("pk", flat=True)
        )
        answered = [
            (attempt, result)
            for attempt, result in zip(attempts, results, strict=True)
            if attempt.pk in pending
        ]
        paid = [(a, r) for a, r in answered if r.status == ChargeStatus.SUCCEEDED]
        amount = _payments_record(paid)
        failed = 0
        for attempt, result in answered:
            if result.status == ChargeStatus.UNKNOWN:
                PaymentAttempt.objects.filter(pk=attempt.pk).update(
                    reference=result.reference or attempt.reference,
                    failure_code=result.failure_code,
                    failure_message="The gateway did not answer; Careloop will ask it again.",
                )
            elif result.status != ChargeStatus.SUCCEEDED:
                recorded = attempt_record_outcome(attempt=attempt, result=result)
                failed += recorded.status in (AttemptStatus.DECLINED, AttemptStatus.FAILED)
    return BatchCharged(succeeded=len(paid), failed=failed, amount=amount)


def _payments_record(paid: list[tuple[PaymentAttempt, ChargeResult]]) -> int:
    """The charges that went through: attempts succeeded, payments in the journal, invoices
    paid, one audit event each, and a pending or past-due membership settled. Returns the
    amount collected."""
    if not paid:
        return 0
    now = clock.now()
    invoices = {
        invoice.pk: invoice
        for invoice in Invoice.objects.select_for_update(of=("self",))
        .select_related("account")
        .filter(pk__in=[attempt.invoice_id for attempt, _ in paid])
    }
    for attempt, result in paid:
        attempt.status = AttemptStatus.SUCCEEDED
        attempt.reference = result.reference or attempt.reference
        attempt.failure_code = ""
        attempt.failure_message = ""
        attempt.settled_at = now
    rows_update(
        [attempt for attempt, _ in paid],
        ["status", "reference", "failure_code", "failure_message", "settled_at"],
    )
    entries = []
    for attempt, _ in paid:
        invoice = invoices[attempt.invoice_id]
        entries.append(
            NewEntry(
                kind=EntryKind.PAYMENT,
                key=f"payment:{attempt.idempotency_key}",
                currency=attempt.currency,
                invoice=invoice,
                attempt=attempt,
                memo=f"Card payment for {invoice.number}",
                postings=payment_postings(invoice, attempt),
            )
        )
        invoice.amount_paid += attempt.amount
        if invoice.amount_due <= 0 and invoice.status != InvoiceStatus.PAID:
            invoice.status = invoice_target(InvoiceStatus(invoice.status), InvoiceAction.PAY)
            invoice.paid_at = now
            invoice.next_retry_on = None
    journal_post_many(entries)
    rows_update(list(invoices.values()), ["amount_paid", "status", "paid_at", "next_retry_on"])
    audit_record_many(
        [
            AuditEntry(
                "billing.payment",
                attempt.actor,
                patient_id=invoices[attempt.invoice_id].account.patient_id,
                object_type="invoice",
                object_id=attempt.invoice_id,
                detail={"amount": attempt.amount, "attempt": attempt.pk},
            )
            for attempt, _ in paid
        ]
    )
    # Most memberships are active and stay so: only the others are settled one by one.
    unsettled = set(
        Membership.objects.filter(
            pk__in={invoice.membership_id for invoice in invoices.values()},
            status__in=[MembershipStatus.PENDING, MembershipStatus.PAST_DUE],
        ).values_list("pk", flat=True)
    )
    for attempt, _ in paid:
        invoice = invoices[attempt.invoice_id]
        if invoice.membership_id in unsettled:
            membership_settle_status(invoice)
    return sum(attempt.amount for attempt, _ in paid)
