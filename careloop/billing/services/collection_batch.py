"""Charging a billing run's batch of new invoices together: the batch path of collection.

The same three steps as `invoice_collect` (services/collection.py), each for the whole batch:
1. one transaction locks the invoices and writes a pending PaymentAttempt, with a fresh
   idempotency key, for each invoice that owes something, has a card on file and was never
   charged (the rules of a first charge, FIRST_CHARGES); it commits before any gateway call;
2. outside any transaction the gateway is called for every attempt, concurrently (the
   caller's threads);
3. one transaction writes the outcomes, most of a batch: the charges that went through for
   active memberships (attempts, payments in the journal, invoices paid, their audit events
   as one chain segment) and the declined or failed ones with a retry to come (attempts,
   invoices' failures and next retry, memberships past due, the payers' notices); an
   unknown answer leaves its attempt pending. A payment that activates or recovers a
   membership and a decline after the last retry then go through `attempt_record_outcome`
   one by one, each in its own transaction, as an invoice charged on its own does.
A process that dies between the steps leaves pending attempts, settled later by asking the
gateway by their keys (`payment_attempts_settle`), never by charging again.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects

from careloop.audit.services import audit_held, audit_record_many
from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.base import ChargeResult, ChargeStatus
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
)
from careloop.billing.services.accounts import default_payment_methods
from careloop.billing.services.collection import (
    NO_ANSWER,
    NOT_SENT,
    SETTLED_FIELDS,
    attempt_record_outcome,
    attempt_settle,
    payment_apply,
    payment_audit,
)
from careloop.billing.services.dunning import (
    billing_settings,
    invoice_count_failure,
    payment_failed_notice,
    retry_day,
)
from careloop.billing.services.journal import journal_post_many
from careloop.billing.services.notices import clinic_name, notices_send_many
from careloop.core import clock
from careloop.core.bulk import ids_among, rows_insert, rows_update
from careloop.core.faults import crash_point
from careloop.memberships.lifecycle import Action
from careloop.memberships.models import Membership, MembershipStatus
from careloop.memberships.services.lifecycle_batch import (
    memberships_lock,
    memberships_transition_many,
)

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
    if not invoices:
        return []
    charged = set(
        PaymentAttempt.objects.filter(ids_among("invoice_id", [invoice.pk for invoice in invoices]))
        .exclude(status=AttemptStatus.FAILED, failure_code=NOT_SENT)
        .values_list("invoice_id", flat=True)
    )
    cards = default_payment_methods(invoice.account_id for invoice in invoices)
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
    return rows_insert(attempts)


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

    One transaction writes the charges that went through for an active membership and the
    declined or failed charges with a retry to come, most of a batch. It locks the attempts,
    then the invoices, then the declined invoices' memberships, each in id order and all
    before it writes anything, and the audit chain's head last, when its events are
    appended at the end (`audit_held`), so two workers, or a worker and staff changing a
    membership, cannot deadlock. Only the membership rows are locked, not their plan and
    price rows: every worker's invoice lines refer to those, and a batch that held them made
    two workers deadlock. What is left, a payment that activates or recovers a membership
    and a decline after the last retry (the clinic's final policy), goes through
    `attempt_record_outcome` one by one after commit, each in its own transaction, as an
    invoice charged on its own does.
    """
    answered = dict(zip((attempt.pk for attempt in attempts), results, strict=True))
    by_pk = {attempt.pk: attempt for attempt in attempts}
    with transaction.atomic(), audit_held():
        # The ids alone: the attempts in hand are this process's, written in step 1.
        pending = [
            by_pk[pk]
            for pk in PaymentAttempt.objects.select_for_update()
            .filter(ids_among("pk", list(answered)), status=AttemptStatus.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)
        ]
        invoices = {
            invoice.pk: invoice
            for invoice in Invoice.objects.select_for_update()
            .filter(pk__in=[attempt.invoice_id for attempt in pending])
            .order_by("id")
        }
        # The payer's account, read with the invoice in step 1, is the attempt's: not read
        # again for every invoice of the batch.
        for attempt in pending:
            invoices[attempt.invoice_id].account = attempt.account
        active = set(
            Invoice.objects.filter(
                pk__in=list(invoices), membership__status=MembershipStatus.ACTIVE
            ).values_list("pk", flat=True)
        )
        schedule = billing_settings().retry_schedule
        today = clock.today()
        paid = []
        failed = []
        for attempt in pending:
            result = answered[attempt.pk]
            invoice = invoices[attempt.invoice_id]
            if result.status == ChargeStatus.SUCCEEDED and invoice.pk in active:
                paid.append((attempt, result))
            elif result.status in (ChargeStatus.DECLINED, ChargeStatus.FAILED) and (
                retry_day(invoice.failed_attempts + 1, schedule, today) is not None
            ):
                failed.append((attempt, result))
        memberships = memberships_lock(
            [
                membership_id
                for attempt, _ in failed
                if (membership_id := invoices[attempt.invoice_id].membership_id) is not None
            ]
        )
        amount = _payments_record(paid, invoices)
        _failures_record(failed, invoices, memberships, schedule, today)
        for attempt in pending:
            result = answered[attempt.pk]
            if result.status == ChargeStatus.UNKNOWN:
                PaymentAttempt.objects.filter(pk=attempt.pk).update(
                    reference=result.reference or attempt.reference,
                    failure_code=result.failure_code,
                    failure_message=NO_ANSWER,
                )
    crash_point("billing.batch_outcomes_recorded")
    succeeded, declined = len(paid), len(failed)
    together = {attempt.pk for attempt, _ in paid + failed}
    for attempt in pending:
        result = answered[attempt.pk]
        if attempt.pk in together or result.status == ChargeStatus.UNKNOWN:
            continue
        recorded = attempt_record_outcome(attempt=attempt, result=result)
        if recorded.status == AttemptStatus.SUCCEEDED:
            succeeded += 1
            amount += recorded.amount
        elif recorded.status in (AttemptStatus.DECLINED, AttemptStatus.FAILED):
            declined += 1
    return BatchCharged(succeeded=succeeded, failed=declined, amount=amount)


def _payments_record(
    paid: list[tuple[PaymentAttempt, ChargeResult]], invoices: dict[int, Invoice]
) -> int:
    """The charges that went through for active memberships (which stay active): attempts
    succeeded, payments in the journal, invoices paid, one audit event each. Returns the
    amount collected."""
    if not paid:
        return 0
    now = clock.now()
    for attempt, result in paid:
        attempt_settle(attempt, result, now)
    rows_update([attempt for attempt, _ in paid], SETTLED_FIELDS)
    entries = [payment_apply(invoices[attempt.invoice_id], attempt, now) for attempt, _ in paid]
    journal_post_many(entries)
    rows_update(
        [invoices[attempt.invoice_id] for attempt, _ in paid],
        ["amount_paid", "status", "paid_at", "next_retry_on"],
    )
    audit_record_many([payment_audit(invoices[attempt.invoice_id], attempt) for attempt, _ in paid])
    return sum(attempt.amount for attempt, _ in paid)


def _failures_record(
    failed: list[tuple[PaymentAttempt, ChargeResult]],
    invoices: dict[int, Invoice],
    memberships: list[Membership],
    schedule: list[int],
    today: date,
) -> None:
    """The declined and failed charges with a retry to come, as `invoice_payment_failed`
    records each: attempts settled, invoices' failures counted and next retry set, their
    active memberships (locked) past due, the payers told."""
    if not failed:
        return
    now = clock.now()
    for attempt, result in failed:
        attempt_settle(attempt, result, now)
        invoice_count_failure(invoices[attempt.invoice_id], schedule, today)
    rows_update([attempt for attempt, _ in failed], SETTLED_FIELDS)
    rows_update(
        [invoices[attempt.invoice_id] for attempt, _ in failed],
        ["failed_attempts", "next_retry_on"],
    )
    memberships_transition_many(
        actor=None,
        memberships=[
            membership for membership in memberships if membership.status == MembershipStatus.ACTIVE
        ],
        action=Action.MARK_PAST_DUE,
    )
    # The payers' contacts, for the few notices only.
    prefetch_related_objects(
        [invoices[attempt.invoice_id].account for attempt, _ in failed], "patient", "sponsor"
    )
    clinic = clinic_name()
    notices_send_many(
        [
            payment_failed_notice(invoices[attempt.invoice_id], attempt, clinic)
            for attempt, _ in failed
        ]
    )
