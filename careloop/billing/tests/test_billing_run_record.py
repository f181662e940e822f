"""Each billing run is recorded: memberships billed, invoices issued and their amount, charges
that succeeded and failed, the amount collected, retries of failed payments, and the
memberships it could not bill. The three steps of a run (prepare, work, close) can be called
separately so that several workers share one run.

Essentials at 10000 a month from February 1 2026; the run on March 1 bills each member's
second period.
"""

from datetime import date

import pytest

from careloop.billing.errors import BillingRunFinished
from careloop.billing.models import BillingRun, Invoice, InvoiceKind, InvoiceStatus, RunStatus
from careloop.billing.services import runs
from careloop.billing.services.membership_billing import membership_bill_period
from careloop.billing.services.runs import (
    billing_run,
    billing_run_close,
    billing_run_prepare,
    billing_run_work,
)
from careloop.billing.tests.builders import DECLINING_CARD, committed, invoices_of, with_card
from careloop.core import clock
from careloop.memberships.models import MemberRole, Membership, RosterEntry, Sponsor
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import membership_downgrade
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

MARCH_FIRST = date(2026, 3, 1)


@pytest.fixture
def essentials(db):
    freeze_on(date(2026, 2, 1))
    return make_plan(code="essentials", rank=2, monthly=10_000)


def _member(admin, plan, given: str, card: str | None = None) -> Membership:
    freeze_on(date(2026, 2, 1))
    payer = make_patient(given=given)
    with_card(payer)
    with committed():
        membership = enroll(admin, plan, payer, start=date(2026, 2, 1))
    if card is not None:
        with_card(payer, card)
    return membership


def _sponsored(admin, plan, given: str) -> Membership:
    sponsor = Sponsor.objects.create(name="Acme Works", created_at=clock.now())
    sponsor.plans.add(plan)
    patient = make_patient(given=given)
    RosterEntry.objects.create(
        sponsor=sponsor, patient=patient, effective_on=date(2026, 1, 1), created_at=clock.now()
    )
    freeze_on(date(2026, 2, 1))
    return membership_enroll(
        actor=admin,
        plan=plan,
        interval="monthly",
        sponsor=sponsor,
        members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
        start_date=date(2026, 2, 1),
    )


def _run_on(day: date) -> BillingRun:
    freeze_on(day)
    return billing_run(as_of=day)


def _record(run: BillingRun) -> dict[str, object]:
    return {
        "status": run.status,
        "memberships_seen": run.memberships_seen,
        "invoices_issued": run.invoices_issued,
        "amount_invoiced": run.amount_invoiced,
        "charges_succeeded": run.charges_succeeded,
        "charges_failed": run.charges_failed,
        "amount_collected": run.amount_collected,
        "retries": run.retries,
        "errors": run.errors,
    }


def test_a_run_records_what_it_billed_and_collected(admin, essentials):
    _member(admin, essentials, "Ann")
    _member(admin, essentials, "Bob")
    declined = _member(admin, essentials, "Cal", DECLINING_CARD)
    _sponsored(admin, essentials, "Sam")

    run = _run_on(MARCH_FIRST)

    # Three members' March and the sponsor's February (one line of 10000) are issued; the
    # sponsored member's own invoice would be empty, and sponsors pay outside the gateway.
    assert _record(run) == {
        "status": RunStatus.FINISHED,
        "memberships_seen": 4,
        "invoices_issued": 4,
        "amount_invoiced": 40_000,
        "charges_succeeded": 2,
        "charges_failed": 1,
        "amount_collected": 20_000,
        "retries": 0,
        "errors": 0,
    }
    assert run.finished_at == clock.now()
    assert invoices_of(declined)[-1].status == InvoiceStatus.OPEN
    assert Invoice.objects.filter(kind=InvoiceKind.SPONSOR, billing_run=run).count() == 1


def test_a_rerun_for_the_same_day_records_nothing_issued_or_charged(admin, essentials):
    _member(admin, essentials, "Ann")
    _member(admin, essentials, "Cal", DECLINING_CARD)
    _run_on(MARCH_FIRST)

    again = _run_on(MARCH_FIRST)

    assert _record(again) == {
        "status": RunStatus.FINISHED,
        "memberships_seen": 0,
        "invoices_issued": 0,
        "amount_invoiced": 0,
        "charges_succeeded": 0,
        "charges_failed": 0,
        "amount_collected": 0,
        "retries": 0,
        "errors": 0,
    }


def test_retries_of_failed_payments_are_counted_with_their_outcomes(admin, essentials):
    declined = _member(admin, essentials, "Cal", DECLINING_CARD)
    _run_on(MARCH_FIRST)
    assert invoices_of(declined)[-1].next_retry_on == date(2026, 3, 2)

    still_declined = _run_on(date(2026, 3, 2))
    assert (still_declined.retries, still_declined.charges_failed) == (1, 1)
    assert invoices_of(declined)[-1].next_retry_on == date(2026, 3, 3)

    assert declined.payer_patient is not None
    with_card(declined.payer_patient)
    paid = _run_on(date(2026, 3, 3))
    assert (paid.retries, paid.charges_succeeded, paid.amount_collected) == (1, 1, 10_000)
    assert invoices_of(declined)[-1].status == InvoiceStatus.PAID


def test_a_membership_that_cannot_be_billed_is_counted_as_an_error_and_the_rest_are_billed(
    admin, essentials, monkeypatch, settings
):
    # The per-membership path, where one membership's error is counted (the batch path falls
    # back to it: test_run_batch_path_equivalence.py).
    settings.BILLING_BATCH_PATH = False
    ann = _member(admin, essentials, "Ann")
    bob = _member(admin, essentials, "Bob")

    def refuse_bob(*, billing, run=None):
        if billing.membership_id == bob.pk:
            raise ValueError("the price version is missing")
        return membership_bill_period(billing=billing, run=run)

    monkeypatch.setattr(runs, "membership_bill_period", refuse_bob)

    run = _run_on(MARCH_FIRST)

    assert (run.memberships_seen, run.invoices_issued, run.errors) == (2, 1, 1)
    assert run.last_error == f"Membership {bob.pk}: the price version is missing"
    assert invoices_of(ann)[-1].period_start == MARCH_FIRST
    assert invoices_of(bob)[-1].period_start == date(2026, 2, 1)


def test_the_steps_of_a_run_can_be_called_one_by_one(admin, essentials):
    ann = _member(admin, essentials, "Ann")
    freeze_on(date(2026, 2, 15))
    basics = make_plan(code="basics", rank=1, monthly=6_000)
    membership_downgrade(actor=admin, membership=ann, plan=basics, at_period_end=True)
    _sponsored(admin, essentials, "Sam")
    freeze_on(MARCH_FIRST)

    run = billing_run_prepare(as_of=MARCH_FIRST, actor=admin)
    # Prepared: the sponsor's February issued, but no membership billed yet, and Ann's
    # downgrade due on March 1 left to the worker that bills her March.
    ann.refresh_from_db()
    assert ann.plan_id == essentials.pk
    assert invoices_of(ann)[-1].period_start == date(2026, 2, 1)
    assert (run.status, run.started_by, run.invoices_issued) == (RunStatus.RUNNING, admin, 1)

    assert billing_run_work(run=run) == 2
    assert billing_run_work(run=run) == 0  # a second worker finds nothing left
    ann.refresh_from_db()
    assert ann.plan_id == basics.pk
    assert invoices_of(ann)[-1].total == 6_000

    closed = billing_run_close(run=run)
    assert (closed.status, closed.memberships_seen, closed.invoices_issued) == (
        RunStatus.FINISHED,
        2,
        2,
    )
    assert (closed.charges_succeeded, closed.amount_collected) == (1, 6_000)


def test_a_finished_run_takes_no_more_work_and_cannot_be_closed_again(admin, essentials):
    run = _run_on(MARCH_FIRST)
    _member(admin, essentials, "Ann")

    with pytest.raises(BillingRunFinished, match="has finished"):
        billing_run_work(run=run)
    with pytest.raises(BillingRunFinished, match="has finished"):
        billing_run_close(run=run)
    assert BillingRun.objects.get(pk=run.pk).memberships_seen == 0
