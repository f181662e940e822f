"""A billing run killed between any two of its steps and restarted bills everyone once.

`careloop billing run --as-of 2026-03-01` runs in a subprocess with CARELOOP_CRASH_AT naming
a step (careloop.core.faults): it exits there with status 137, as if killed. Then the
operator's restart: the same run again in a new process later that morning, past the five
minutes after which a charge with no answer is settled, then `careloop billing settle` (in
this process, with the clock ten minutes later still) for what that run charged without an
answer. Afterwards each due membership has exactly one invoice for March, the
gateway was asked to charge each invoice once (a charge whose record was written but which
never left is settled as not sent, and charged again), good cards are paid, declined ones are
on the dunning path, and the journal balances.

The seed: 20 members of Essentials (10000 a month) enrolled on February 1, so due on March 1:
14 cards that pay, 2 that decline for insufficient funds, 1 expired card, 2 that time out but
pay; one of those that pay has a downgrade to Basics (6000) due on March 1. Besides them, Rita
enrolled on February 28 with a card that declined and has since saved one that pays: her
retry is due on March 1. An employer sponsors Sam from February 1; its invoice for February
is issued by the March 1 run. The seed is written once and the database copied back before
each case (careloop.testing.snapshots). The steps of the per-membership path are crashed with
CARELOOP_BILLING_BATCH_PATH off, those of the batch path with it on.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from careloop.accounts.roles import Role
from careloop.billing.models import (
    AttemptStatus,
    BillingRun,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MembershipBilling,
    PaymentAttempt,
    RunStatus,
)
from careloop.billing.tests.builders import DECLINING_CARD, with_card
from careloop.billing.tests.run_builders import (
    DECLINES,
    EXPIRED,
    PAYS,
    PRICE,
    RUN_AT,
    RUN_DAY,
    TIMES_OUT_BUT_PAYS,
    Due,
    attempt_statuses,
    billing,
    charges_taken,
    enroll_due,
    essentials,
    gateway_charges,
    journal_sum,
    period_invoices,
)
from careloop.core import clock
from careloop.memberships.models import (
    MemberRole,
    Membership,
    MembershipStatus,
    RosterEntry,
    Sponsor,
)
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import membership_downgrade
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient, make_user
from careloop.testing.snapshots import saved_database

pytestmark = pytest.mark.django_db(transaction=True)

CRASHED = 137
RESTART_AT = RUN_AT + timedelta(minutes=10)
SETTLE_AT = RUN_AT + timedelta(minutes=20)
CARDS = [PAYS] * 14 + [DECLINES] * 2 + [EXPIRED] + [TIMES_OUT_BUT_PAYS] * 2
BASICS_PRICE = 6_000

# The run issues 21 invoices: the 20 members' March (19 x 10000 and the downgraded 6000)
# and the sponsor's February (10000).
ISSUED = 21
INVOICED = 19 * PRICE + BASICS_PRICE + PRICE
# Every step of a run, in order, with what the restarted run still has to issue: what the
# crashed process committed stays. attempt_settled is reached only when an unanswered charge
# is old enough to ask about, so that crash happens in a later `billing settle`.
# The per-membership path (CARELOOP_BILLING_BATCH_PATH off): each membership issued in its
# own savepoint, each invoice charged on its own.
RUN_STEPS = [
    ("billing.run_prepared", ISSUED),
    ("billing.changes_applied", ISSUED),
    ("billing.sponsors_issued", ISSUED - 1),
    ("billing.batch_claimed", ISSUED - 1),
    ("billing.invoice_issued", ISSUED - 1),
    ("billing.batch_committed", 0),
    ("billing.attempt_recorded", 0),
    ("billing.charge_returned", 0),
    ("billing.retries_done", 0),
    ("billing.notices_sent", 0),
    ("billing.before_finished", 0),
]
# The batch path (on, the default): the 20 renewals issued together (the downgrade is applied
# as the run starts, so that renewal is plain too), their attempts recorded together before
# any gateway call, charged, and their outcomes written together. Crashes after the batch's
# writes but before its commit, after its attempts are committed, after the first charge
# returned and after the last one returned, before any outcome is written, and after the
# payments, the declines and the unanswered charges are written together.
BATCH_STEPS = [
    ("billing.run_prepared", ISSUED),
    ("billing.sponsors_issued", ISSUED - 1),
    ("billing.batch_claimed", ISSUED - 1),
    ("billing.batch_issued", ISSUED - 1),
    ("billing.batch_committed", 0),
    ("billing.batch_attempts_recorded", 0),
    ("billing.batch_charging", 0),
    ("billing.batch_charged", 0),
    ("billing.batch_outcomes_recorded", 0),
    ("billing.retries_done", 0),
    ("billing.before_finished", 0),
]


@pytest.fixture(scope="module")
def saved_seed(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    with django_db_blocker.unblock():
        seeded = _seed(make_user(role=Role.ADMIN, username="admin_alex"))
        with saved_database() as restore:
            yield seeded, restore


@pytest.fixture
def seeded(saved_seed: Any, transactional_db: None) -> Any:
    seeded, restore = saved_seed
    restore()
    return seeded


def _seed(admin):
    plan = essentials()
    basics = make_plan(code="basics", rank=1, monthly=BASICS_PRICE)
    due = enroll_due(admin, plan, [PAYS, *CARDS])
    downgraded = due[0].membership
    freeze_on(date(2026, 2, 15))
    membership_downgrade(actor=admin, membership=downgraded, plan=basics, at_period_end=True)

    sponsor = Sponsor.objects.create(name="Acme Works", created_at=clock.now())
    sponsor.plans.add(plan)
    sam = make_patient(given="Sam")
    RosterEntry.objects.create(
        sponsor=sponsor, patient=sam, effective_on=date(2026, 1, 1), created_at=clock.now()
    )
    freeze_on(date(2026, 2, 1))
    sponsored = membership_enroll(
        actor=admin,
        plan=plan,
        interval="monthly",
        sponsor=sponsor,
        members=[MemberSpec(patient=sam, role=MemberRole.PRIMARY)],
        start_date=date(2026, 2, 1),
    )

    freeze_on(date(2026, 2, 28))
    rita = make_patient(given="Rita")
    with_card(rita, DECLINING_CARD)
    retried = enroll(admin, plan, rita, start=date(2026, 2, 28))
    with_card(rita, PAYS)
    clock.unfreeze()
    return due, downgraded, sponsor, sponsored, retried


def _assert_each_due_membership_billed_once(due: list[Due], downgraded) -> None:
    for member in due:
        invoices = period_invoices(member.membership)
        assert len(invoices) == 1, member
        (invoice,) = invoices
        assert invoice.total == (BASICS_PRICE if member.membership == downgraded else PRICE)
        # The gateway was asked once; a charge recorded but never sent does not count.
        assert len(gateway_charges(invoice)) == 1, (member, attempt_statuses(invoice))
        statuses = attempt_statuses(invoice)
        assert statuses[AttemptStatus.PENDING] == 0
        if member.card in (PAYS, TIMES_OUT_BUT_PAYS):
            assert charges_taken(invoice) == 1
            assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, invoice.total)
            assert statuses[AttemptStatus.SUCCEEDED] == 1
            assert Membership.objects.get(pk=member.membership.pk).status == (
                MembershipStatus.ACTIVE
            )
        else:
            assert charges_taken(invoice) == 0
            assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, 0)
            assert statuses[AttemptStatus.DECLINED] == 1
            assert (invoice.failed_attempts, invoice.next_retry_on) == (1, date(2026, 3, 2))
            assert Membership.objects.get(pk=member.membership.pk).status == (
                MembershipStatus.PAST_DUE
            )


def _settle_later() -> str:
    """`careloop billing settle` ten minutes after the restarted run."""
    clock.freeze(SETTLE_AT)
    out = StringIO()
    call_command("billing", "settle", stdout=out)
    return out.getvalue()


def _assert_nothing_lost(due, downgraded, sponsor, sponsored, retried) -> None:
    _assert_each_due_membership_billed_once(due, downgraded)
    assert not MembershipBilling.objects.filter(next_bill_on__lte=RUN_DAY).exists()
    assert period_invoices(sponsored) == []
    (february,) = Invoice.objects.filter(kind=InvoiceKind.SPONSOR)
    assert (february.period_start, february.total) == (date(2026, 2, 1), PRICE)
    assert february.account.sponsor == sponsor
    (enrollment,) = Invoice.objects.filter(membership=retried)
    assert (enrollment.status, enrollment.amount_paid) == (InvoiceStatus.PAID, PRICE)
    assert attempt_statuses(enrollment) == {AttemptStatus.DECLINED: 1, AttemptStatus.SUCCEEDED: 1}
    assert charges_taken(enrollment) == 1
    assert not PaymentAttempt.objects.filter(status=AttemptStatus.PENDING).exists()
    assert journal_sum() == 0
    # The runs' records add up to what was issued, however the work was split between them.
    runs = BillingRun.objects.all()
    issued = Invoice.objects.filter(billing_run__isnull=False)
    assert sum(run.invoices_issued for run in runs) == issued.count() == ISSUED
    assert sum(run.amount_invoiced for run in runs) == sum(i.total for i in issued) == INVOICED
    assert BillingRun.objects.latest("id").status == RunStatus.FINISHED


@pytest.mark.parametrize(
    ("batch_path", "step", "left_to_issue"),
    [("0", step, left) for step, left in RUN_STEPS]
    + [("1", step, left) for step, left in BATCH_STEPS],
    ids=[f"one-by-one-{step}" for step, _ in RUN_STEPS]
    + [f"batch-{step}" for step, _ in BATCH_STEPS],
)
def test_a_run_killed_at_a_step_and_restarted_bills_each_due_membership_once(
    seeded, batch_path, step, left_to_issue
):
    path = {"CARELOOP_BILLING_BATCH_PATH": batch_path}
    crashed = billing(
        "run", "--as-of", RUN_DAY.isoformat(), at=RUN_AT, CARELOOP_CRASH_AT=step, **path
    )
    assert crashed.returncode == CRASHED, crashed.stderr
    assert BillingRun.objects.get().status == RunStatus.RUNNING

    restarted = billing("run", "--as-of", RUN_DAY.isoformat(), at=RESTART_AT, **path)
    assert restarted.returncode == 0, restarted.stderr
    assert f"Invoices issued: {left_to_issue} for" in restarted.stdout
    _settle_later()

    _assert_nothing_lost(*seeded)


def test_a_settle_killed_after_settling_a_charge_and_restarted_settles_the_rest(seeded):
    run = billing("run", "--as-of", RUN_DAY.isoformat(), at=RUN_AT)
    assert run.returncode == 0, run.stderr
    assert PaymentAttempt.objects.filter(status=AttemptStatus.PENDING).count() == 2

    crashed = billing("settle", at=RESTART_AT, CARELOOP_CRASH_AT="billing.attempt_settled")
    assert crashed.returncode == CRASHED, crashed.stderr
    assert PaymentAttempt.objects.filter(status=AttemptStatus.PENDING).count() == 1

    settled = _settle_later()
    assert "Settled 1 charge whose outcome was unknown; 0 still waiting" in settled

    _assert_nothing_lost(*seeded)
