"""Properties of the timing maths over any start date and any valid timing."""

from datetime import date, timedelta
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from careloop.care.tests.timing_builders import timing
from careloop.care.timing import Timing, end_date, first_due, scheduled_due
from careloop.core.errors import ValidationFailed
from careloop.memberships.periods import month_boundary

starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def valid_timings(draw: st.DrawFn) -> Timing:
    end = draw(st.sampled_from(["never", "occurrences", "months"]))
    columns: dict[str, Any] = {
        "first_offset_days": draw(st.integers(0, 120)),
        "end_after_occurrences": draw(st.integers(1, 12)) if end == "occurrences" else None,
        "end_after_months": draw(st.integers(1, 36)) if end == "months" else None,
    }
    if draw(st.booleans()):
        columns |= {
            "repeat": "every",
            "every": draw(st.integers(1, 12)),
            "unit": draw(st.sampled_from(["days", "weeks", "months"])),
        }
    else:
        months = draw(st.sets(st.integers(1, 12), min_size=1))
        columns |= {
            "repeat": "calendar",
            "calendar_months": ",".join(str(month) for month in sorted(months)),
            "day_of_month": draw(st.integers(1, 31)),
        }
    try:
        return timing(**columns)
    except ValidationFailed:
        assume(False)
        raise


@given(valid_timings(), starts)
def test_a_timing_that_was_accepted_fires_at_least_once_from_any_start(t, start):
    first = scheduled_due(t, start, 1)
    assert first is not None
    assert first >= start


@given(valid_timings(), starts)
def test_occurrences_strictly_increase_and_stop_at_the_end(t, start):
    previous = None
    end = end_date(t, start)
    for index in range(1, 15):
        due = scheduled_due(t, start, index)
        if due is None:
            assert all(scheduled_due(t, start, later) is None for later in (index + 1, index + 5))
            break
        if previous is not None:
            assert due > previous
        if end is not None:
            assert due < end
        if t.end_after_occurrences is not None:
            assert index <= t.end_after_occurrences
        previous = due


@given(starts, st.integers(1, 12), st.integers(1, 40))
def test_every_n_months_keeps_the_original_day_clamped_to_each_month(start, every, index):
    t = timing(every=every, unit="months")
    due = scheduled_due(t, start, index)
    assert due == month_boundary(start, start.day, every * (index - 1))
    assert due is not None
    assert due.day == start.day or (due + timedelta(days=1)).day == 1


@given(starts, st.sets(st.integers(1, 12), min_size=1), st.integers(1, 31))
def test_calendar_occurrences_fall_only_in_the_chosen_months(start, months, day):
    t = timing(
        repeat="calendar",
        calendar_months=",".join(str(month) for month in sorted(months)),
        day_of_month=day,
    )
    for index in range(1, 6):
        due = scheduled_due(t, start, index)
        assert due is not None
        assert due.month in months
        assert due.day == day or (due + timedelta(days=1)).day == 1
    assert first_due(t, start) >= start
