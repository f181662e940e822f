"""Billing runs: issue every due invoice once and collect it, shared by several workers.

A run as of a date: (1) sponsors' monthly invoices, (2) every membership whose next period
has started by then, each locked with SKIP LOCKED so workers never take the same one, with
its due scheduled changes applied first, (3) collection of what was issued and not yet
charged, charges running concurrently (gateway latency, not the CPU, bounds a run), (4)
retries that are due, attempts left unknown, and notices. Everything is idempotent: a rerun
for the same date issues nothing (one invoice per membership per period is a unique
constraint) and charges nothing twice (collection goes through payment attempts).
"""

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F

from careloop.accounts.models import User
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    BillingRun,
    Invoice,
    InvoiceStatus,
    MembershipBilling,
    PaymentAttempt,
    RunStatus,
)
from careloop.billing.services.collection import invoice_collect, payment_attempts_settle
from careloop.billing.services.dunning import invoices_retry_due
from careloop.billing.services.membership_billing import membership_bill_period
from careloop.billing.services.overage import overage_invoice_due
from careloop.billing.services.renewals import renewal_notices_send
from careloop.billing.services.sponsors import sponsor_invoices_issue
from careloop.core import clock
from careloop.core.faults import crash_point
from careloop.memberships.models import ChangeStatus, ScheduledChange
from careloop.memberships.services.lifecycle import scheduled_change_apply
from careloop.memberships.services.scheduled import scheduled_changes_apply_due

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


def billing_run_start(*, as_of: date | None = None, actor: User | None = None) -> BillingRun:
    return BillingRun.objects.create(
        as_of=clock.today() if as_of is None else as_of, started_at=clock.now(), started_by=actor
    )


def _count(run: BillingRun, **increments: int) -> None:
    BillingRun.objects.filter(pk=run.pk).update(
        **{name: F(name) + value for name, value in increments.items() if value}
    )


def _apply_due_changes(membership_id: int, day: date) -> None:
    due = ScheduledChange.objects.filter(
        membership_id=membership_id, status=ChangeStatus.SCHEDULED, effective_on__lte=day
    ).order_by("effective_on", "id")
    for change in due:
        scheduled_change_apply(change=change)


def _bill_one(billing: MembershipBilling, run: BillingRun) -> list[Invoice]:
    """Every period of one locked membership that has started by the run's date."""
    issued = []
    _apply_due_changes(billing.membership_id, run.as_of)
    billing.refresh_from_db()
    guard = 0
    while billing.next_bill_on is not None and billing.next_bill_on <= run.as_of:
        previous = billing.next_bill_on
        result = membership_bill_period(billing=billing, run=run)
        if result is not None and result.created:
            issued.append(result.invoice)
        billing.refresh_from_db()
        guard += 1
        if billing.next_bill_on == previous or guard > 400:
            raise RuntimeError(f"Billing of membership {billing.membership_id} did not advance")
        if billing.next_bill_on is not None and billing.next_bill_on <= run.as_of:
            _apply_due_changes(billing.membership_id, billing.next_bill_on)
            billing.refresh_from_db()
    return issued


def _claim_batch(as_of: date, skip: set[int]) -> list[MembershipBilling]:
    query = MembershipBilling.objects.filter(next_bill_on__lte=as_of).exclude(pk__in=skip)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True, of=("self",))
    return list(query.order_by("next_bill_on", "id")[:BATCH_SIZE])


def billing_run_work(*, run: BillingRun) -> int:
    """Take due memberships in batches until none is left; any number of workers may call
    this for the same run. Returns how many memberships this worker billed."""
    failed: set[int] = set()
    seen = 0
    while True:
        issued: list[Invoice] = []
        with transaction.atomic():
            batch = _claim_batch(run.as_of, failed)
            if not batch:
                break
            for billing in batch:
                try:
                    with transaction.atomic():
                        issued += _bill_one(billing, run)
                except Exception as error:
                    logger.exception("Billing membership %s failed", billing.membership_id)
                    failed.add(billing.pk)
                    BillingRun.objects.filter(pk=run.pk).update(
                        errors=F("errors") + 1,
                        last_error=f"Membership {billing.membership_id}: {error}"[:2000],
                    )
            seen += len(batch)
            _count(
                run,
                memberships_seen=len(batch),
                invoices_issued=len(issued),
                amount_invoiced=sum(invoice.total for invoice in issued),
            )
        crash_point("billing.batch_committed")
        _collect_all([invoice.pk for invoice in issued], run)
    return seen


def _collect_one(invoice_id: int, run_id: int) -> tuple[int, int, int]:
    attempt = invoice_collect(
        invoice=Invoice.objects.get(pk=invoice_id), trigger=AttemptTrigger.RUN
    )
    if attempt is None:
        return 0, 0, 0
    if attempt.status == AttemptStatus.SUCCEEDED:
        return 1, 0, attempt.amount
    if attempt.status in (AttemptStatus.DECLINED, AttemptStatus.FAILED):
        return 0, 1, 0
    return 0, 0, 0


def _in_threads(function: Callable[..., Any], items: Iterable[Any]) -> list[Any]:
    def call(item: Any) -> Any:
        try:
            return function(*item)
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=settings.BILLING_CHARGE_CONCURRENCY) as pool:
        return list(pool.map(call, items))


def _collect_all(invoice_ids: list[int], run: BillingRun) -> None:
    if not invoice_ids:
        return
    items = [(invoice_id, run.pk) for invoice_id in invoice_ids]
    # Threads have their own connections: they cannot see rows of a transaction the caller
    # has not committed (the demo seeds inside one), so such a caller charges one by one.
    threads = settings.BILLING_CHARGE_CONCURRENCY > 1 and not connection.in_atomic_block
    if threads and len(items) > 1:
        results = _in_threads(_collect_one, items)
    else:
        results = [_collect_one(*item) for item in items]
    _count(
        run,
        charges_succeeded=sum(result[0] for result in results),
        charges_failed=sum(result[1] for result in results),
        amount_collected=sum(result[2] for result in results),
    )


def _uncollected(as_of: date) -> list[int]:
    """Open invoices of the run's day or earlier never charged: a worker that died between
    issuing and charging left them; retries (failed ones) are the dunning schedule's."""
    return list(
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN, failed_attempts=0, issued_on__lte=as_of, total__gt=0
        )
        .exclude(attempts__isnull=False)
        .filter(
            account__payment_methods__is_default=True, account__payment_methods__removed_at=None
        )
        .values_list("id", flat=True)
        .distinct()
    )


def billing_run_finish(*, run: BillingRun) -> BillingRun:
    _collect_all(_uncollected(run.as_of), run)
    BillingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.FINISHED, finished_at=clock.now()
    )
    run.refresh_from_db()
    return run


def billing_run(*, as_of: date | None = None, actor: User | None = None) -> BillingRun:
    """A whole run in this process: `careloop billing run` and the daily job call this."""
    run = billing_run_start(as_of=as_of, actor=actor)
    # Changes due by the run's date first (a pause ending, a downgrade at period end), so
    # that each period is billed on the terms it starts with.
    scheduled_changes_apply_due(on=run.as_of)
    with transaction.atomic():
        sponsor_invoices_issue(as_of=run.as_of, run=run)
    billing_run_work(run=run)
    payment_attempts_settle()
    invoices_retry_due(on=run.as_of)
    renewal_notices_send(as_of=run.as_of)
    overage_invoice_due(as_of=run.as_of)
    return billing_run_finish(run=run)


def pending_attempts() -> int:
    return PaymentAttempt.objects.filter(status=AttemptStatus.PENDING).count()
