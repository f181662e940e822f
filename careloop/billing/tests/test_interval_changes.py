"""An interval change starts the new interval on the change day (the anchor moves there) and
credits the unused days of the old period on the new period's invoice.

Essentials: 10000 a month, 28000 a quarter, 100000 a year.
"""

from datetime import date

import pytest

from careloop.billing.models import InvoiceKind, PaymentAttempt
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    billing_of,
    committed,
    invoices_of,
    journal_sum,
    line_dates,
    lines,
    with_card,
)
from careloop.memberships.models import Membership
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import membership_change_interval
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _member(admin, start: date, interval: Interval) -> Membership:
    freeze_on(start)
    plan = make_plan(code="essentials", rank=1, monthly=10_000, quarterly=28_000, annual=100_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        return enroll(admin, plan, ann, start=start, interval=interval)


def test_monthly_to_quarterly_mid_month_credits_the_month_and_bills_a_quarter_from_the_day(admin):
    membership = _member(admin, date(2026, 1, 1), Interval.MONTHLY)
    freeze_on(date(2026, 1, 11))
    with committed():
        membership_change_interval(actor=admin, membership=membership, interval=Interval.QUARTERLY)
    # 21 of January's 31 days unused: 10000 x 21 / 31 = 6774.19 -> 6774.
    invoice = invoices_of(membership)[-1]
    assert invoice.kind == InvoiceKind.RENEWAL
    assert lines(invoice) == [("proration_credit", -6_774), ("period", 28_000)]
    assert line_dates(invoice) == [
        ("proration_credit", date(2026, 1, 11), date(2026, 2, 1)),
        ("period", date(2026, 1, 11), date(2026, 4, 11)),
    ]
    assert invoice.total == 21_226
    assert PaymentAttempt.objects.get(invoice=invoice).amount == 21_226
    membership.refresh_from_db()
    assert (membership.anchor_date, membership.anchor_day) == (date(2026, 1, 11), 11)
    assert billing_of(membership).next_bill_on == date(2026, 4, 11)
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert len(invoices_of(membership)) == 2  # no monthly invoice any more
    freeze_on(date(2026, 4, 11))
    billing_run(as_of=date(2026, 4, 11))
    renewal = invoices_of(membership)[-1]
    assert (renewal.period_start, renewal.period_end) == (date(2026, 4, 11), date(2026, 7, 11))
    assert lines(renewal) == [("period", 28_000)]
    assert journal_sum() == 0


def test_quarterly_to_annual_mid_quarter_credits_the_quarter_and_bills_a_year_from_the_day(admin):
    membership = _member(admin, date(2026, 1, 1), Interval.QUARTERLY)
    freeze_on(date(2026, 2, 15))
    membership_change_interval(actor=admin, membership=membership, interval=Interval.ANNUAL)
    # [Jan 1, Apr 1) has 90 days, 45 unused from February 15: 28000 x 45 / 90 = 14000.
    invoice = invoices_of(membership)[-1]
    assert lines(invoice) == [("proration_credit", -14_000), ("period", 100_000)]
    assert (invoice.period_start, invoice.period_end) == (date(2026, 2, 15), date(2027, 2, 15))
    assert invoice.total == 86_000
    assert billing_of(membership).next_bill_on == date(2027, 2, 15)


def test_quarterly_to_annual_on_february_29_renews_on_february_28_and_keeps_the_29th(admin):
    membership = _member(admin, date(2028, 1, 1), Interval.QUARTERLY)
    freeze_on(date(2028, 2, 29))
    membership_change_interval(actor=admin, membership=membership, interval=Interval.ANNUAL)
    # [Jan 1, Apr 1 2028) has 91 days, 32 unused from February 29: 28000 x 32 / 91 =
    # 9846.15 -> 9846.
    invoice = invoices_of(membership)[-1]
    assert lines(invoice) == [("proration_credit", -9_846), ("period", 100_000)]
    assert (invoice.period_start, invoice.period_end) == (date(2028, 2, 29), date(2029, 2, 28))
    membership.refresh_from_db()
    assert membership.anchor_day == 29


def test_an_interval_change_at_period_end_credits_nothing_and_bills_the_new_interval_then(admin):
    membership = _member(admin, date(2026, 1, 1), Interval.MONTHLY)
    freeze_on(date(2026, 1, 11))
    outcome = membership_change_interval(
        actor=admin, membership=membership, interval=Interval.QUARTERLY, at_period_end=True
    )
    assert outcome.scheduled is not None
    assert len(invoices_of(membership)) == 1
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    invoice = invoices_of(membership)[-1]
    assert lines(invoice) == [("period", 28_000)]
    assert (invoice.period_start, invoice.period_end) == (date(2026, 2, 1), date(2026, 5, 1))
    assert billing_of(membership).next_bill_on == date(2026, 5, 1)
