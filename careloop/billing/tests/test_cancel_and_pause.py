"""Cancelling (at period end or now, within a commitment) and pausing and resuming.

Monthly plan of 10000 anchored on January 1 2026; a change on January 11 leaves 21 of 31
days unused: 10000 x 21 / 31 = 6774.19 -> 6774.
"""

from datetime import date

import pytest

from careloop.billing.models import InvoiceKind, PaymentAttempt
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.refunds import refund_create
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    billing_of,
    committed,
    invoices_of,
    journal_sum,
    line_dates,
    lines,
    with_card,
)
from careloop.core.errors import ValidationFailed
from careloop.memberships.services.lifecycle import (
    membership_cancel,
    membership_pause,
    membership_resume,
)
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan, make_reason
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _member(admin, **plan_fields):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000, **plan_fields)
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, plan, ann, start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    return membership, ann


def test_cancel_at_period_end_gives_no_credit_and_stops_billing(admin):
    membership, ann = _member(admin)
    membership_cancel(actor=admin, membership=membership, reason=make_reason(), at_period_end=True)
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    freeze_on(date(2026, 3, 1))
    billing_run(as_of=date(2026, 3, 1))
    assert len(invoices_of(membership)) == 1
    assert account_balance(account_of(ann)).credit == 0
    assert billing_of(membership).next_bill_on is None


def test_cancel_now_credits_unused_days_which_a_refund_pays_back_to_the_card(admin):
    membership, ann = _member(admin)
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    assert lines(invoices_of(membership)[-1]) == [("proration_credit", -6_774)]
    assert account_balance(account_of(ann)).credit == 6_774
    payment = PaymentAttempt.objects.get(invoice=invoices_of(membership)[0])
    refund = refund_create(actor=admin, attempt=payment, amount=6_774, reason="Moving away")
    assert refund.status == "succeeded"
    assert account_balance(account_of(ann)).credit == 0
    assert journal_sum() == 0


def test_a_refund_can_never_exceed_what_was_paid(admin):
    membership, _ = _member(admin)
    payment = PaymentAttempt.objects.get(invoice=invoices_of(membership)[0])
    refund_create(actor=admin, attempt=payment, amount=4_000, reason="Goodwill")
    with pytest.raises(ValidationFailed) as refused:
        refund_create(actor=admin, attempt=payment, amount=6_001, reason="Goodwill")
    assert refused.value.errors[0].field == "amount"
    assert refused.value.errors[0].code == "more_than_paid"
    payment.refresh_from_db()
    assert payment.amount_refunded == 4_000


def test_cancel_now_within_the_minimum_commitment_charges_the_early_termination_fee(admin):
    membership, ann = _member(admin, minimum_commitment_months=3, early_termination_fee=5_000)
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    change = invoices_of(membership)[-1]
    assert lines(change) == [("proration_credit", -6_774), ("early_termination_fee", 5_000)]
    assert change.total == 0
    assert account_balance(account_of(ann)).credit == 1_774


def test_cancel_after_the_minimum_commitment_charges_no_fee(admin):
    membership, _ = _member(admin, minimum_commitment_months=1, early_termination_fee=5_000)
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    freeze_on(date(2026, 2, 15))
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    # 14 of February's 28 days unused: 10000 x 14 / 28 = 5000
    assert lines(invoices_of(membership)[-1]) == [("proration_credit", -5_000)]


def test_pause_credits_paid_days_charges_the_fee_monthly_and_resume_bills_a_stub(admin):
    membership, _ann = _member(admin, pause_fee_per_month=1_000)
    membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 3, 10))
    credit, fee = invoices_of(membership)[1:]
    assert lines(credit) == [("proration_credit", -6_774)]
    assert lines(fee) == [("pause_fee", 1_000)]
    assert fee.kind == InvoiceKind.FEES
    assert line_dates(fee) == [("pause_fee", date(2026, 1, 11), date(2026, 2, 11))]
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert len(invoices_of(membership)) == 3  # no membership invoice while paused
    freeze_on(date(2026, 2, 11))
    billing_run(as_of=date(2026, 2, 11))
    assert lines(invoices_of(membership)[-1]) == [("pause_fee", 1_000)]
    freeze_on(date(2026, 3, 10))
    billing_run(as_of=date(2026, 3, 10))
    stub = invoices_of(membership)[-1]
    # March 10 to April 1: 22 of 31 days, 10000 x 22 / 31 = 7096.77 -> 7097
    assert line_dates(stub) == [("proration_charge", date(2026, 3, 10), date(2026, 4, 1))]
    assert lines(stub) == [("proration_charge", 7_097)]
    assert billing_of(membership).next_bill_on == date(2026, 4, 1)
    freeze_on(date(2026, 4, 1))
    billing_run(as_of=date(2026, 4, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000)]
    assert journal_sum() == 0


def test_resuming_early_bills_a_stub_from_the_resume_day(admin):
    membership, _ = _member(admin)
    membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 4, 1))
    freeze_on(date(2026, 1, 20))
    membership_resume(actor=admin, membership=membership)
    # Jan 20 to Feb 1: 12 of 31 days: 10000 x 12 / 31 = 3870.97 -> 3871
    assert lines(invoices_of(membership)[-1]) == [("proration_charge", 3_871)]
