"""Timings for the tests, built through the same parser the models use."""

from typing import Any

from careloop.care.timing import Timing, timing_from_columns


def timing(**columns: Any) -> Timing:
    values: dict[str, Any] = {
        "repeat": "every",
        "every": None,
        "unit": "",
        "calendar_months": "",
        "day_of_month": None,
        "anchor": "previous_due",
        "first_offset_days": 0,
        "end_after_occurrences": None,
        "end_after_months": None,
        "days_before": 7,
        "days_after": 14,
    }
    values.update(columns)
    return timing_from_columns(**values)


def monthly(**columns: Any) -> Timing:
    return timing(every=1, unit="months", **columns)
