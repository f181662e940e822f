"""Household memberships: one line per member. Adding a member charges their remaining days;
removing one at period end simply drops them from the next invoice, removing one now (an
admin) credits their unused days; a household upgrade credits and charges each member's line.

Essentials per month: primary 10000, each additional adult 5000, each child 2500; Active Care
15000, 7500 and 3750.
"""

from datetime import date

import pytest

from careloop.billing.models import LineKind
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    committed,
    invoices_of,
    journal_sum,
    line_dates,
    with_card,
)
from careloop.memberships.models import MemberRole
from careloop.memberships.services.lifecycle import (
    membership_add_member,
    membership_remove_member,
    membership_upgrade,
)
from careloop.memberships.tests.lifecycle_builders import enroll, family, freeze_on, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(db):
    freeze_on(date(2028, 2, 1))
    return (
        make_plan(code="essentials", rank=1, monthly=10_000),
        make_plan(code="active-care", rank=2, monthly=15_000),
    )


def _per_patient(invoice):
    return [
        (line.patient_id, line.kind, line.amount)
        for line in invoice.lines.order_by("id")
        if line.kind != LineKind.ENROLLMENT_FEE
    ]


def test_adding_an_adult_and_then_a_child_in_february_2028_charges_each_their_remaining_days(
    admin, plans
):
    head, partner, child = family()
    with_card(head)
    membership = enroll(admin, plans[0], head, start=date(2028, 2, 1))
    freeze_on(date(2028, 2, 11))
    membership_add_member(actor=admin, membership=membership, patient=partner, role="adult")
    # February 2028 has 29 days; 19 from the 11th: 5000 x 19 / 29 = 3275.86 -> 3276.
    adult = invoices_of(membership)[-1]
    assert _per_patient(adult) == [(partner.pk, "proration_charge", 3_276)]
    assert line_dates(adult) == [("proration_charge", date(2028, 2, 11), date(2028, 3, 1))]
    freeze_on(date(2028, 2, 20))
    membership_add_member(actor=admin, membership=membership, patient=child, role="child")
    # 10 days from the 20th: 2500 x 10 / 29 = 862.07 -> 862.
    assert _per_patient(invoices_of(membership)[-1]) == [(child.pk, "proration_charge", 862)]
    freeze_on(date(2028, 3, 1))
    billing_run(as_of=date(2028, 3, 1))
    assert _per_patient(invoices_of(membership)[-1]) == [
        (head.pk, "period", 10_000),
        (partner.pk, "period", 5_000),
        (child.pk, "period", 2_500),
    ]
    assert journal_sum() == 0


def test_removing_a_member_at_period_end_gives_no_credit_and_drops_them_from_the_next_invoice(
    admin, plans
):
    head, partner, _ = family()
    with_card(head)
    membership = enroll(admin, plans[0], head, (partner, MemberRole.ADULT), start=date(2028, 2, 1))
    freeze_on(date(2028, 2, 11))
    outcome = membership_remove_member(
        actor=admin, membership=membership, patient=partner, at_period_end=True
    )
    assert outcome.scheduled is not None
    assert outcome.scheduled.effective_on == date(2028, 3, 1)
    assert len(invoices_of(membership)) == 1
    freeze_on(date(2028, 3, 1))
    billing_run(as_of=date(2028, 3, 1))
    assert [_per_patient(invoice) for invoice in invoices_of(membership)] == [
        [(head.pk, "period", 10_000), (partner.pk, "period", 5_000)],
        [(head.pk, "period", 10_000)],
    ]
    assert account_balance(account_of(head)).credit == 0


def test_an_admin_removing_a_member_now_credits_their_unused_days_against_the_next_invoice(
    admin, plans
):
    head, partner, _ = family()
    with_card(head)
    with committed():
        membership = enroll(
            admin, plans[0], head, (partner, MemberRole.ADULT), start=date(2028, 2, 1)
        )
    freeze_on(date(2028, 2, 11))
    membership_remove_member(actor=admin, membership=membership, patient=partner)
    # The partner's 5000 for 19 of 29 unused days: 3275.86 -> 3276.
    assert _per_patient(invoices_of(membership)[-1]) == [(partner.pk, "proration_credit", -3_276)]
    assert account_balance(account_of(head)).credit == 3_276
    freeze_on(date(2028, 3, 1))
    with committed():
        billing_run(as_of=date(2028, 3, 1))
    renewal = invoices_of(membership)[-1]
    assert _per_patient(renewal) == [(head.pk, "period", 10_000)]
    assert (renewal.credit_applied, renewal.amount_paid) == (3_276, 6_724)
    assert journal_sum() == 0


def test_a_household_upgrade_credits_and_charges_each_member_line(admin, plans):
    freeze_on(date(2026, 1, 1))
    head, partner, child = family()
    with_card(head)
    membership = enroll(
        admin,
        plans[0],
        head,
        (partner, MemberRole.ADULT),
        (child, MemberRole.CHILD),
        start=date(2026, 1, 1),
    )
    freeze_on(date(2026, 1, 11))
    membership_upgrade(actor=admin, membership=membership, plan=plans[1])
    # 21 of January's 31 days. Credits: 10000 -> 6774.19, 5000 -> 3387.10, 2500 -> 1693.55.
    # Charges: 15000 -> 10161.29, 7500 -> 5080.65, 3750 -> 2540.32.
    change = invoices_of(membership)[-1]
    assert _per_patient(change) == [
        (head.pk, "proration_credit", -6_774),
        (partner.pk, "proration_credit", -3_387),
        (child.pk, "proration_credit", -1_694),
        (head.pk, "proration_charge", 10_161),
        (partner.pk, "proration_charge", 5_081),
        (child.pk, "proration_charge", 2_540),
    ]
    assert change.total == 5_927
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert _per_patient(invoices_of(membership)[-1]) == [
        (head.pk, "period", 15_000),
        (partner.pk, "period", 7_500),
        (child.pk, "period", 3_750),
    ]
