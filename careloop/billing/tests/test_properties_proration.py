"""Property tests of proration, pure arithmetic: a period split at any set of change days is
billed in pieces that add up to the period's price within one minor unit per piece (half a
unit, in fact: each piece is rounded once, half up), for monthly, quarterly and annual periods
on any anchor day 1-31 in any year 2024-2032.
"""

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from careloop.billing.proration import containing_period, prorate, prorate_window, round_half_up
from careloop.memberships.periods import Period, month_boundary

MONTHS = st.sampled_from([1, 3, 12])
PERIOD_DAYS = {1: range(28, 32), 3: range(89, 93), 12: range(365, 367)}


@st.composite
def periods(draw: st.DrawFn) -> tuple[date, int, int, Period]:
    """An anchor (day 1-31 of a month of 2024-2032, clamped), its interval in months, and one
    of the periods stepped from it in the next two years."""
    year = draw(st.integers(min_value=2024, max_value=2032))
    month = draw(st.integers(min_value=1, max_value=12))
    anchor_day = draw(st.integers(min_value=1, max_value=31))
    months = draw(MONTHS)
    anchor = month_boundary(date(year, month, 1), anchor_day, 0)
    steps = draw(st.integers(min_value=0, max_value=24 // months))
    start = month_boundary(anchor, anchor_day, steps * months)
    end = month_boundary(anchor, anchor_day, (steps + 1) * months)
    return anchor, anchor_day, months, Period(start, end)


def _pieces(period: Period, cuts: list[int]) -> list[Period]:
    days = sorted({cut % period.days for cut in cuts} - {0})
    bounds = [period.start, *(period.start + timedelta(days=day) for day in days), period.end]
    return [Period(start, end) for start, end in pairwise(bounds)]


@settings(max_examples=400, deadline=None)
@given(
    stepped=periods(),
    amount=st.integers(min_value=0, max_value=10_000_000),
    cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=12),
)
def test_the_prorated_pieces_of_a_period_add_up_to_its_price(stepped, amount, cuts):
    anchor, anchor_day, months, period = stepped
    pieces = _pieces(period, cuts)
    billed = [
        prorate_window(
            amount=amount, window=piece, anchor=anchor, anchor_day=anchor_day, months=months
        )
        for piece in pieces
    ]
    assert all(0 <= part <= amount for part in billed)
    assert 2 * abs(sum(billed) - amount) <= len(pieces)
    assert abs(sum(billed) - amount) <= len(pieces)


@settings(max_examples=300, deadline=None)
@given(stepped=periods(), day=st.integers(min_value=0, max_value=400))
def test_every_day_of_a_period_has_that_period_as_its_containing_one(stepped, day):
    anchor, anchor_day, months, period = stepped
    inside = period.start + timedelta(days=day % period.days)
    found = containing_period(anchor=anchor, anchor_day=anchor_day, months=months, day=inside)
    assert found == period
    # A month has 28-31 days, a year 365 or 366, a quarter 90-92 or 89: a quarter from a day
    # of a 28-day February to the same day of May (Feb 15 -> May 15 2027) has 28 + 31 + 30.
    assert period.days in PERIOD_DAYS[months]


@settings(max_examples=300, deadline=None)
@given(
    stepped=periods(),
    amount=st.integers(min_value=0, max_value=10_000_000),
    change=st.integers(min_value=1, max_value=400),
)
def test_a_credit_for_unused_days_and_the_charge_for_used_ones_make_the_price(
    stepped, amount, change
):
    period = stepped[3]
    used = change % period.days
    credit = prorate(amount, period.days - used, period.days)
    kept = prorate(amount, used, period.days)
    assert 0 <= credit <= amount
    assert abs(kept + credit - amount) <= 1


@settings(max_examples=300, deadline=None)
@given(
    numerator=st.integers(min_value=-(10**9), max_value=10**9),
    denominator=st.integers(min_value=1, max_value=1_000),
)
def test_rounding_is_half_up_and_symmetric_around_zero(numerator, denominator):
    rounded = round_half_up(numerator, denominator)
    assert abs(2 * (rounded * denominator - numerator)) <= denominator
    assert round_half_up(-numerator, denominator) == -rounded
    if 2 * (abs(numerator) % denominator) == denominator:
        assert abs(rounded) * denominator > abs(numerator)
