"""Upgrades, household changes, downgrades and interval changes in the middle of a period.

All on a monthly plan anchored on January 1 2026 (31 days): a change on January 11 leaves
21 unused days. 10000 x 21 / 31 = 6774.19 -> 6774; 15000 x 21 / 31 = 10161.29 -> 10161;
5000 x 21 / 31 = 3387.10 -> 3387.
"""

from datetime import date

import pytest

from careloop.billing.models import InvoiceKind, InvoiceStatus
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    billing_of,
    invoices_of,
    journal_sum,
    line_dates,
    lines,
    with_card,
)
from careloop.memberships.models import MemberRole
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import (
    membership_add_member,
    membership_change_interval,
    membership_downgrade,
    membership_remove_member,
    membership_upgrade,
)
from careloop.memberships.tests.lifecycle_builders import enroll, family, freeze_on, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(db):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, monthly=10_000, annual=100_000)
    active_care = make_plan(code="active-care", rank=2, monthly=15_000)
    return essentials, active_care


@pytest.fixture
def household(admin, plans):
    head, partner, child = family()
    with_card(head)
    membership = enroll(admin, plans[0], head, start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    return membership, partner, child


@pytest.fixture
def member(household):
    return household[0]


def test_an_upgrade_credits_unused_days_and_charges_the_rest_at_once(
    admin, plans, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership_upgrade(actor=admin, membership=member, plan=plans[1])
    change = invoices_of(member)[-1]
    assert change.kind == InvoiceKind.CHANGE
    assert lines(change) == [("proration_credit", -6_774), ("proration_charge", 10_161)]
    assert line_dates(change) == [
        ("proration_credit", date(2026, 1, 11), date(2026, 2, 1)),
        ("proration_charge", date(2026, 1, 11), date(2026, 2, 1)),
    ]
    assert change.total == 3_387
    assert change.status == InvoiceStatus.PAID
    assert billing_of(member).next_bill_on == date(2026, 2, 1)
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert lines(invoices_of(member)[-1]) == [("period", 15_000)]
    assert journal_sum() == 0


def test_an_upgrade_on_the_first_day_of_a_period_credits_the_whole_period(admin, plans):
    freeze_on(date(2026, 1, 1))
    head, _, _ = family()
    with_card(head)
    membership = enroll(admin, plans[0], head, start=date(2026, 1, 1))
    membership_upgrade(actor=admin, membership=membership, plan=plans[1])
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -10_000),
        ("proration_charge", 15_000),
    ]


def test_adding_a_household_member_charges_only_their_remaining_days(admin, household):
    member, partner, child = household
    membership_add_member(actor=admin, membership=member, patient=partner, role=MemberRole.ADULT)
    assert lines(invoices_of(member)[-1]) == [("proration_charge", 3_387)]
    membership_add_member(actor=admin, membership=member, patient=child, role=MemberRole.CHILD)
    # Child 2500 x 21 / 31 = 1693.55 -> 1694
    assert lines(invoices_of(member)[-1]) == [("proration_charge", 1_694)]
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert sorted(amount for _, amount in lines(invoices_of(member)[-1])) == [2_500, 5_000, 10_000]


def test_removing_a_member_now_leaves_credit_applied_to_the_next_invoice(admin, plans):
    freeze_on(date(2026, 1, 1))
    head, partner, _ = family()
    with_card(head)
    membership = enroll(admin, plans[0], head, (partner, MemberRole.ADULT), start=date(2026, 1, 1))
    assert invoices_of(membership)[0].total == 15_000
    freeze_on(date(2026, 1, 11))
    membership_remove_member(actor=admin, membership=membership, patient=partner)
    credit_note = invoices_of(membership)[-1]
    assert lines(credit_note) == [("proration_credit", -3_387)]
    assert credit_note.total == 0
    assert account_balance(account_of(head)).credit == 3_387
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    renewal = invoices_of(membership)[-1]
    assert lines(renewal) == [("period", 10_000)]
    assert renewal.credit_applied == 3_387
    assert renewal.amount_paid == 6_613
    assert account_balance(account_of(head)).credit == 0
    assert journal_sum() == 0


def test_a_downgrade_takes_effect_at_the_next_period_without_proration(admin, plans):
    freeze_on(date(2026, 1, 1))
    head, _, _ = family()
    with_card(head)
    membership = enroll(admin, plans[1], head, start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    membership_downgrade(actor=admin, membership=membership, plan=plans[0], at_period_end=True)
    assert len(invoices_of(membership)) == 1
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert [lines(invoice) for invoice in invoices_of(membership)] == [
        [("period", 15_000)],
        [("period", 10_000)],
    ]


def test_an_admin_may_apply_a_downgrade_now_with_the_same_credit_rule(admin, plans):
    freeze_on(date(2026, 1, 1))
    head, _, _ = family()
    with_card(head)
    membership = enroll(admin, plans[1], head, start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    membership_downgrade(actor=admin, membership=membership, plan=plans[0])
    change = invoices_of(membership)[-1]
    assert lines(change) == [("proration_credit", -10_161), ("proration_charge", 6_774)]
    assert change.total == 0
    assert account_balance(account_of(head)).credit == 3_387


def test_an_interval_change_starts_the_new_interval_on_the_change_day(admin, plans, member):
    membership_change_interval(actor=admin, membership=member, interval=Interval.ANNUAL)
    renewal = invoices_of(member)[-1]
    assert renewal.kind == InvoiceKind.RENEWAL
    assert lines(renewal) == [("proration_credit", -6_774), ("period", 100_000)]
    assert (renewal.period_start, renewal.period_end) == (date(2026, 1, 11), date(2027, 1, 11))
    assert renewal.total == 93_226
    member.refresh_from_db()
    assert (member.anchor_date, member.anchor_day) == (date(2026, 1, 11), 11)
    assert billing_of(member).next_bill_on == date(2027, 1, 11)


def test_an_annual_to_monthly_change_credits_the_unused_days_of_the_year(admin, plans):
    freeze_on(date(2026, 1, 1))
    head, _, _ = family()
    with_card(head)
    membership = enroll(admin, plans[0], head, start=date(2026, 1, 1), interval=Interval.ANNUAL)
    freeze_on(date(2026, 7, 1))
    membership_change_interval(actor=admin, membership=membership, interval=Interval.MONTHLY)
    # 184 unused days of 365: 100000 x 184 / 365 = 50410.96 -> 50411
    assert lines(invoices_of(membership)[-1]) == [
        ("proration_credit", -50_411),
        ("period", 10_000),
    ]
    assert account_balance(account_of(head)).credit == 40_411
