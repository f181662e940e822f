"""Collecting invoices through the gateway, at most once per attempt.

Order of work, so that a crash anywhere loses nothing and never charges twice:
1. in one transaction, lock the invoice and write a pending PaymentAttempt with a fresh
   idempotency key (the database allows one pending attempt per invoice);
2. outside any transaction, call the gateway with that key;
3. in one transaction, record the outcome (payment, journal, invoice, membership status).
A process that dies between 1 and 3 leaves a pending attempt; `payment_attempts_settle` asks
the gateway about it by its key later and records what happened, never charging again.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction

from careloop.accounts.models import User
from careloop.audit.services import AuditEntry, audit_record_many
from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.base import ChargeResult, ChargeStatus
from careloop.billing.invoice_states import InvoiceAction, invoice_target
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    BillingAccount,
    EntryKind,
    Invoice,
    InvoiceStatus,
    Ledger,
    PaymentAttempt,
)
from careloop.billing.services.accounts import default_payment_method
from careloop.billing.services.journal import NewEntry, Posting, journal_post_many
from careloop.core import clock
from careloop.core.faults import crash_point
from careloop.memberships.models import Membership, MembershipStatus
from careloop.memberships.services.lifecycle import membership_activate, membership_recover

# The failure code of an attempt settled as never having reached the gateway.
NOT_SENT = "not_sent"
# A new invoice is charged by whoever gets to it first: the billing run that issued it, or
# collection after the commit that issued it. Either makes the first charge only; once a
# charge has reached the gateway, charging again is the dunning schedule's, staff's or a new
# card's, so a declined invoice is not declined twice on one day.
FIRST_CHARGES = (AttemptTrigger.RUN, AttemptTrigger.AT_ONCE)


def _start_attempt(
    invoice_id: int, trigger: AttemptTrigger, actor: User | None
) -> PaymentAttempt | None:
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("account").get(pk=invoice_id)
        if locked.status not in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE):
            return None
        if locked.amount_due <= 0:
            return None
        # A first charge stops at any attempt that reached the gateway (pending ones too);
        # any other charge only at one in flight.
        blocking = (
            locked.attempts.exclude(status=AttemptStatus.FAILED, failure_code=NOT_SENT)
            if trigger in FIRST_CHARGES
            else locked.attempts.filter(status=AttemptStatus.PENDING)
        )
        if blocking.exists():
            return None
        method = default_payment_method(locked.account)
        if method is None:
            return None
        try:
            with transaction.atomic():
                if locked.next_retry_on is not None:
                    Invoice.objects.filter(pk=locked.pk).update(next_retry_on=None)
                return PaymentAttempt.objects.create(
                    invoice=locked,
                    account=locked.account,
                    payment_method=method,
                    gateway=method.gateway,
                    idempotency_key=f"careloop-{uuid.uuid4().hex}",
                    amount=locked.amount_due,
                    currency=locked.currency,
                    trigger=trigger,
                    created_at=clock.now(),
                    actor=actor,
                )
        except IntegrityError:
            return None  # another process has a pending attempt on this invoice


def invoice_collect(
    *, invoice_id: int, trigger: AttemptTrigger, actor: User | None = None
) -> PaymentAttempt | None:
    """Charge the payer's default card for what the invoice still owes.

    Returns the attempt (settled, or pending when the gateway's answer is unknown), or None
    when there is nothing to charge: the invoice is paid or closed, another attempt is in
    flight, no card is on file, or the trigger makes a first charge (FIRST_CHARGES) and a
    charge of it has already reached the gateway. Call it outside a transaction: the gateway
    call must not hold locks, and the attempt must be committed before it.
    """
    attempt = _start_attempt(invoice_id, trigger, actor)
    if attempt is None:
        return None
    crash_point("billing.attempt_recorded")
    method = attempt.payment_method
    assert method is not None
    account = attempt.account
    result = gateway_for(attempt.gateway).charge(
        customer=account.gateway_customer,
        token=method.token,
        amount=attempt.amount,
        currency=attempt.currency,
        idempotency_key=attempt.idempotency_key,
        description=attempt.invoice.number,
    )
    crash_point("billing.charge_returned")
    return attempt_record_outcome(attempt=attempt, result=result)


# The invoices issued at once inside a billing run's batch, for the run to charge.
_charged_with_batch: ContextVar[list[int] | None] = ContextVar(
    "careloop_charged_with_batch", default=None
)


def invoice_collect_after_commit(invoice: Invoice) -> None:
    """Charge a newly issued invoice once the transaction issuing it commits (the gateway
    call must not hold its locks), when it still owes something after the payer's credit.
    Inside `charged_with_the_batch` the caller charges it instead."""
    if invoice.amount_due <= 0:
        return
    collected = _charged_with_batch.get()
    if collected is not None:
        collected.append(invoice.pk)
        return
    transaction.on_commit(
        partial(invoice_collect, invoice_id=invoice.pk, trigger=AttemptTrigger.AT_ONCE)
    )


@contextmanager
def charged_with_the_batch() -> Iterator[list[int]]:
    """Leave the invoices issued at once meanwhile (a scheduled change's, a pause fee) to the
    caller, a billing run's batch, which charges them after its commit with its own, in its
    threads, and counts them. Yields their ids; an invoice of a savepoint that rolled back
    stays listed, so the caller charges only those that exist."""
    collected: list[int] = []
    token = _charged_with_batch.set(collected)
    try:
        yield collected
    finally:
        _charged_with_batch.reset(token)


# What an attempt left pending by a charge with no answer says until it is settled.
NO_ANSWER = "The gateway did not answer; Careloop will ask it again."


def attempt_record_outcome(*, attempt: PaymentAttempt, result: ChargeResult) -> PaymentAttempt:
    """Record what the gateway said about an attempt, once; an unknown answer leaves it
    pending for `payment_attempts_settle`."""
    from careloop.billing.services.dunning import invoice_payment_failed

    if result.status == ChargeStatus.UNKNOWN:
        PaymentAttempt.objects.filter(pk=attempt.pk, status=AttemptStatus.PENDING).update(
            reference=result.reference or attempt.reference,
            failure_code=result.failure_code,
            failure_message=NO_ANSWER,
        )
        attempt.refresh_from_db()
        return attempt
    with transaction.atomic():
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status != AttemptStatus.PENDING:
            return locked
        invoice = (
            Invoice.objects.select_for_update().select_related("account").get(pk=locked.invoice_id)
        )
        attempt_settle(locked, result, clock.now())
        locked.save()
        if result.status == ChargeStatus.SUCCEEDED:
            _record_payment(invoice, locked)
        else:
            invoice_payment_failed(invoice=invoice, attempt=locked)
    attempt.refresh_from_db()
    return attempt


# The fields `attempt_settle` sets, for a caller that saves many attempts at once.
SETTLED_FIELDS = ["status", "reference", "failure_code", "failure_message", "settled_at"]


def attempt_settle(attempt: PaymentAttempt, result: ChargeResult, now: datetime) -> None:
    """Settle the attempt in memory as the gateway answered (succeeded, declined or failed);
    the caller saves it. Shared by an invoice charged on its own and a billing run's batch."""
    succeeded = result.status == ChargeStatus.SUCCEEDED
    if succeeded:
        attempt.status = AttemptStatus.SUCCEEDED
    elif result.status == ChargeStatus.DECLINED:
        attempt.status = AttemptStatus.DECLINED
    else:
        attempt.status = AttemptStatus.FAILED
    attempt.reference = result.reference or attempt.reference
    attempt.failure_code = "" if succeeded else result.failure_code
    attempt.failure_message = "" if succeeded else result.failure_message[:300]
    attempt.settled_at = now


def _record_payment(invoice: Invoice, attempt: PaymentAttempt) -> None:
    # The attempt is locked and pending: it was never recorded as paid, so its key is new.
    journal_post_many([payment_apply(invoice, attempt, clock.now())])
    invoice.save()
    audit_record_many([payment_audit(invoice, attempt)])
    membership_settle_status(invoice)


def payment_apply(invoice: Invoice, attempt: PaymentAttempt, now: datetime) -> NewEntry:
    """Apply a card payment to the invoice in memory (paid when nothing is left due) and
    return the journal entry that records it; the caller saves both. Shared by an invoice
    charged on its own and a billing run's batch, so the rule is written once."""
    invoice.amount_paid += attempt.amount
    if invoice.amount_due <= 0 and invoice.status != InvoiceStatus.PAID:
        invoice.status = invoice_target(InvoiceStatus(invoice.status), InvoiceAction.PAY)
        invoice.paid_at = now
        invoice.next_retry_on = None
    return NewEntry(
        kind=EntryKind.PAYMENT,
        key=f"payment:{attempt.idempotency_key}",
        currency=attempt.currency,
        invoice=invoice,
        attempt=attempt,
        memo=f"Card payment for {invoice.number}",
        postings=payment_postings(invoice, attempt),
    )


def payment_audit(invoice: Invoice, attempt: PaymentAttempt) -> AuditEntry:
    """The audit event of a card payment (invoice's account loaded)."""
    return AuditEntry(
        "billing.payment",
        attempt.actor,
        patient_id=invoice.account.patient_id,
        object_type="invoice",
        object_id=invoice.pk,
        detail={"amount": attempt.amount, "attempt": attempt.pk},
    )


def payment_postings(invoice: Invoice, attempt: PaymentAttempt) -> list[Posting]:
    """A card payment: cash in, and the payer owes that much less."""
    return [
        Posting(Ledger.CASH, attempt.amount),
        Posting(Ledger.RECEIVABLE, -attempt.amount, invoice.account),
    ]


def membership_settle_status(invoice: Invoice) -> None:
    """A paid invoice activates a pending membership and recovers a past-due one once
    nothing else of it is overdue."""
    if invoice.membership_id is None:
        return
    membership = Membership.objects.get(pk=invoice.membership_id)
    status = MembershipStatus(membership.status)
    if status == MembershipStatus.PENDING:
        membership_activate(actor=None, membership=membership)
    elif status == MembershipStatus.PAST_DUE:
        still_owing = (
            Invoice.objects.filter(
                membership=membership, status=InvoiceStatus.OPEN, failed_attempts__gt=0
            )
            .exclude(pk=invoice.pk)
            .exists()
        )
        if not still_owing:
            membership_recover(actor=None, membership=membership)


def payment_attempts_settle(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Settle attempts left pending by a timeout or a crash, by asking the gateway.

    Only attempts older than `older_than` (longer than any gateway call takes) are asked
    about, so an attempt still in flight is never mistaken for one that never left. An
    attempt the gateway never received is closed as failed without counting as a decline,
    and its invoice is due for a retry at once: starting the attempt cleared its retry day,
    and neither the run nor the retry schedule would otherwise charge it again.
    """
    settled = 0
    cutoff = clock.now() - older_than
    pending = PaymentAttempt.objects.filter(
        status=AttemptStatus.PENDING, created_at__lte=cutoff
    ).select_related("account")
    for attempt in pending.order_by("id"):
        result = gateway_for(attempt.gateway).charge_lookup(
            customer=attempt.account.gateway_customer, idempotency_key=attempt.idempotency_key
        )
        if result is None:
            with transaction.atomic():
                closed = PaymentAttempt.objects.filter(
                    pk=attempt.pk, status=AttemptStatus.PENDING
                ).update(
                    status=AttemptStatus.FAILED,
                    failure_code=NOT_SENT,
                    failure_message="The charge never reached the gateway; nothing was taken.",
                    settled_at=clock.now(),
                )
                if closed:
                    Invoice.objects.filter(
                        pk=attempt.invoice_id, status=InvoiceStatus.OPEN, next_retry_on=None
                    ).update(next_retry_on=clock.today())
        elif result.status != ChargeStatus.UNKNOWN:
            attempt_record_outcome(attempt=attempt, result=result)
        else:
            continue
        settled += 1
        crash_point("billing.attempt_settled")
    return settled


def collect_after_new_card(account: BillingAccount, actor: User | None) -> list[PaymentAttempt]:
    """A new card activates the payer's pending memberships and retries what is owed at once,
    after the payer's credit has paid what it can."""
    from careloop.billing.services.dunning import invoice_use_credit_first

    for membership in Membership.objects.filter(
        billing__account=account, status=MembershipStatus.PENDING
    ):
        membership_activate(actor=actor, membership=membership)
    attempts = []
    owed = Invoice.objects.filter(
        account=account, status__in=[InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE]
    ).order_by("issued_on", "id")
    for invoice in owed:
        # Credit first (a cancellation may have credited the very days it charges); an
        # invoice the credit pays in full is not charged.
        invoice_use_credit_first(invoice=invoice)
        attempt = invoice_collect(invoice_id=invoice.pk, trigger=_trigger_for(invoice), actor=actor)
        if attempt is not None:
            attempts.append(attempt)
    return attempts


def _trigger_for(invoice: Invoice) -> AttemptTrigger:
    return AttemptTrigger.NEW_CARD if invoice.failed_attempts else AttemptTrigger.AT_ONCE
