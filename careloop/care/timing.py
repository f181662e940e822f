"""When a care activity falls due: pure calendar maths over dates in the clinic's time zone.

An activity repeats either every N days, weeks or months, or on calendar months (e.g. months
1, 4, 7 and 10 on day 15). Its first occurrence falls `first_offset_days` after the day it
starts. Later occurrences are timed from the previous due date (the schedule is fixed:
occurrence k is the first plus k - 1 steps, so a rescheduled occurrence does not move the rest)
or from the day the previous one was completed. Whole months step from the ORIGINAL anchor
day, clamped to short months (careloop.memberships.periods), so "monthly from Jan 31" falls on
Feb 28 or 29, Mar 31, Apr 30 and never drifts to the 28th.

The columns are parsed into a `Timing` at the boundary (`timing_from_columns`), which refuses
a timing that could never fire with an error naming the field and the rule.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from itertools import pairwise
from math import ceil

from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.periods import month_boundary


class Repeat(StrEnum):
    EVERY = "every"
    CALENDAR = "calendar"


class Unit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


class Anchor(StrEnum):
    PREVIOUS_DUE = "previous_due"
    PREVIOUS_COMPLETION = "previous_completion"


# The columns (of an activity, its per-plan copy, or staff's description) a Timing is parsed
# from: the keyword arguments of timing_from_columns.
TIMING_COLUMNS = (
    "repeat",
    "every",
    "unit",
    "calendar_months",
    "day_of_month",
    "anchor",
    "first_offset_days",
    "end_after_occurrences",
    "end_after_months",
    "days_before",
    "days_after",
)

MAX_EVERY = 366
MAX_OFFSET_DAYS = 366
MAX_WINDOW_DAYS = 365
MAX_OCCURRENCES = 1000
MAX_END_MONTHS = 600


@dataclass(frozen=True)
class Timing:
    repeat: Repeat
    every: int | None = None
    unit: Unit | None = None
    calendar_months: tuple[int, ...] = ()
    day_of_month: int | None = None
    anchor: Anchor = Anchor.PREVIOUS_DUE
    first_offset_days: int = 0
    end_after_occurrences: int | None = None
    end_after_months: int | None = None
    days_before: int = 7
    days_after: int = 14


def parse_months(text: str) -> tuple[int, ...]:
    """ "1,4,7,10" -> (1, 4, 7, 10); a ValueError for anything that is not a list of numbers."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return tuple(sorted({int(part) for part in parts}))


def months_text(months: tuple[int, ...]) -> str:
    return ",".join(str(month) for month in months)


@cache
def shortest_span_days(months: int) -> int:
    """The fewest days `months` whole months can last (from any start, with clamping)."""
    first = date(2024, 1, 1)
    return min(
        (month_boundary(day, day.day, months) - day).days
        for day in (first + timedelta(days=offset) for offset in range(4 * 366))
    )


def _largest_calendar_gap(months: tuple[int, ...]) -> int:
    """The most months from one chosen month to the next, going round the year."""
    ordered = sorted(months)
    gaps = [later - earlier for earlier, later in pairwise(ordered)]
    gaps.append(ordered[0] + 12 - ordered[-1])
    return max(gaps)


def timing_from_columns(
    *,
    repeat: str,
    every: int | None,
    unit: str,
    calendar_months: str,
    day_of_month: int | None,
    anchor: str,
    first_offset_days: int | None,
    end_after_occurrences: int | None,
    end_after_months: int | None,
    days_before: int | None,
    days_after: int | None,
) -> Timing:
    """Parse and check the timing columns; a ValidationFailed naming every field that breaks a rule.

    Refused: no timing, N = 0, a calendar timing with no month or day 0, an end before the
    first occurrence could fall, two ends at once, and anchoring a calendar timing on completion
    (calendar dates do not move with the work).
    """
    errors: list[FieldError] = []

    def refuse(field: str, message: str, code: str = "invalid") -> None:
        errors.append(FieldError(field=field, message=message, code=code))

    def bounded(field: str, value: int | None, low: int, high: int, label: str) -> int | None:
        if value is None:
            return None
        if not low <= value <= high:
            refuse(field, f"{label} must be from {low} to {high}.", "out_of_range")
            return None
        return value

    if repeat not in set(Repeat):
        refuse(
            "repeat",
            "Choose how the activity repeats: every N days, weeks or months, or on "
            "calendar months.",
            "required",
        )
        raise ValidationFailed(errors)
    kind = Repeat(repeat)
    offset = (
        bounded(
            "first_offset_days",
            first_offset_days or 0,
            0,
            MAX_OFFSET_DAYS,
            "The first occurrence's offset (days)",
        )
        or 0
    )
    before = bounded(
        "days_before",
        7 if days_before is None else days_before,
        0,
        MAX_WINDOW_DAYS,
        "Days before the due date",
    )
    after = bounded(
        "days_after",
        14 if days_after is None else days_after,
        0,
        MAX_WINDOW_DAYS,
        "Days after the due date",
    )
    occurrences = end_after_occurrences
    if occurrences is not None and occurrences < 1:
        refuse(
            "end_after_occurrences",
            "An activity that ends after 0 occurrences never fires; give at least 1, or no end.",
            "never_fires",
        )
        occurrences = None
    occurrences = bounded(
        "end_after_occurrences", occurrences, 1, MAX_OCCURRENCES, "The number of occurrences"
    )
    end_months = end_after_months
    if end_months is not None and end_months < 1:
        refuse(
            "end_after_months",
            "An activity that ends after 0 months never fires; give at least 1, or no end.",
            "never_fires",
        )
        end_months = None
    end_months = bounded("end_after_months", end_months, 1, MAX_END_MONTHS, "The number of months")
    if occurrences is not None and end_months is not None:
        refuse(
            "end_after_months",
            "Choose one end: after a number of occurrences or after a number of months, not both.",
            "one_end",
        )
    if anchor not in set(Anchor):
        refuse(
            "anchor",
            "Time the next occurrence from the previous due date or from the previous completion.",
            "required",
        )
    timed_from = Anchor(anchor) if anchor in set(Anchor) else Anchor.PREVIOUS_DUE

    step: int | None = None
    step_unit: Unit | None = None
    months: tuple[int, ...] = ()
    day: int | None = None
    if kind == Repeat.EVERY:
        if every is None:
            refuse(
                "every",
                "Say how often the activity repeats (every N days, weeks or months).",
                "required",
            )
        elif every < 1:
            refuse(
                "every",
                "An activity repeating every 0 days, weeks or months never fires; give at least 1.",
                "never_fires",
            )
        else:
            step = bounded("every", every, 1, MAX_EVERY, "The repeat interval")
        if unit not in set(Unit):
            refuse("unit", "Choose days, weeks or months.", "required")
        else:
            step_unit = Unit(unit)
        if end_months is not None and offset >= shortest_span_days(end_months):
            refuse(
                "end_after_months",
                f"The activity would end ({end_months} months after it "
                f"starts) before its first occurrence ({offset} days after it starts).",
                "never_fires",
            )
    else:
        try:
            months = parse_months(calendar_months)
        except ValueError:
            refuse(
                "calendar_months",
                "List months as numbers from 1 to 12, separated by commas (e.g. 1,4,7,10).",
            )
        else:
            if not months:
                refuse(
                    "calendar_months",
                    "A calendar timing with no month never fires; choose at least one month.",
                    "never_fires",
                )
            elif any(not 1 <= month <= 12 for month in months):
                refuse("calendar_months", "Months are numbers from 1 to 12.", "out_of_range")
                months = ()
        if day_of_month is None or not 1 <= day_of_month <= 31:
            refuse(
                "day_of_month",
                "A calendar timing needs a day of the month from 1 to 31 "
                "(31 falls on the last day of shorter months).",
                "never_fires",
            )
        else:
            day = day_of_month
        if timed_from == Anchor.PREVIOUS_COMPLETION:
            refuse(
                "anchor",
                "Calendar dates do not move with the work; time a calendar "
                "activity from the previous due date.",
                "calendar_from_completion",
            )
        if months and end_months is not None:
            needed = _largest_calendar_gap(months) + ceil(offset / 28)
            if end_months < needed:
                refuse(
                    "end_after_months",
                    f"The activity could end before its first "
                    f"occurrence; with these months it needs at least {needed} months.",
                    "never_fires",
                )
    if errors:
        raise ValidationFailed(errors)
    return Timing(
        repeat=kind,
        every=step,
        unit=step_unit,
        calendar_months=months,
        day_of_month=day,
        anchor=timed_from,
        first_offset_days=offset,
        end_after_occurrences=occurrences,
        end_after_months=end_months,
        days_before=before if before is not None else 7,
        days_after=after if after is not None else 14,
    )


def add_steps(timing: Timing, start: date, steps: int) -> date:
    """`start` plus `steps` repeat intervals; months clamp to `start`'s day of the month."""
    assert timing.every is not None
    assert timing.unit is not None
    if timing.unit == Unit.DAYS:
        return start + timedelta(days=timing.every * steps)
    if timing.unit == Unit.WEEKS:
        return start + timedelta(weeks=timing.every * steps)
    return month_boundary(start, start.day, timing.every * steps)


def calendar_on_or_after(timing: Timing, day: date) -> date:
    """The first calendar occurrence (a chosen month, on its day, clamped) on or after `day`."""
    assert timing.day_of_month is not None
    for step in range(0, 25):
        candidate = month_boundary(date(day.year, day.month, 1), timing.day_of_month, step)
        if candidate.month in timing.calendar_months and candidate >= day:
            return candidate
    raise AssertionError("a checked calendar timing has at least one month")


def end_date(timing: Timing, starts_on: date) -> date | None:
    """The first day on which no occurrence may fall, when the activity ends after months."""
    if timing.end_after_months is None:
        return None
    return month_boundary(starts_on, starts_on.day, timing.end_after_months)


def _within_end(timing: Timing, starts_on: date, index: int, due: date) -> date | None:
    if timing.end_after_occurrences is not None and index > timing.end_after_occurrences:
        return None
    end = end_date(timing, starts_on)
    if end is not None and due >= end:
        return None
    return due


def first_due(timing: Timing, starts_on: date) -> date:
    """Occurrence 1: `first_offset_days` after the start (the next chosen month for calendars)."""
    earliest = starts_on + timedelta(days=timing.first_offset_days)
    if timing.repeat == Repeat.CALENDAR:
        return calendar_on_or_after(timing, earliest)
    return earliest


def scheduled_due(timing: Timing, starts_on: date, index: int) -> date | None:
    """Occurrence `index` (from 1) of a timing fixed from the previous due date; None past
    its end."""
    first = first_due(timing, starts_on)
    if timing.repeat == Repeat.CALENDAR:
        due = first
        for _ in range(index - 1):
            due = calendar_on_or_after(timing, due + timedelta(days=1))
    else:
        due = add_steps(timing, first, index - 1)
    return _within_end(timing, starts_on, index, due)


def due_after_completion(
    timing: Timing, starts_on: date, index: int, completed_on: date
) -> date | None:
    """Occurrence `index` of a timing anchored on completion: one interval after the previous
    one was completed (or skipped); None past its end."""
    if index == 1:
        return _within_end(timing, starts_on, index, first_due(timing, starts_on))
    return _within_end(timing, starts_on, index, add_steps(timing, completed_on, 1))


def due_window(timing: Timing, due_on: date) -> tuple[date, date]:
    return due_on - timedelta(days=timing.days_before), due_on + timedelta(days=timing.days_after)
