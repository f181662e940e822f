"""Charging a billing run's batch of new invoices together: the batch path of collection.

The same three steps as `invoice_collect` (services/collection.py), each for the whole batch:
1. one transaction locks the invoices and writes a pending PaymentAttempt, with a fresh
   idempotency key, for each invoice that owes something, has a card on file and was never
   charged (the rules of a first charge, FIRST_CHARGES); it commits before any gateway call;
2. outside any transaction the gateway is called for every attempt, concurrently (the
   caller's threads);
3. one transaction writes the outcomes of the charges that went through for active
   memberships, most of a batch: the attempts, the payments in the journal, the invoices
   paid and their audit events as one chain segment; an unknown answer leaves its attempt
   pending. A declined or failed charge (past due, dunning, the payer told) and a payment
   that activates or recovers a membership then go through `attempt_record_outcome` one by
   one, each in its own transaction, as an invoice charged on its own does.
A process that dies between the steps leaves pending attempts, settled later by asking the
gateway by their keys (`payment_attempts_settle`), never by charging again.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from careloop.audit.services import audit_record_many
from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.base import ChargeResult, ChargeStatus
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
)
from careloop.billing.services.collection import (
    NOT_SENT,
    attempt_record_outcome,
    payment_apply,
    payment_audit,
)
from careloop.billing.services.journal import journal_post_many
from careloop.core import clock
from careloop.core.bulk import rows_update
from careloop.core.faults import crash_point
from careloop.memberships.models import MembershipStatus

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
    """Step 3: the answers written, only for attempts still pending (a
    `payment_attempts_settle` of another process may have settled one meanwhile).

    The charges that went through for an active membership, most of a batch, are written in
    one transaction. The rest go through `attempt_record_outcome` one by one, each in its own
    transaction as when an invoice is charged on its own: a decline marks the membership past
    due and a payment may recover or activate one, and those lock the membership's plan and
    price rows, which every worker's invoice lines refer to; held for a whole batch's
    transaction they made two workers deadlock.
    """
    answered = dict(zip((attempt.pk for attempt in attempts), results, strict=True))
    with transaction.atomic():
        pending = list(
            PaymentAttempt.objects.select_for_update()
            .filter(pk__in=list(answered), status=AttemptStatus.PENDING)
            .order_by("id")
        )
        by_pk = {attempt.pk: attempt for attempt in attempts}
        active = set(
            Invoice.objects.filter(
                pk__in=[attempt.invoice_id for attempt in pending],
                membership__status=MembershipStatus.ACTIVE,
            ).values_list("pk", flat=True)
        )
        together = [
            (by_pk[attempt.pk], answered[attempt.pk])
            for attempt in pending
            if answered[attempt.pk].status == ChargeStatus.SUCCEEDED
            and attempt.invoice_id in active
        ]
        amount = _payments_record(together)
        for attempt in pending:
            result = answered[attempt.pk]
            if result.status == ChargeStatus.UNKNOWN:
                PaymentAttempt.objects.filter(pk=attempt.pk).update(
                    reference=result.reference or attempt.reference,
                    failure_code=result.failure_code,
                    failure_message="The gateway did not answer; Careloop will ask it again.",
                )
    crash_point("billing.batch_payments_recorded")
    succeeded, failed = len(together), 0
    alone = {attempt.pk for attempt, _ in together}
    for attempt in pending:
        result = answered[attempt.pk]
        if attempt.pk in alone or result.status == ChargeStatus.UNKNOWN:
            continue
        recorded = attempt_record_outcome(attempt=by_pk[attempt.pk], result=result)
        if recorded.status == AttemptStatus.SUCCEEDED:
            succeeded += 1
            amount += recorded.amount
        elif recorded.status in (AttemptStatus.DECLINED, AttemptStatus.FAILED):
            failed += 1
    return BatchCharged(succeeded=succeeded, failed=failed, amount=amount)


def _payments_record(paid: list[tuple[PaymentAttempt, ChargeResult]]) -> int:
    """The charges that went through for active memberships (which stay active): attempts
    succeeded, payments in the journal, invoices paid, one audit event each. Returns the
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
    entries = [payment_apply(invoices[attempt.invoice_id], attempt, now) for attempt, _ in paid]
    journal_post_many(entries)
    rows_update(list(invoices.values()), ["amount_paid", "status", "paid_at", "next_retry_on"])
    audit_record_many([payment_audit(invoices[attempt.invoice_id], attempt) for attempt, _ in paid])
    return sum(attempt.amount for attempt, _ in paid)
