"""Four workers share one billing run without billing or charging anyone twice (PostgreSQL).

`careloop billing start` prepares the run; four `careloop billing work RUN_ID` processes
start together and take batches of 5 memberships, each batch locked with SKIP LOCKED; then
`careloop billing finish RUN_ID`. SQLite has no row locks (its writers queue for the whole
database), so this runs on PostgreSQL only.

100 members of Essentials (10000 a month) are due on March 1 2026, 20 batches for the four
workers to share; every tenth card declines. Each charge waits 100 ms at the sandbox gateway,
as a real gateway's answer would, so the run lasts long enough for every worker to have
started before it ends: one worker alone would take at least 2 s for the 20 batches.
A second run has half of them downgrading to Basics (6000) on March 1: each worker applies the
changes of the memberships it bills, in its batches.
"""

import re
from datetime import date

import pytest

from careloop.billing.models import (
    AttemptStatus,
    BillingRun,
    Invoice,
    InvoiceStatus,
    MembershipBilling,
    PaymentAttempt,
    RunStatus,
)
from careloop.billing.tests.run_builders import (
    DECLINES,
    PAYS,
    PRICE,
    RUN_AT,
    RUN_DAY,
    billing,
    billing_started,
    enroll_due,
    essentials,
    gateway_charges,
    journal_sum,
    period_invoices,
)
from careloop.memberships.services.lifecycle import membership_downgrade
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 4
MEMBERS = 100
BATCH_SIZE = 5
LATENCY_MS = 100
CARDS = [DECLINES if number % 10 == 9 else PAYS for number in range(MEMBERS)]
DECLINED = CARDS.count(DECLINES)


def _shared_run() -> tuple[int, list[int]]:
    """Start a run, let four workers share it, finish it; the run's id and what each billed."""
    started = billing("start", "--as-of", RUN_DAY.isoformat(), at=RUN_AT)
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    workers = [
        billing_started(
            "work",
            run_id,
            at=RUN_AT,
            CARELOOP_BILLING_BATCH_SIZE=str(BATCH_SIZE),
            CARELOOP_SANDBOX_LATENCY_MS=str(LATENCY_MS),
        )
        for _ in range(WORKERS)
    ]
    billed = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=300)
        assert worker.returncode == 0, stderr
        found = re.fullmatch(r"Billing run \d+: this worker billed (\d+) memberships?\.\n", stdout)
        assert found is not None, stdout
        billed.append(int(found.group(1)))
    finished = billing("finish", run_id, at=RUN_AT)
    assert finished.returncode == 0, finished.stderr
    return int(run_id), billed


def test_four_workers_share_a_run_and_bill_each_membership_once(admin):
    due = enroll_due(admin, essentials(), CARDS)

    run_id, billed = _shared_run()

    # The work was shared: more than one worker took batches, and between them the workers
    # billed each due membership once.
    assert len([count for count in billed if count > 0]) > 1, billed
    assert sum(billed) == MEMBERS
    for member in due:
        (invoice,) = period_invoices(member.membership)
        (attempt,) = PaymentAttempt.objects.filter(invoice=invoice)
        assert len(gateway_charges(invoice)) == 1
        if member.card == PAYS:
            assert (attempt.status, invoice.status) == (AttemptStatus.SUCCEEDED, InvoiceStatus.PAID)
        else:
            assert (attempt.status, invoice.status) == (AttemptStatus.DECLINED, InvoiceStatus.OPEN)
    assert not MembershipBilling.objects.filter(next_bill_on__lte=RUN_DAY).exists()

    run = BillingRun.objects.get(pk=run_id)
    issued = Invoice.objects.filter(billing_run=run)
    assert issued.count() == MEMBERS
    assert sum(invoice.total for invoice in issued) == MEMBERS * PRICE
    assert (
        run.status,
        run.memberships_seen,
        run.invoices_issued,
        run.amount_invoiced,
        run.charges_succeeded,
        run.charges_failed,
        run.amount_collected,
        run.errors,
    ) == (
        RunStatus.FINISHED,
        MEMBERS,
        MEMBERS,
        MEMBERS * PRICE,
        MEMBERS - DECLINED,
        DECLINED,
        (MEMBERS - DECLINED) * PRICE,
        0,
    )
    assert journal_sum() == 0


def test_four_workers_apply_the_changes_due_of_the_memberships_they_bill(admin):
    plan = essentials()
    basics = make_plan(code="basics", rank=1, monthly=6_000)
    due = enroll_due(admin, plan, [PAYS] * MEMBERS)
    freeze_on(date(2026, 2, 15))
    downgrading = {member.membership.pk for member in due[::2]}
    for member in due[::2]:
        membership_downgrade(
            actor=admin, membership=member.membership, plan=basics, at_period_end=True
        )

    run_id, billed = _shared_run()

    assert sum(billed) == MEMBERS
    for member in due:
        member.membership.refresh_from_db()
        (invoice,) = period_invoices(member.membership)
        if member.membership.pk in downgrading:
            assert (member.membership.plan_id, invoice.total) == (basics.pk, 6_000)
        else:
            assert (member.membership.plan_id, invoice.total) == (plan.pk, PRICE)
        assert invoice.status == InvoiceStatus.PAID
        assert len(gateway_charges(invoice)) == 1
    run = BillingRun.objects.get(pk=run_id)
    assert (run.status, run.invoices_issued, run.errors) == (RunStatus.FINISHED, MEMBERS, 0)
    assert journal_sum() == 0
