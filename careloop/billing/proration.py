"""Proration by whole days: pure arithmetic over calendar dates and minor units.

An amount for a period is prorated as amount x days used / days in the containing period
(28-31 for a month, 90-92 for a quarter, 365 or 366 for a year), rounded once, half up, to the
minor unit. The containing period of a stub [start, anchor) is the whole interval that ends on
the anchor, so a stub is priced by the length of the month (or quarter, or year) it belongs to.
"""

from datetime import date

from careloop.memberships.periods import Period, month_boundary, period_containing


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero for negative numerators)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def prorate(amount: int, days: int, period_days: int) -> int:
    """`amount` for `days` of a period of `period_days` days, rounded once, half up."""
    if days < 0 or days > period_days:
        raise ValueError(f"{days} days do not fit a period of {period_days} days")
    return round_half_up(amount * days, period_days)


def containing_period(*, anchor: date, anchor_day: int, months: int, day: date) -> Period:
    """The whole interval, stepped from the anchor, that contains `day` (also before it)."""
    return period_containing(anchor=anchor, anchor_day=anchor_day, months=months, day=day)


def next_boundary(*, anchor: date, anchor_day: int, months: int, day: date) -> date:
    """The first period start strictly after `day` on the anchor's stepping."""
    return containing_period(anchor=anchor, anchor_day=anchor_day, months=months, day=day).end


def overlap(first: Period, second: Period) -> int:
    """Days the two half-open periods share."""
    start = max(first.start, second.start)
    end = min(first.end, second.end)
    return max((end - start).days, 0)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    return month_boundary(day, day.day, months)


def prorate_window(
    *, amount: int, window: Period, anchor: date, anchor_day: int, months: int
) -> int:
    """`amount` (per whole interval) for the days of `window`, which lies inside one interval
    of the anchor's stepping; priced by the length of that interval."""
    whole = containing_period(anchor=anchor, anchor_day=anchor_day, months=months, day=window.start)
    if window.end > whole.end:
        raise ValueError(f"{window} crosses the period boundary {whole.end}")
    if window.start == whole.start and window.end == whole.end:
        return amount
    return prorate(amount, window.days, whole.days)
