"""Upgrades and downgrades in the middle of quarterly (90-92 days) and annual (365 or 366 days)
periods: the unused days are credited and the remaining days charged, each over the length of
the containing period.

Essentials costs 28000 a quarter and 100000 a year; Active Care 42000 and 150000.
"""

from datetime import date

import pytest

from careloop.billing.models import InvoiceKind, PaymentAttempt
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    committed,
    invoices_of,
    journal_sum,
    line_dates,
    lines,
    with_card,
)
from careloop.memberships.models import Membership, Plan
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import membership_downgrade, membership_upgrade
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _plans() -> tuple[Plan, Plan]:
    essentials = make_plan(
        code="essentials", rank=1, monthly=10_000, quarterly=28_000, annual=100_000
    )
    active_care = make_plan(
        code="active-care", rank=2, monthly=15_000, quarterly=42_000, annual=150_000
    )
    return essentials, active_care


def _member(
    admin, plan_rank: int, start: date, interval: Interval
) -> tuple[Membership, Plan, Plan]:
    freeze_on(start)
    essentials, active_care = _plans()
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(
            admin, (essentials, active_care)[plan_rank - 1], ann, start=start, interval=interval
        )
    return membership, essentials, active_care


@pytest.mark.parametrize(
    ("start", "change_on", "interval", "credit", "charge"),
    [
        # [Jan 1, Apr 1 2026) has 90 days; Feb 15 leaves 45:
        # 28000 x 45 / 90 = 14000; 42000 x 45 / 90 = 21000.
        (date(2026, 1, 1), date(2026, 2, 15), Interval.QUARTERLY, 14_000, 21_000),
        # [Jan 1, Apr 1 2028) has 91 days (leap February); Feb 15 leaves 46:
        # 28000 x 46 / 91 = 14153.85 -> 14154; 42000 x 46 / 91 = 21230.77 -> 21231.
        (date(2028, 1, 1), date(2028, 2, 15), Interval.QUARTERLY, 14_154, 21_231),
        # [Jul 1, Oct 1 2026) has 92 days; Aug 20 leaves 42:
        # 28000 x 42 / 92 = 12782.61 -> 12783; 42000 x 42 / 92 = 19173.91 -> 19174.
        (date(2026, 7, 1), date(2026, 8, 20), Interval.QUARTERLY, 12_783, 19_174),
        # [Jan 1 2026, Jan 1 2027) has 365 days; Jul 1 leaves 184:
        # 100000 x 184 / 365 = 50410.96 -> 50411; 150000 x 184 / 365 = 75616.44 -> 75616.
        (date(2026, 1, 1), date(2026, 7, 1), Interval.ANNUAL, 50_411, 75_616),
        # [Mar 1 2027, Mar 1 2028) has 366 days (Feb 29 2028); Sep 1 2027 leaves 182:
        # 100000 x 182 / 366 = 49726.78 -> 49727; 150000 x 182 / 366 = 74590.16 -> 74590.
        (date(2027, 3, 1), date(2027, 9, 1), Interval.ANNUAL, 49_727, 74_590),
    ],
)
def test_an_upgrade_prorates_over_the_days_of_the_quarter_or_year(
    admin, start, change_on, interval, credit, charge
):
    membership, _, active_care = _member(admin, 1, start, interval)
    first = invoices_of(membership)[0]
    freeze_on(change_on)
    with committed():
        membership_upgrade(actor=admin, membership=membership, plan=active_care)
    change = invoices_of(membership)[-1]
    assert change.kind == InvoiceKind.CHANGE
    assert lines(change) == [("proration_credit", -credit), ("proration_charge", charge)]
    assert line_dates(change) == [
        ("proration_credit", change_on, first.period_end),
        ("proration_charge", change_on, first.period_end),
    ]
    assert change.total == charge - credit
    assert PaymentAttempt.objects.get(invoice=change).amount == charge - credit
    assert journal_sum() == 0


def test_after_a_quarterly_upgrade_the_next_quarter_is_billed_in_full_on_the_same_anchor(admin):
    membership, _, active_care = _member(admin, 1, date(2028, 1, 1), Interval.QUARTERLY)
    freeze_on(date(2028, 2, 15))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    freeze_on(date(2028, 4, 1))
    billing_run(as_of=date(2028, 4, 1))
    renewal = invoices_of(membership)[-1]
    assert (renewal.period_start, renewal.period_end) == (date(2028, 4, 1), date(2028, 7, 1))
    assert lines(renewal) == [("period", 42_000)]


@pytest.mark.parametrize(
    ("start", "change_on", "interval", "credit", "charge"),
    [
        # 90-day quarter, Feb 15 leaves 45: 42000 x 45 / 90 = 21000; 28000 x 45 / 90 = 14000.
        (date(2026, 1, 1), date(2026, 2, 15), Interval.QUARTERLY, 21_000, 14_000),
        # 366-day year, Sep 1 2027 leaves 182: 150000 x 182 / 366 = 74590.16 -> 74590;
        # 100000 x 182 / 366 = 49726.78 -> 49727.
        (date(2027, 3, 1), date(2027, 9, 1), Interval.ANNUAL, 74_590, 49_727),
    ],
)
def test_an_admin_downgrade_now_leaves_the_difference_as_credit_for_the_next_invoice(
    admin, start, change_on, interval, credit, charge
):
    membership, essentials, _ = _member(admin, 2, start, interval)
    freeze_on(change_on)
    membership_downgrade(actor=admin, membership=membership, plan=essentials)
    change = invoices_of(membership)[-1]
    assert lines(change) == [("proration_credit", -credit), ("proration_charge", charge)]
    assert change.total == 0
    assert membership.payer_patient is not None
    payer = account_of(membership.payer_patient)
    assert account_balance(payer).credit == credit - charge
    period_end = invoices_of(membership)[0].period_end
    assert period_end is not None
    freeze_on(period_end)
    with committed():
        billing_run(as_of=period_end)
    renewal = invoices_of(membership)[-1]
    full = 28_000 if interval == Interval.QUARTERLY else 100_000
    assert lines(renewal) == [("period", full)]
    assert renewal.credit_applied == credit - charge
    assert PaymentAttempt.objects.get(invoice=renewal).amount == full - (credit - charge)
    assert account_balance(payer).credit == 0
    assert journal_sum() == 0


def test_an_annual_downgrade_at_period_end_bills_the_smaller_plan_from_the_next_year(admin):
    membership, essentials, _ = _member(admin, 2, date(2026, 1, 1), Interval.ANNUAL)
    freeze_on(date(2026, 6, 1))
    membership_downgrade(actor=admin, membership=membership, plan=essentials, at_period_end=True)
    assert len(invoices_of(membership)) == 1
    freeze_on(date(2027, 1, 1))
    billing_run(as_of=date(2027, 1, 1))
    assert [lines(invoice) for invoice in invoices_of(membership)] == [
        [("period", 150_000)],
        [("period", 100_000)],
    ]
    assert (invoices_of(membership)[-1].period_start, invoices_of(membership)[-1].period_end) == (
        date(2027, 1, 1),
        date(2028, 1, 1),
    )
