from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careloop.memberships.periods import (
    Interval,
    Period,
    billing_period,
    first_anchor_on_or_after,
    month_boundary,
    period_containing,
)


def _boundaries(start: date, interval: Interval, count: int) -> list[date]:
    day = start
    seen = []
    for _ in range(count):
        period = billing_period(
            start_date=start, anchor=start, anchor_day=start.day, interval=interval, day=day
        )
        seen.append(period.start)
        day = period.end
    return seen


def test_a_31st_anchor_clamps_to_short_months_and_never_drifts():
    assert _boundaries(date(2027, 1, 31), Interval.MONTHLY, 5) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_february_takes_the_29th_in_a_leap_year():
    assert _boundaries(date(2028, 1, 31), Interval.MONTHLY, 3) == [
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
    ]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2027, 1, 29), [date(2027, 1, 29), date(2027, 2, 28), date(2027, 3, 29)]),
        (date(2028, 1, 29), [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29)]),
        (date(2027, 1, 30), [date(2027, 1, 30), date(2027, 2, 28), date(2027, 3, 30)]),
        (date(2028, 1, 30), [date(2028, 1, 30), date(2028, 2, 29), date(2028, 3, 30)]),
        (date(2027, 3, 31), [date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]),
    ],
)
def test_monthly_starts_on_the_29th_to_31st(start, expected):
    assert _boundaries(start, Interval.MONTHLY, 3) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            date(2027, 11, 30),
            [date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 30), date(2028, 8, 30)],
        ),
        (
            date(2026, 11, 30),
            [date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 30), date(2027, 8, 30)],
        ),
        (
            date(2027, 8, 31),
            [date(2027, 8, 31), date(2027, 11, 30), date(2028, 2, 29), date(2028, 5, 31)],
        ),
        (
            date(2027, 10, 29),
            [date(2027, 10, 29), date(2028, 1, 29), date(2028, 4, 29), date(2028, 7, 29)],
        ),
    ],
)
def test_quarterly_starts_on_the_29th_to_31st(start, expected):
    assert _boundaries(start, Interval.QUARTERLY, 4) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            date(2028, 2, 29),
            [date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2032, 2, 29)],
        ),
        (
            date(2027, 1, 31),
            [date(2027, 1, 31), date(2028, 1, 31), date(2029, 1, 31), date(2031, 1, 31)],
        ),
        (
            date(2027, 12, 30),
            [date(2027, 12, 30), date(2028, 12, 30), date(2029, 12, 30), date(2031, 12, 30)],
        ),
    ],
)
def test_annual_starts_return_to_the_anchor_day(start, expected):
    boundaries = _boundaries(start, Interval.ANNUAL, 5)
    assert [boundaries[0], boundaries[1], boundaries[2], boundaries[4]] == expected


def test_a_clinic_billing_day_makes_a_stub_first_period():
    start = date(2027, 2, 10)
    anchor = first_anchor_on_or_after(start, 31)
    assert anchor == date(2027, 2, 28)
    stub = billing_period(
        start_date=start, anchor=anchor, anchor_day=31, interval=Interval.MONTHLY, day=start
    )
    assert stub == Period(date(2027, 2, 10), date(2027, 2, 28))
    following = billing_period(
        start_date=start, anchor=anchor, anchor_day=31, interval=Interval.MONTHLY, day=stub.end
    )
    assert following == Period(date(2027, 2, 28), date(2027, 3, 31))


def test_the_first_anchor_is_the_start_when_it_falls_on_the_day():
    assert first_anchor_on_or_after(date(2027, 5, 1), 1) == date(2027, 5, 1)
    assert first_anchor_on_or_after(date(2027, 5, 2), 1) == date(2027, 6, 1)


@given(
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.sampled_from([1, 3, 12]),
    offset=st.integers(min_value=-3000, max_value=3000),
)
def test_the_period_always_contains_the_day_and_has_a_sane_length(anchor, months, offset):
    day = anchor + timedelta(days=offset)
    period = period_containing(anchor=anchor, anchor_day=anchor.day, months=months, day=day)
    assert day in period
    assert {1: range(28, 32), 3: range(89, 93), 12: range(365, 367)}[months].count(period.days) == 1
    assert period.start == month_boundary(period.start, anchor.day, 0)
