"""A change credits only what the charge it replaces actually billed: a second upgrade in one
period credits the first upgrade's charge (not the period again), and after a discount the
credit is prorated over the discounted amount.

Monthly plans anchored on January 1 2026 (31 days): Essentials 10000, Active Care 15000,
Concierge 20000.
"""

from datetime import date

import pytest
from django.db.models import Sum

from careloop.billing.models import InvoiceLine, LineKind
from careloop.billing.services.discounts import discount_create, discount_redeem
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import committed, invoices_of, journal_sum, lines, with_card
from careloop.memberships.models import Membership
from careloop.memberships.services.lifecycle import membership_downgrade, membership_upgrade
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(db):
    freeze_on(date(2026, 1, 1))
    return (
        make_plan(code="essentials", rank=1, monthly=10_000),
        make_plan(code="active-care", rank=2, monthly=15_000),
        make_plan(code="concierge", rank=3, monthly=20_000),
    )


def _member(admin, plan, *, code: str | None = None) -> Membership:
    freeze_on(date(2026, 1, 1))
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, plan, ann, start=date(2026, 1, 1), active=False)
    if code is not None:
        discount_redeem(actor=admin, membership=membership, code=code)
    return membership


def _credited_against(line: InvoiceLine) -> int:
    return -int(
        InvoiceLine.objects.filter(credits_line=line, kind=LineKind.PRORATION_CREDIT).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )


def _discounted_against(line: InvoiceLine) -> int:
    return -int(
        InvoiceLine.objects.filter(credits_line=line, kind=LineKind.DISCOUNT).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )


def test_a_second_upgrade_credits_only_what_the_first_upgrade_charged(admin, plans):
    essentials, active_care, concierge = plans
    membership = _member(admin, essentials)
    freeze_on(date(2026, 1, 11))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    # 21 of 31 days left: credit 10000 x 21 / 31 = 6774; charge 15000 x 21 / 31 = 10161.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -6_774),
        ("proration_charge", 10_161),
    ]
    freeze_on(date(2026, 1, 21))
    membership_upgrade(actor=admin, membership=membership, plan=concierge)
    # 11 days left. The period line's days from January 21 were already credited, so nothing
    # more comes off it; the first upgrade's charge covered 21 days: 10161 x 11 / 21 =
    # 5322.43 -> 5322. The new charge: 20000 x 11 / 31 = 7096.77 -> 7097.
    second = invoices_of(membership)[-1]
    assert lines(second) == [("proration_credit", -5_322), ("proration_charge", 7_097)]
    period_line, first_charge = InvoiceLine.objects.filter(
        membership=membership, kind__in=[LineKind.PERIOD, LineKind.PRORATION_CHARGE]
    ).order_by("id")[:2]
    assert _credited_against(period_line) == 6_774
    assert _credited_against(first_charge) == 5_322
    assert journal_sum() == 0


def test_changes_back_and_forth_on_one_day_never_credit_more_than_each_charge(admin, plans):
    essentials, active_care, concierge = plans
    membership = _member(admin, essentials)
    freeze_on(date(2026, 1, 11))
    membership_upgrade(actor=admin, membership=membership, plan=concierge)
    membership_downgrade(actor=admin, membership=membership, plan=active_care)
    membership_upgrade(actor=admin, membership=membership, plan=concierge)
    # Each change on the same day credits the previous charge in full (21 of its 21 days).
    assert [lines(invoice) for invoice in invoices_of(membership)[1:]] == [
        [("proration_credit", -6_774), ("proration_charge", 13_548)],
        [("proration_credit", -13_548), ("proration_charge", 10_161)],
        [("proration_credit", -10_161), ("proration_charge", 13_548)],
    ]
    for line in InvoiceLine.objects.filter(
        membership=membership, kind__in=[LineKind.PERIOD, LineKind.PRORATION_CHARGE]
    ):
        assert _credited_against(line) <= line.amount
    assert journal_sum() == 0


def test_an_upgrade_after_a_percentage_discount_credits_the_discounted_amount(admin, plans):
    essentials, active_care, _ = plans
    discount_create(
        actor=admin,
        name="Twenty off",
        code="TWENTY",
        kind="percent",
        percent_off=20,
        duration="forever",
    )
    membership = _member(admin, essentials, code="twenty")
    freeze_on(date(2026, 2, 1))
    with committed():
        billing_run(as_of=date(2026, 2, 1))
    # February: 10000 less 20% = 8000 paid for 28 days.
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000), ("discount", -2_000)]
    freeze_on(date(2026, 2, 15))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    # 14 of 28 days left. Credit over what was charged: 8000 x 14 / 28 = 4000 (not 5000).
    # Charge 15000 x 14 / 28 = 7500, and the running 20% discount on it: 1500.
    change = invoices_of(membership)[-1]
    assert lines(change) == [
        ("proration_credit", -4_000),
        ("proration_charge", 7_500),
        ("discount", -1_500),
    ]
    assert change.total == 2_000
    february = InvoiceLine.objects.get(
        membership=membership, kind=LineKind.PERIOD, service_start=date(2026, 2, 1)
    )
    assert _credited_against(february) + _discounted_against(february) <= february.amount


def test_an_upgrade_after_an_amount_discount_credits_the_discounted_amount_and_takes_no_more_off(
    admin, plans
):
    essentials, active_care, _ = plans
    discount_create(
        actor=admin,
        name="Thirty off for three months",
        code="THIRTY",
        kind="amount",
        amount_off=3_000,
        duration="periods",
        periods=3,
    )
    membership = _member(admin, essentials, code="THIRTY")
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000), ("discount", -3_000)]
    freeze_on(date(2026, 2, 15))
    membership_upgrade(actor=admin, membership=membership, plan=active_care)
    # Credit over the 7000 charged: 7000 x 14 / 28 = 3500. Charge 15000 x 14 / 28 = 7500; an
    # amount off is taken once per period, so not again on the change.
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -3_500),
        ("proration_charge", 7_500),
    ]
