"""Successive billing runs keep the anchor day: a day beyond a short month's end is clamped
for that month only, and the next period comes back to the anchor day.

Each membership is billed by one billing run on each period's first day; the periods of its
invoices are read back in order.
"""

import itertools
from datetime import date

import pytest

from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import billing_of, invoices_of, line_dates, lines, with_card
from careloop.memberships.models import Membership
from careloop.memberships.periods import Interval
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def _member(admin, start: date, interval: Interval = Interval.MONTHLY) -> Membership:
    freeze_on(start)
    plan = make_plan(code="essentials", rank=1, monthly=10_000, quarterly=28_000, annual=100_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    return enroll(admin, plan, ann, start=start, interval=interval)


def _run_on(*days: date) -> None:
    for day in days:
        freeze_on(day)
        billing_run(as_of=day)


def _periods(membership: Membership) -> list[tuple[date | None, date | None]]:
    return [(invoice.period_start, invoice.period_end) for invoice in invoices_of(membership)]


def test_a_monthly_anchor_on_january_31_2028_clamps_to_february_29_and_comes_back(admin):
    membership = _member(admin, date(2028, 1, 31))
    _run_on(date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30), date(2028, 5, 31))
    assert _periods(membership) == [
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 31)),
        (date(2028, 3, 31), date(2028, 4, 30)),
        (date(2028, 4, 30), date(2028, 5, 31)),
        (date(2028, 5, 31), date(2028, 6, 30)),
    ]
    # Every period is billed in full whatever its length (29, 31, 30, 31, 30 days).
    assert [lines(invoice) for invoice in invoices_of(membership)] == [[("period", 10_000)]] * 5
    assert billing_of(membership).next_bill_on == date(2028, 6, 30)


def test_a_monthly_anchor_on_january_31_2027_clamps_to_february_28(admin):
    membership = _member(admin, date(2027, 1, 31))
    _run_on(date(2027, 2, 28), date(2027, 3, 31))
    assert _periods(membership) == [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 4, 30)),
    ]


def test_a_run_on_the_day_before_the_anchor_bills_nothing(admin):
    membership = _member(admin, date(2028, 1, 31))
    _run_on(date(2028, 2, 28))
    assert len(invoices_of(membership)) == 1
    _run_on(date(2028, 2, 29))
    assert _periods(membership)[-1] == (date(2028, 2, 29), date(2028, 3, 31))


def test_a_run_after_missed_days_bills_each_missed_period_on_its_own_anchor(admin):
    membership = _member(admin, date(2028, 1, 31))
    _run_on(date(2028, 5, 31))
    assert _periods(membership) == [
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 31)),
        (date(2028, 3, 31), date(2028, 4, 30)),
        (date(2028, 4, 30), date(2028, 5, 31)),
        (date(2028, 5, 31), date(2028, 6, 30)),
    ]


@pytest.mark.parametrize(
    ("start", "runs", "periods"),
    [
        (
            date(2027, 1, 29),
            [date(2027, 2, 28), date(2027, 3, 29)],
            [date(2027, 1, 29), date(2027, 2, 28), date(2027, 3, 29), date(2027, 4, 29)],
        ),
        (
            date(2028, 1, 29),
            [date(2028, 2, 29), date(2028, 3, 29)],
            [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29), date(2028, 4, 29)],
        ),
        (
            date(2027, 1, 30),
            [date(2027, 2, 28), date(2027, 3, 30)],
            [date(2027, 1, 30), date(2027, 2, 28), date(2027, 3, 30), date(2027, 4, 30)],
        ),
        (
            date(2028, 1, 30),
            [date(2028, 2, 29), date(2028, 3, 30)],
            [date(2028, 1, 30), date(2028, 2, 29), date(2028, 3, 30), date(2028, 4, 30)],
        ),
    ],
)
def test_monthly_starts_on_the_29th_and_30th_come_back_after_february(admin, start, runs, periods):
    membership = _member(admin, start)
    _run_on(*runs)
    assert _periods(membership) == list(itertools.pairwise(periods))


@pytest.mark.parametrize(
    ("start", "runs", "boundaries"),
    [
        # Nov 30 2027 -> Feb 29 2028 (leap) -> May 30 -> Aug 30: 91, 91, 92 days.
        (
            date(2027, 11, 30),
            [date(2028, 2, 29), date(2028, 5, 30)],
            [date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 30), date(2028, 8, 30)],
        ),
        # Nov 30 2026 -> Feb 28 2027 -> May 30 -> Aug 30: 90, 91, 92 days.
        (
            date(2026, 11, 30),
            [date(2027, 2, 28), date(2027, 5, 30)],
            [date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 30), date(2027, 8, 30)],
        ),
    ],
)
def test_a_quarterly_anchor_on_november_30_clamps_in_february_and_comes_back(
    admin, start, runs, boundaries
):
    membership = _member(admin, start, Interval.QUARTERLY)
    _run_on(*runs)
    assert _periods(membership) == list(itertools.pairwise(boundaries))
    assert [lines(invoice) for invoice in invoices_of(membership)] == [[("period", 28_000)]] * 3


def test_an_annual_anchor_on_february_29_2028_renews_on_february_28_until_the_next_leap_year(
    admin,
):
    """periods.py keeps the anchor day (29) apart from the dates, so February 28 is only a
    clamp: the renewals of 2029, 2030 and 2031 fall on February 28 and 2032's on the 29th."""
    membership = _member(admin, date(2028, 2, 29), Interval.ANNUAL)
    _run_on(date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29))
    assert _periods(membership) == [
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2029, 2, 28), date(2030, 2, 28)),
        (date(2030, 2, 28), date(2031, 2, 28)),
        (date(2031, 2, 28), date(2032, 2, 29)),
        (date(2032, 2, 29), date(2033, 2, 28)),
    ]
    assert [lines(invoice) for invoice in invoices_of(membership)] == [[("period", 100_000)]] * 5
    assert line_dates(invoices_of(membership)[3]) == [
        ("period", date(2031, 2, 28), date(2032, 2, 29))
    ]
