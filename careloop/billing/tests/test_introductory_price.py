"""An introductory price is a discount attached to a plan: new enrollments get it for their
first periods; a plan change never grants the new plan's, and the old plan's stops with it.

Monthly from January 1 2026: Essentials 10000, Active Care 15000.
"""

from datetime import date
from typing import Any

import pytest

from careloop.billing.models import DiscountRedemption
from careloop.billing.services.discounts import discount_create
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import invoices_of, lines, with_card
from careloop.memberships.models import Membership, Plan
from careloop.memberships.services.lifecycle import membership_downgrade, membership_upgrade
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(db):
    freeze_on(date(2026, 1, 1))
    return (
        make_plan(code="essentials", rank=1, monthly=10_000, enrollment_fee=5_000),
        make_plan(code="active-care", rank=2, monthly=15_000),
    )


def _introductory(admin, plan: Plan, **fields):
    values: dict[str, Any] = {
        "kind": "percent",
        "percent_off": 50,
        "duration": "periods",
        "periods": 3,
    }
    return discount_create(
        actor=admin, name=f"{plan.name} at half price", introductory_for=plan, **(values | fields)
    )


def _member(admin, plan: Plan) -> Membership:
    ann = make_patient(given="Ann")
    with_card(ann)
    return enroll(admin, plan, ann, start=date(2026, 1, 1))


def _bill_months(*months: date) -> None:
    for month in months:
        freeze_on(month)
        billing_run(as_of=month)


def test_an_introductory_price_discounts_the_first_three_months_from_enrollment(admin, plans):
    essentials, _ = plans
    _introductory(admin, essentials)
    membership = _member(admin, essentials)
    _bill_months(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    # Half of 10000 for January (with the enrollment fee, never discounted), February and
    # March; April at the full price.
    assert [lines(invoice) for invoice in invoices_of(membership)] == [
        [("enrollment_fee", 5_000), ("period", 10_000), ("discount", -5_000)],
        [("period", 10_000), ("discount", -5_000)],
        [("period", 10_000), ("discount", -5_000)],
        [("period", 10_000)],
    ]


def test_an_introductory_amount_off_is_taken_from_the_membership_charge(admin, plans):
    _, active_care = plans
    _introductory(admin, active_care, kind="amount", amount_off=6_000, percent_off=None)
    membership = _member(admin, active_care)
    _bill_months(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    assert [invoice.total for invoice in invoices_of(membership)] == [
        9_000,
        9_000,
        9_000,
        15_000,
    ]


def test_an_upgrade_never_grants_the_new_plans_introductory_price(admin, plans):
    essentials, active_care = plans
    _introductory(admin, active_care)
    membership = _member(admin, essentials)
    freeze_on(date(2026, 1, 11))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    # 21 of 31 days: credit 10000 -> 6774, charge 15000 -> 10161, at the full price.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -6_774),
        ("proration_charge", 10_161),
    ]
    _bill_months(date(2026, 2, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 15_000)]
    assert not DiscountRedemption.objects.filter(membership=membership).exists()


def test_an_upgrade_ends_the_old_plans_introductory_price(admin, plans):
    essentials, active_care = plans
    _introductory(admin, essentials)
    membership = _member(admin, essentials)
    freeze_on(date(2026, 1, 11))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    # The credit is prorated over the 5000 paid: 5000 x 21 / 31 = 3387.10 -> 3387; Active
    # Care's remaining days are charged at its full price: 10161.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -3_387),
        ("proration_charge", 10_161),
    ]
    _bill_months(date(2026, 2, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 15_000)]


def test_a_downgrade_back_to_the_first_plan_does_not_restart_its_introductory_price(admin, plans):
    essentials, active_care = plans
    _introductory(admin, essentials, periods=6)
    membership = _member(admin, essentials)
    freeze_on(date(2026, 1, 11))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    membership_downgrade(actor=admin, membership=membership, plan=essentials, at_period_end=True)
    _bill_months(date(2026, 2, 1))
    # Back on Essentials within its six introductory months: the redemption made at
    # enrollment still runs (its second period), nothing new is granted.
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000), ("discount", -5_000)]
    assert DiscountRedemption.objects.filter(membership=membership).count() == 1


def test_an_introductory_price_no_longer_offered_is_not_granted(admin, plans):
    essentials, _ = plans
    discount = _introductory(admin, essentials)
    discount.active = False
    discount.save(update_fields=["active"])
    membership = _member(admin, essentials)
    assert lines(invoices_of(membership)[0]) == [("enrollment_fee", 5_000), ("period", 10_000)]
