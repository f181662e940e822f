"""How long a redeemed code discounts: `once` the first period invoice after redemption,
`periods` that many period invoices, `forever` every one; a percentage also discounts the
charge of a mid-period change in a discounted period, and only then.

Essentials, monthly, 10000, from January 1 2026; the code is redeemed on January 5, so the
January invoice (issued at enrollment) is not discounted and February's is the first.
"""

from datetime import date

import pytest

from careloop.billing.services.discounts import discount_create, discount_redeem
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import invoices_of, journal_sum, lines, with_card
from careloop.memberships.models import Membership
from careloop.memberships.services.lifecycle import membership_upgrade
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

MONTHS = [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]


@pytest.fixture
def plans(db):
    freeze_on(date(2026, 1, 1))
    return (
        make_plan(code="essentials", rank=1, monthly=10_000),
        make_plan(code="active-care", rank=2, monthly=15_000),
    )


def _member_with_code(admin, plan_pair, **discount) -> Membership:
    ann = make_patient(given="Ann")
    with_card(ann)
    membership = enroll(admin, plan_pair[0], ann, start=date(2026, 1, 1))
    discount_create(actor=admin, name="Spring", code="SPRING", **discount)
    freeze_on(date(2026, 1, 5))
    discount_redeem(actor=admin, membership=membership, code="SPRING")
    return membership


def _bill_months(*months: date) -> None:
    for month in months:
        freeze_on(month)
        billing_run(as_of=month)


def _invoice_lines(membership: Membership) -> list[list[tuple[str, int]]]:
    return [lines(invoice) for invoice in invoices_of(membership)]


def test_a_percentage_forever_discounts_every_period_invoice(admin, plans):
    membership = _member_with_code(admin, plans, kind="percent", percent_off=15, duration="forever")
    _bill_months(*MONTHS)
    # 15% of 10000 = 1500.
    assert _invoice_lines(membership) == [
        [("period", 10_000)],
        *[[("period", 10_000), ("discount", -1_500)]] * 4,
    ]
    assert journal_sum() == 0


def test_an_amount_once_discounts_only_the_first_period_invoice_after_redemption(admin, plans):
    membership = _member_with_code(admin, plans, kind="amount", amount_off=2_500, duration="once")
    _bill_months(*MONTHS[:3])
    assert _invoice_lines(membership) == [
        [("period", 10_000)],
        [("period", 10_000), ("discount", -2_500)],
        [("period", 10_000)],
        [("period", 10_000)],
    ]


def test_an_amount_for_two_periods_discounts_two_period_invoices(admin, plans):
    membership = _member_with_code(
        admin, plans, kind="amount", amount_off=2_500, duration="periods", periods=2
    )
    _bill_months(*MONTHS)
    assert _invoice_lines(membership) == [
        [("period", 10_000)],
        [("period", 10_000), ("discount", -2_500)],
        [("period", 10_000), ("discount", -2_500)],
        [("period", 10_000)],
        [("period", 10_000)],
    ]


def test_an_amount_larger_than_the_charge_discounts_it_to_zero_and_no_further(admin, plans):
    membership = _member_with_code(admin, plans, kind="amount", amount_off=12_000, duration="once")
    _bill_months(MONTHS[0])
    february = invoices_of(membership)[-1]
    assert lines(february) == [("period", 10_000), ("discount", -10_000)]
    assert (february.total, february.status) == (0, "paid")


def test_a_percentage_for_some_periods_discounts_an_upgrade_in_a_discounted_period(admin, plans):
    membership = _member_with_code(
        admin, plans, kind="percent", percent_off=20, duration="periods", periods=1
    )
    _bill_months(MONTHS[0])
    freeze_on(date(2026, 2, 15))
    membership_upgrade(actor=admin, membership=membership, plan=plans[1])
    # February was discounted: 8000 paid for 28 days, 14 left. Credit 8000 x 14 / 28 = 4000;
    # charge 15000 x 14 / 28 = 7500 less 20% = 1500.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -4_000),
        ("proration_charge", 7_500),
        ("discount", -1_500),
    ]


def test_a_used_up_percentage_does_not_discount_an_upgrade_in_a_later_period(admin, plans):
    membership = _member_with_code(admin, plans, kind="percent", percent_off=20, duration="once")
    _bill_months(MONTHS[0], MONTHS[1])
    assert _invoice_lines(membership)[-1] == [("period", 10_000)]
    freeze_on(date(2026, 3, 17))
    membership_upgrade(actor=admin, membership=membership, plan=plans[1])
    # March was not discounted: 15 of 31 days left. Credit 10000 x 15 / 31 = 4838.71 -> 4839;
    # charge 15000 x 15 / 31 = 7258.06 -> 7258, with no discount.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -4_839),
        ("proration_charge", 7_258),
    ]


def test_a_code_for_one_plan_stops_discounting_after_a_change_to_another_plan(admin, plans):
    essentials, active_care = plans
    membership = _member_with_code(
        admin, plans, kind="percent", percent_off=15, duration="forever", plans=[essentials]
    )
    _bill_months(MONTHS[0])
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000), ("discount", -1_500)]
    freeze_on(date(2026, 2, 15))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    # Credit over the 8500 paid: 8500 x 14 / 28 = 4250; Active Care's 14 days in full: 7500.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -4_250),
        ("proration_charge", 7_500),
    ]
    _bill_months(MONTHS[1])
    assert lines(invoices_of(membership)[-1]) == [("period", 15_000)]
