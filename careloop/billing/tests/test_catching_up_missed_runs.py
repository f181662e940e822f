"""A run that catches up days no run billed must bill each missed period on the terms it
started with, before a change dated later takes effect.

Monthly plan of 10000 (Basics 6000) anchored on January 1 2026, card on file. On January 11 a
change is scheduled for March 1 (or February 15); no run bills February 1; the March 1 run
catches up, with or without the quarter-hour sweep of due changes running before it.

A fault found on 2026-11-29: the run applied every change due by its date before billing any
period, so the missed February was billed on March's terms, or not at all.
"""

from datetime import date

import pytest

from careloop.billing.models import MembershipBilling
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    committed,
    invoices_of,
    line_dates,
    lines,
    with_card,
)
from careloop.memberships.models import ChangeStatus, MembershipStatus
from careloop.memberships.services.lifecycle import membership_cancel, membership_downgrade
from careloop.memberships.services.scheduled import scheduled_changes_apply_due
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan, make_reason
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db

FEBRUARY = ("period", date(2026, 2, 1), date(2026, 3, 1))


def _member(admin, plan):
    freeze_on(date(2026, 1, 1))
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, plan, ann, start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    return membership


@pytest.fixture(params=[False, True], ids=["run alone", "sweep first"])
def sweep_first(request):
    return request.param


def _catch_up(sweep_first=False):
    freeze_on(date(2026, 3, 1))
    if sweep_first:
        scheduled_changes_apply_due()
    billing_run(as_of=date(2026, 3, 1))


def test_a_missed_february_is_billed_before_a_cancellation_dated_march_1(admin, sweep_first):
    membership = _member(admin, make_plan(code="essentials", rank=1, monthly=10_000))
    membership_cancel(
        actor=admin, membership=membership, reason=make_reason(), effective_on=date(2026, 3, 1)
    )
    _catch_up(sweep_first)
    february = [
        invoice for invoice in invoices_of(membership) if invoice.period_start == date(2026, 2, 1)
    ]
    assert [(line_dates(invoice), lines(invoice)) for invoice in february] == [
        ([FEBRUARY], [("period", 10_000)])
    ]


def test_a_missed_february_is_billed_at_the_old_price_before_a_downgrade_dated_march_1(
    admin, sweep_first
):
    membership = _member(admin, make_plan(code="essentials", rank=2, monthly=10_000))
    basics = make_plan(code="basics", rank=1, monthly=6_000)
    membership_downgrade(
        actor=admin, membership=membership, plan=basics, effective_on=date(2026, 3, 1)
    )
    _catch_up(sweep_first)
    by_start = {invoice.period_start: lines(invoice) for invoice in invoices_of(membership)}
    assert by_start[date(2026, 2, 1)] == [("period", 10_000)]
    assert by_start[date(2026, 3, 1)] == [("period", 6_000)]


def test_a_cancellation_dated_within_a_missed_february_follows_its_billing(admin, sweep_first):
    # February is billed in full, then the cancellation of February 15 credits the 14 days
    # of 28 it did not use (5000), kept on the payer's account; March is not billed.
    membership = _member(admin, make_plan(code="essentials", rank=1, monthly=10_000))
    membership_cancel(
        actor=admin, membership=membership, reason=make_reason(), effective_on=date(2026, 2, 15)
    )
    _catch_up(sweep_first)
    membership.refresh_from_db()
    assert [(invoice.period_start, lines(invoice)) for invoice in invoices_of(membership)] == [
        (date(2026, 1, 1), [("period", 10_000)]),
        (date(2026, 2, 1), [("period", 10_000)]),
        (None, [("proration_credit", -5_000)]),
    ]
    assert membership.status in {MembershipStatus.CANCELLED, MembershipStatus.ENDED}
    assert account_balance(account_of(membership.payer_patient)).credit == 5_000


def test_the_sweep_holds_a_change_only_while_an_earlier_period_is_unbilled(admin):
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    behind = _member(admin, plan)
    on_time = _member(admin, plan)
    for membership in (behind, on_time):
        membership_cancel(
            actor=admin, membership=membership, reason=make_reason(), effective_on=date(2026, 2, 15)
        )
    # Only `on_time`'s February was billed (its next period starts on March 1).
    MembershipBilling.objects.filter(membership=on_time).update(next_bill_on=date(2026, 3, 1))
    freeze_on(date(2026, 2, 20))

    assert scheduled_changes_apply_due() == 1

    statuses = {
        membership.pk: list(membership.scheduled_changes.values_list("status", flat=True))
        for membership in (behind, on_time)
    }
    assert statuses == {
        behind.pk: [ChangeStatus.SCHEDULED],
        on_time.pk: [ChangeStatus.APPLIED],
    }


def test_the_sweep_applies_a_change_dated_on_the_day_the_next_period_starts(admin):
    # The day of a change belongs to the new terms, so a change dated on the first day of
    # the period still to bill waits for nothing: billing holds only changes dated later.
    membership = _member(admin, make_plan(code="essentials", rank=1, monthly=10_000))
    membership_cancel(
        actor=admin, membership=membership, reason=make_reason(), effective_on=date(2026, 2, 1)
    )
    freeze_on(date(2026, 2, 1))

    assert scheduled_changes_apply_due() == 1

    assert list(membership.scheduled_changes.values_list("status", flat=True)) == [
        ChangeStatus.APPLIED
    ]
