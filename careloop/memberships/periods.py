"""Billing and allowance periods: pure calendar maths over dates in the clinic's time zone.

Periods are half-open [start, end). A membership's periods step from its anchor date by whole
months; the anchor day (1-31) is kept separately so that a day beyond a short month's end is
clamped for that month only and never drifts (Jan 31 -> Feb 28 or 29 -> Mar 31 -> Apr 30).
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from django.db import models


class Interval(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUAL = "annual", "Annual"


INTERVAL_MONTHS = {Interval.MONTHLY: 1, Interval.QUARTERLY: 3, Interval.ANNUAL: 12}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


def month_boundary(first: date, anchor_day: int, steps: int) -> date:
    """The date `steps` months after `first`, on `anchor_day` clamped to that month's length."""
    total = first.month - 1 + steps
    year, month = first.year + total // 12, total % 12 + 1
    return date(year, month, min(anchor_day, monthrange(year, month)[1]))


def first_anchor_on_or_after(start: date, anchor_day: int) -> date:
    """The first date on or after `start` that falls on `anchor_day` (clamped at month end)."""
    candidate = month_boundary(start, anchor_day, 0)
    return candidate if candidate >= start else month_boundary(start, anchor_day, 1)


def period_containing(*, anchor: date, anchor_day: int, months: int, day: date) -> Period:
    """The period of `months` months, stepped from `anchor`, that contains `day`.

    Works for days before the anchor too (negative steps), which allowance periods need when
    an interval change moves the anchor.
    """
    steps = ((day.year - anchor.year) * 12 + (day.month - anchor.month)) // months
    start = month_boundary(anchor, anchor_day, steps * months)
    while start > day:
        steps -= 1
        start = month_boundary(anchor, anchor_day, steps * months)
    end = month_boundary(anchor, anchor_day, (steps + 1) * months)
    while end <= day:
        steps += 1
        start, end = end, month_boundary(anchor, anchor_day, (steps + 1) * months)
    return Period(start, end)


def billing_period(
    *, start_date: date, anchor: date, anchor_day: int, interval: Interval, day: date
) -> Period:
    """The billing period containing `day`: the stub [start, anchor) when the anchor is later
    than the start (a clinic-wide billing day), otherwise a whole interval from the anchor."""
    if start_date <= day < anchor:
        return Period(start_date, anchor)
    return period_containing(
        anchor=anchor, anchor_day=anchor_day, months=INTERVAL_MONTHS[interval], day=day
    )
