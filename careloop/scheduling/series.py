"""Occurrences of a series: pure calendar maths over dates and wall-clock times.

Dates step in the calendar (every N days, weeks or months) and each occurrence is the local
start time on that date, turned into UTC on that date's own offset, so a 9:00 series stays
at 9:00 across daylight-saving changes. Monthly on a date keeps the start date's day and
clamps it in short months without drifting (31 -> Feb 28 -> Mar 31), using the same month
arithmetic as billing periods.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.periods import month_boundary
from careloop.scheduling.localtime import instant
from careloop.scheduling.models import SeriesFrequency

ORDINALS = (1, 2, 3, 4, -1)


@dataclass(frozen=True)
class SeriesRule:
    frequency: SeriesFrequency
    start_date: date
    local_start_time: time
    interval: int = 1
    count: int | None = None
    until: date | None = None  # inclusive
    ordinal: int | None = None  # monthly on a weekday: 1-4, or -1 for the last
    weekday: int | None = None  # Monday is 0


@dataclass(frozen=True)
class Occurrence:
    index: int  # from 0
    day: date
    start: datetime  # UTC


def rule_problems(rule: SeriesRule, *, limit: int) -> list[FieldError]:
    """What is wrong with a rule, field by field (empty when it can be expanded)."""
    errors = []
    if rule.interval < 1:
        errors.append(FieldError("interval", "The interval must be at least 1.", "min_value"))
    if rule.count is None and rule.until is None:
        errors.append(
            FieldError(
                "count",
                "A series needs an end: a number of occurrences or an until date.",
                "required",
            )
        )
    if rule.count is not None and rule.until is not None:
        errors.append(
            FieldError(
                "until", "Give a number of occurrences or an until date, not both.", "conflict"
            )
        )
    if rule.count is not None and not 1 <= rule.count <= limit:
        errors.append(
            FieldError(
                "count",
                f"A series has between 1 and {limit} occurrences; {rule.count} were asked for.",
                "out_of_range",
            )
        )
    if rule.until is not None and rule.until < rule.start_date:
        errors.append(
            FieldError(
                "until",
                f"The until date {rule.until.isoformat()} is before the start date "
                f"{rule.start_date.isoformat()}.",
                "before_start",
            )
        )
    if rule.frequency == SeriesFrequency.MONTHLY_ON_WEEKDAY:
        if rule.ordinal not in ORDINALS:
            errors.append(
                FieldError(
                    "ordinal",
                    "Choose first, second, third, fourth or last (1, 2, 3, 4 or -1).",
                    "invalid_choice",
                )
            )
        if rule.weekday is None or not 0 <= rule.weekday <= 6:
            errors.append(
                FieldError("weekday", "Choose a weekday (Monday 0 to Sunday 6).", "invalid_choice")
            )
    return errors


def occurrence_dates(rule: SeriesRule, *, limit: int) -> list[date]:
    """Every date of the series, or ValidationFailed naming the field that breaks a rule.

    A series ending on a date that would hold more than `limit` occurrences is refused rather
    than cut short, so nobody books a shorter series than they think.
    """
    errors = rule_problems(rule, limit=limit)
    if errors:
        raise ValidationFailed(errors)
    wanted = rule.count if rule.count is not None else limit + 1
    dates: list[date] = []
    step = 0
    # A monthly ordinal weekday always exists (the fourth and the last always do), so every
    # step yields at most one date and the loop ends.
    while len(dates) < wanted:
        day = _step(rule, step)
        step += 1
        if day is None or day < rule.start_date:
            continue
        if rule.until is not None and day > rule.until:
            break
        dates.append(day)
    if rule.until is not None and len(dates) > limit:
        raise ValidationFailed.single(
            "until",
            f"A series has at most {limit} occurrences; until {rule.until.isoformat()} "
            "would make more. Choose an earlier date.",
            "out_of_range",
        )
    return dates


def occurrences(rule: SeriesRule, *, zone: ZoneInfo, limit: int) -> list[Occurrence]:
    return [
        Occurrence(index=index, day=day, start=instant(day, rule.local_start_time, zone))
        for index, day in enumerate(occurrence_dates(rule, limit=limit))
    ]


def _step(rule: SeriesRule, step: int) -> date | None:
    start = rule.start_date
    if rule.frequency == SeriesFrequency.DAILY:
        return start + timedelta(days=step * rule.interval)
    if rule.frequency == SeriesFrequency.WEEKLY:
        return start + timedelta(weeks=step * rule.interval)
    if rule.frequency == SeriesFrequency.MONTHLY_ON_DATE:
        return month_boundary(start, start.day, step * rule.interval)
    first_of_month = month_boundary(start.replace(day=1), 1, step * rule.interval)
    ordinal, weekday = rule.ordinal or 1, rule.weekday or 0  # checked by rule_problems
    return ordinal_weekday(first_of_month.year, first_of_month.month, ordinal, weekday)


def ordinal_weekday(year: int, month: int, ordinal: int, weekday: int) -> date | None:
    """The `ordinal` (1-5, or -1 for the last) `weekday` of the month, or None if none."""
    days_in_month = calendar.monthrange(year, month)[1]
    if ordinal == -1:
        last = date(year, month, days_in_month)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    day = 1 + (weekday - first.weekday()) % 7 + (ordinal - 1) * 7
    return date(year, month, day) if day <= days_in_month else None
