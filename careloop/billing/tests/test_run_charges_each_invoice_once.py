"""A billing run charges each invoice it issues once, whoever else was asked to collect it,
and counts it.

A paused membership's monthly pause fee is issued by the run and also handed to collection
after commit by the billing of the pause (membership_billing.py). With a declining card that
must stay one declined attempt, one failure on the dunning schedule, not two on one day.

Essentials at 10000 a month from January 1 2026, paused on January 31 until April 15 with a
pause fee of 1000 a month: the one unused day's credit (10000 / 31 = 323) leaves 677 of the
first fee, paid by card; the fee of February 28 is issued by that day's run, and the card on
file by then declines.
"""

from datetime import date

import pytest

from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    InvoiceKind,
    InvoiceStatus,
    PaymentAttempt,
)
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import DECLINING_CARD, committed, invoices_of, with_card
from careloop.memberships.services.lifecycle import membership_change_interval, membership_pause
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _ann_enrolled(admin, **plan_fields):
    """Ann on Essentials at 10000 a month from January 1 2026, her card paying."""
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000, **plan_fields)
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, plan, ann, start=date(2026, 1, 1))
    return ann, membership


def test_a_declined_pause_fee_issued_by_a_run_is_charged_once(admin):
    ann, membership = _ann_enrolled(admin, pause_fee_per_month=1_000)
    freeze_on(date(2026, 1, 31))
    with committed():
        membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 4, 15))
    with_card(ann, DECLINING_CARD)

    freeze_on(date(2026, 2, 28))
    with committed():
        run = billing_run(as_of=date(2026, 2, 28))

    first_fee, fee = invoices_of(membership)[-2:]
    assert (first_fee.total, first_fee.amount_paid) == (1_000, 677)
    assert (fee.kind, fee.total, fee.period_start) == (InvoiceKind.FEES, 1_000, None)
    attempts = PaymentAttempt.objects.filter(invoice=fee)
    assert [attempt.status for attempt in attempts] == [AttemptStatus.DECLINED]
    fee.refresh_from_db()
    assert (fee.status, fee.failed_attempts, fee.next_retry_on) == (
        InvoiceStatus.OPEN,
        1,
        date(2026, 3, 1),
    )
    assert (run.invoices_issued, run.amount_invoiced) == (1, 1_000)


def test_a_run_charges_and_counts_the_invoice_a_change_it_applies_issues_at_once(admin):
    """A change to annual billing scheduled for the end of January issues the year's invoice
    (100000 from February 1) when the February 1 run applies it. The run charges it with the
    batch's other invoices, once, and counts it; before, it was charged after the batch's
    commit on its own, and the run counted neither."""
    _, membership = _ann_enrolled(admin, annual=100_000)
    freeze_on(date(2026, 1, 20))
    with committed():
        membership_change_interval(
            actor=admin, membership=membership, interval="annual", at_period_end=True
        )

    freeze_on(date(2026, 2, 1))
    with committed():
        run = billing_run(as_of=date(2026, 2, 1))

    year = invoices_of(membership)[-1]
    assert (year.total, year.period_start, year.period_end) == (
        100_000,
        date(2026, 2, 1),
        date(2027, 2, 1),
    )
    attempts = PaymentAttempt.objects.filter(invoice=year)
    assert [(attempt.status, attempt.trigger) for attempt in attempts] == [
        (AttemptStatus.SUCCEEDED, AttemptTrigger.RUN)
    ]
    run.refresh_from_db()
    assert (run.invoices_issued, run.amount_invoiced) == (1, 100_000)
    assert (run.charges_succeeded, run.amount_collected) == (1, 100_000)
