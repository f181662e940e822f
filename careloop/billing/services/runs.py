"""Billing runs: issue every due invoice once and collect it, shared by several workers.

A run as of a date has three steps, each callable on its own so that several processes can
share one run (`careloop billing start`, `work`, `finish`):
1. prepare: record the run, apply the scheduled changes due by then of memberships it will
   not bill, issue sponsors' monthly invoices;
2. work (any number of workers at once): take the memberships whose next period has started,
   in batches locked with SKIP LOCKED so no two workers take the same one, apply their
   changes due and issue their invoices, each period on the terms it starts with, commit,
   then charge them and the invoices the changes and pause fees issued at once
   (concurrently: gateway latency, not the CPU, bounds a run). Plain
   renewals, most of a run, are issued and charged a batch at a time (renewal_batch.py,
   collection_batch.py; CARELOOP_BILLING_BATCH_PATH); the rest of a batch goes through the
   per-membership services in the same transaction;
3. close: settle charges whose outcome was unknown, make the retries that are due, send
   renewal notices, invoice uses beyond the allowance when billed at once, charge what was
   issued and never charged (a worker that died after committing), mark the run finished.
Everything is idempotent: a rerun for the same date issues nothing (one invoice per
membership per period is a unique constraint) and charges nothing twice (collection goes
through payment attempts). A process killed at any step loses nothing: the next run, or the
`finish` of the same run, picks up where it stopped.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet

from careloop.accounts.models import User
from careloop.audit.services import audit_held
from careloop.billing.errors import BillingRunFinished
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
from careloop.billing.services.collection import (
    NOT_SENT,
    charged_with_the_batch,
    invoice_collect,
    payment_attempts_settle,
)
from careloop.billing.services.collection_batch import Charger, invoices_collect_batch
from careloop.billing.services.dunning import invoices_due_for_retry, invoices_retry_due
from careloop.billing.services.membership_billing import membership_bill_period
from careloop.billing.services.overage import overage_invoice_due
from careloop.billing.services.renewal_batch import plain_renewals, renewals_issue
from careloop.billing.services.renewals import renewal_notices_send
from careloop.billing.services.sponsors import sponsor_invoices_issue
from careloop.core import clock
from careloop.core.faults import crash_point
from careloop.memberships.models import ChangeStatus, ScheduledChange
from careloop.memberships.services.lifecycle import scheduled_change_apply
from careloop.memberships.services.scheduled import scheduled_changes_apply_due

logger = logging.getLogger(__name__)


def _count(run: BillingRun, **increments: int) -> None:
    changes = {name: F(name) + value for name, value in increments.items() if value}
    if changes:
        BillingRun.objects.filter(pk=run.pk).update(**changes)


def _issued(run: BillingRun, invoices: list[Invoice]) -> None:
    _count(
        run,
        invoices_issued=len(invoices),
        amount_invoiced=sum(invoice.total for invoice in invoices),
    )


_NOT_SPONSORED = Q(membership__sponsor__isnull=True)


def changes_held_for_billing() -> Q:
    """The scheduled changes the billing run applies itself (memberships.events): a change
    waits while its membership has a period to bill that starts before the change's date,
    so that a run catching up missed days bills each period on the terms it started with and
    applies the change between the periods it falls between (`_bill_one`). A sponsored
    membership's changes are not held: the sponsor's invoice for the month before, issued
    as the run starts, must see its members' additions and terminations."""
    return Q(membership__billing__next_bill_on__lt=F("effective_on")) & _NOT_SPONSORED


def _billed_by_workers(as_of: date) -> Q:
    return Q(membership__billing__next_bill_on__lte=as_of) & _NOT_SPONSORED


def billing_run_prepare(*, as_of: date | None = None, actor: User | None = None) -> BillingRun:
    """Record a run as of a date (today by default), apply the scheduled changes due by then
    of memberships it will not bill, and issue sponsors' invoices for the month before; then
    workers may share its work. The changes of memberships it bills are the workers': each
    applies them, by date, between the periods it bills (`_bill_one`)."""
    run = BillingRun.objects.create(
        as_of=clock.today() if as_of is None else as_of, started_at=clock.now(), started_by=actor
    )
    crash_point("billing.run_prepared")
    scheduled_changes_apply_due(on=run.as_of, leave=_billed_by_workers(run.as_of))
    crash_point("billing.changes_applied")
    with transaction.atomic():
        _issued(run, sponsor_invoices_issue(as_of=run.as_of, run=run))
    crash_point("billing.sponsors_issued")
    run.refresh_from_db()
    return run


def _refuse_finished(run: BillingRun) -> None:
    run.refresh_from_db()
    if run.status == RunStatus.FINISHED:
        raise BillingRunFinished(
            f"Billing run {run.pk} (as of {run.as_of.isoformat()}) has finished; "
            "start a new run to bill again."
        )


def _due_changes(membership_ids: list[int], day: date) -> QuerySet[ScheduledChange]:
    return ScheduledChange.objects.filter(
        membership_id__in=membership_ids, status=ChangeStatus.SCHEDULED, effective_on__lte=day
    ).order_by("effective_on", "id")


def _apply_due_changes(membership_id: int, day: date) -> int:
    applied = 0
    for change in _due_changes([membership_id], day):
        applied += scheduled_change_apply(change=change)
    return applied


def _bill_one(billing: MembershipBilling, run: BillingRun, *, changes_due: bool) -> list[Invoice]:
    """Every period of one locked membership that has started by the run's date, each on the
    terms it starts with: the changes dated on or before a period's first day are applied
    before it is billed (the day of a change belongs to the new terms), the rest due by the
    run's date after the last. `changes_due` (looked up for the whole batch) says whether
    the membership has any."""
    issued: list[Invoice] = []
    billed = 0
    while True:
        day = billing.next_bill_on
        due = day is not None and day <= run.as_of
        horizon = run.as_of if day is None else min(day, run.as_of)
        if changes_due and _apply_due_changes(billing.membership_id, horizon):
            billing.refresh_from_db()
            continue  # the terms changed: look at the next period again
        if not due:
            return issued
        result = membership_bill_period(billing=billing, run=run)
        if result is not None and result.created:
            issued.append(result.invoice)
            crash_point("billing.invoice_issued")
        billing.refresh_from_db()
        billed += 1
        if billing.next_bill_on == day or billed > 400:
            raise RuntimeError(f"Billing of membership {billing.membership_id} did not advance")


def due_batch(as_of: date, skip: set[int]) -> QuerySet[MembershipBilling]:
    """The next batch of due memberships no other worker holds, to lock: in the order of
    the index `membership_billing_due`, so each claim reads from the index's front."""
    query = MembershipBilling.objects.filter(next_bill_on__lte=as_of).exclude(pk__in=skip)
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True, of=("self",))
    return query.order_by("next_bill_on", "id")[: settings.BILLING_BATCH_SIZE]


def billing_run_work(*, run: BillingRun) -> int:
    """Take due memberships in batches until none is left, issue and charge their invoices;
    any number of workers may call this for the same run. Returns how many memberships this
    worker billed. A finished run is refused (BillingRunFinished)."""
    _refuse_finished(run)
    charge_threads = ChargeThreads()
    try:
        return _work(run, charge_threads)
    finally:
        charge_threads.close()


def _work(run: BillingRun, charge_threads: "ChargeThreads") -> int:
    failed: set[int] = set()
    seen = 0
    while True:
        issued: list[Invoice] = []
        batch_issued: list[Invoice] = []
        with charged_with_the_batch() as issued_at_once, transaction.atomic(), audit_held():
            claimed = list(due_batch(run.as_of, failed))
            if not claimed:
                break
            crash_point("billing.batch_claimed")
            batch, with_changes = _apply_changes_first(claimed, run, failed)
            rest = batch
            if settings.BILLING_BATCH_PATH:
                renewed, rest = _issue_plain(batch, run, with_changes)
                batch_issued += renewed
            for billing in rest:
                try:
                    with transaction.atomic():
                        issued += _bill_one(
                            billing, run, changes_due=billing.membership_id in with_changes
                        )
                except Exception as error:
                    _failed(run, billing, error, failed)
            seen += len(claimed)
            _count(run, memberships_seen=len(claimed))
            issued += _issued_at_once(issued_at_once, issued)
            _issued(run, issued + batch_issued)
        crash_point("billing.batch_committed")
        _collect_batch([invoice.pk for invoice in batch_issued], run, charge_threads)
        _collect_all([invoice.pk for invoice in issued], run, charge_threads)
    return seen


def _issued_at_once(invoice_ids: list[int], issued: list[Invoice]) -> list[Invoice]:
    """The invoices the batch's changes and pause fees issued at once, but those already in
    `issued` and those of a membership whose savepoint rolled back, in the order issued."""
    known = {invoice.pk for invoice in issued}
    wanted = [pk for pk in dict.fromkeys(invoice_ids) if pk not in known]
    if not wanted:
        return []
    found = Invoice.objects.in_bulk(wanted)
    return [found[pk] for pk in wanted if pk in found]


def _failed(
    run: BillingRun, billing: MembershipBilling, error: Exception, failed: set[int]
) -> None:
    logger.exception("Billing membership %s failed", billing.membership_id)
    failed.add(billing.pk)
    BillingRun.objects.filter(pk=run.pk).update(
        errors=F("errors") + 1,
        last_error=f"Membership {billing.membership_id}: {error}"[:2000],
    )


def _apply_changes_first(
    batch: list[MembershipBilling], run: BillingRun, failed: set[int]
) -> tuple[list[MembershipBilling], set[int]]:
    """Apply the changes dated on or before each membership's next period (all its due
    changes, but for a run catching up missed days), each membership in its own savepoint,
    so that its period is billed on the new terms, as a plain renewal when it is one.
    Returns the memberships left to bill, and those with changes still due, dated within
    a period to bill first, for `_bill_one`."""
    due: dict[int, list[ScheduledChange]] = {}
    for change in _due_changes([billing.membership_id for billing in batch], run.as_of):
        due.setdefault(change.membership_id, []).append(change)
    left: list[MembershipBilling] = []
    later: set[int] = set()
    for billing in batch:
        changes = due.get(billing.membership_id, [])
        day = billing.next_bill_on
        first = [change for change in changes if day is not None and change.effective_on <= day]
        if len(first) < len(changes):
            later.add(billing.membership_id)
        if first:
            try:
                with transaction.atomic():
                    for change in first:
                        scheduled_change_apply(change=change)
            except Exception as error:
                _failed(run, billing, error, failed)
                continue
            billing.refresh_from_db()
        still_due = billing.next_bill_on is not None and billing.next_bill_on <= run.as_of
        if still_due or billing.membership_id in later:
            left.append(billing)
    return left, later


def _issue_plain(
    batch: list[MembershipBilling], run: BillingRun, with_changes: set[int]
) -> tuple[list[Invoice], list[MembershipBilling]]:
    """Issue the batch's plain renewals together (renewal_batch.py); returns their invoices
    and the memberships left for the per-membership path. Should the batch's writes fail (an
    invoice refused as already issued), its savepoint rolls back and every membership of the
    batch goes the per-membership way, which finds what was issued."""
    try:
        with transaction.atomic():
            renewals, rest = plain_renewals(batch, as_of=run.as_of, with_changes=with_changes)
            invoices = renewals_issue(renewals=renewals, run=run)
            crash_point("billing.batch_issued")
            return invoices, rest
    except Exception:
        logger.exception("Billing a batch of renewals together failed; billing them one by one")
        for billing in batch:
            billing.refresh_from_db()
        return [], batch


@dataclass(frozen=True)
class _Charged:
    succeeded: int = 0
    failed: int = 0
    amount: int = 0


def _collect_one(invoice_id: int) -> _Charged:
    # A RUN charge is a first charge only (collection.FIRST_CHARGES): an invoice another
    # process charged meanwhile is left to the dunning schedule.
    attempt = invoice_collect(invoice_id=invoice_id, trigger=AttemptTrigger.RUN)
    if attempt is None:
        return _Charged()
    if attempt.status == AttemptStatus.SUCCEEDED:
        return _Charged(succeeded=1, amount=attempt.amount)
    if attempt.status in (AttemptStatus.DECLINED, AttemptStatus.FAILED):
        return _Charged(failed=1)
    return _Charged()  # no answer yet: settled later


class ChargeThreads:
    """Up to BILLING_CHARGE_CONCURRENCY threads that charge, kept for a worker's whole run.

    Calling it calls `function(*item)` for each item in the threads. Each thread has its own
    database connection and keeps it for all its items, across batches (opening one per
    charge, and then eight per batch, cost more than the charges); `close` makes every thread
    close its own, which a barrier makes sure of: each closing thread waits until all have
    closed.
    """

    def __init__(self) -> None:
        self.size = settings.BILLING_CHARGE_CONCURRENCY
        self.pool: ThreadPoolExecutor | None = None

    def __call__(self, function: Callable[..., Any], items: list[Any]) -> list[Any]:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.size)

        def call(item: Any) -> Any:
            return function(*item)

        return list(self.pool.map(call, items))

    def close(self) -> None:
        if self.pool is None:
            return
        closed = threading.Barrier(self.size)

        def close(_: int) -> None:
            connection.close()
            closed.wait(timeout=60)

        try:
            list(self.pool.map(close, range(self.size)))
        finally:
            self.pool.shutdown()
            self.pool = None


def _in_threads(function: Callable[..., Any], items: list[Any]) -> list[Any]:
    """`ChargeThreads` for one list of items: the threads close their connections after it."""
    threads = ChargeThreads()
    threads.size = min(threads.size, len(items))
    try:
        return threads(function, items)
    finally:
        threads.close()


def _collect_all(
    invoice_ids: list[int], run: BillingRun, in_threads: Charger = _in_threads
) -> None:
    """Charge each invoice a first time and count the outcomes on the run."""
    if not invoice_ids:
        return
    items = [(invoice_id,) for invoice_id in invoice_ids]
    # Threads have their own connections: they cannot see rows of a transaction the caller
    # has not committed (the demo seeds inside one), so such a caller charges one by one.
    threads = settings.BILLING_CHARGE_CONCURRENCY > 1 and not connection.in_atomic_block
    if threads and len(items) > 1:
        results: list[_Charged] = in_threads(_collect_one, items)
    else:
        results = [_collect_one(*item) for item in items]
    _count(
        run,
        charges_succeeded=sum(result.succeeded for result in results),
        charges_failed=sum(result.failed for result in results),
        amount_collected=sum(result.amount for result in results),
    )


def _collect_batch(invoice_ids: list[int], run: BillingRun, in_threads: Charger) -> None:
    """Charge the batch path's invoices a first time together (collection_batch.py), and
    count the outcomes on the run."""
    if not invoice_ids:
        return
    threads = settings.BILLING_CHARGE_CONCURRENCY > 1 and not connection.in_atomic_block
    charged = invoices_collect_batch(
        invoice_ids=invoice_ids,
        in_threads=in_threads if threads and len(invoice_ids) > 1 else _one_by_one,
    )
    _count(
        run,
        charges_succeeded=charged.succeeded,
        charges_failed=charged.failed,
        amount_collected=charged.amount,
    )


def _one_by_one(function: Callable[..., Any], items: list[Any]) -> list[Any]:
    return [function(*item) for item in items]


def _retry_due(run: BillingRun) -> None:
    """Make the retries of failed payments due by the run's day (the dunning schedule's
    rules), and count them and their outcomes on the run."""
    due = invoices_due_for_retry(run.as_of)
    if not due:
        return
    newest = PaymentAttempt.objects.aggregate(newest=Max("id"))["newest"] or 0
    invoices_retry_due(on=run.as_of)
    made = list(
        PaymentAttempt.objects.filter(
            invoice_id__in=due, trigger=AttemptTrigger.RETRY, id__gt=newest
        ).values_list("status", "amount")
    )
    succeeded = [amount for status, amount in made if status == AttemptStatus.SUCCEEDED]
    _count(
        run,
        retries=len(made),
        charges_succeeded=len(succeeded),
        charges_failed=sum(
            1 for status, _ in made if status in (AttemptStatus.DECLINED, AttemptStatus.FAILED)
        ),
        amount_collected=sum(succeeded),
    )


def _uncollected(as_of: date) -> list[int]:
    """Open invoices of the run's day or earlier that no charge has reached the gateway for:
    a worker that died between issuing and charging left them. Failed charges are the
    dunning schedule's; a charge recorded but never sent (settled as not sent) is not one."""
    charged = PaymentAttempt.objects.filter(invoice=OuterRef("pk")).exclude(
        status=AttemptStatus.FAILED, failure_code=NOT_SENT
    )
    return list(
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN, failed_attempts=0, issued_on__lte=as_of, total__gt=0
        )
        .exclude(Exists(charged))
        .filter(
            account__payment_methods__is_default=True, account__payment_methods__removed_at=None
        )
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )


def billing_run_close(*, run: BillingRun) -> BillingRun:
    """Finish a run once its workers are done: settle charges whose outcome is unknown, make
    the retries due, send renewal notices, invoice overage billed at once, charge what was
    issued and never charged, and mark the run finished. A finished run is refused."""
    _refuse_finished(run)
    payment_attempts_settle()
    _retry_due(run)
    crash_point("billing.retries_done")
    renewal_notices_send(as_of=run.as_of)
    crash_point("billing.notices_sent")
    _issued(run, overage_invoice_due(as_of=run.as_of))
    _collect_all(_uncollected(run.as_of), run)
    crash_point("billing.before_finished")
    BillingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.FINISHED, finished_at=clock.now()
    )
    run.refresh_from_db()
    return run


def billing_run(*, as_of: date | None = None, actor: User | None = None) -> BillingRun:
    """A whole run in this process: `careloop billing run`, the daily job, the staff
    overview's "Run billing now" and the API call this."""
    run = billing_run_prepare(as_of=as_of, actor=actor)
    billing_run_work(run=run)
    return billing_run_close(run=run)


def memberships_still_due(run: BillingRun) -> int:
    """Memberships due by the run's day that are not billed yet: ones the run could not bill,
    or the batch of a worker that stopped after the others had finished."""
    return MembershipBilling.objects.filter(next_bill_on__lte=run.as_of).count()


def pending_attempts() -> int:
    return PaymentAttempt.objects.filter(status=AttemptStatus.PENDING).count()
