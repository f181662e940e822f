from datetime import date

import pytest

from careloop.care.tests.timing_builders import monthly, timing
from careloop.care.timing import (
    due_after_completion,
    due_window,
    first_due,
    scheduled_due,
)


def _series(t, start: date, count: int) -> list[date | None]:
    return [scheduled_due(t, start, index) for index in range(1, count + 1)]


def test_monthly_from_january_31_clamps_to_each_month_end_and_never_drifts():
    assert _series(monthly(), date(2027, 1, 31), 5) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_monthly_from_january_31_falls_on_february_29_in_a_leap_year():
    assert scheduled_due(monthly(), date(2028, 1, 31), 2) == date(2028, 2, 29)
    assert scheduled_due(monthly(), date(2028, 1, 31), 3) == date(2028, 3, 31)


def test_yearly_from_a_leap_day_falls_on_february_28_then_back_on_the_29th():
    yearly = timing(every=12, unit="months")
    assert _series(yearly, date(2024, 2, 29), 5) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_every_two_weeks_steps_fourteen_days_across_the_year_end():
    fortnightly = timing(every=2, unit="weeks")
    assert _series(fortnightly, date(2026, 12, 24), 3) == [
        date(2026, 12, 24),
        date(2027, 1, 7),
        date(2027, 1, 21),
    ]


def test_every_ten_days_crosses_a_leap_day():
    assert _series(timing(every=10, unit="days"), date(2028, 2, 20), 2) == [
        date(2028, 2, 20),
        date(2028, 3, 1),
    ]


def test_the_first_occurrence_comes_after_the_offset_and_months_step_from_it():
    t = monthly(first_offset_days=30)
    assert first_due(t, date(2026, 1, 1)) == date(2026, 1, 31)
    assert _series(t, date(2026, 1, 1), 3) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]


def test_quarterly_calendar_months_fall_on_their_day_from_the_first_one_after_the_start():
    quarterly = timing(repeat="calendar", calendar_months="1,4,7,10", day_of_month=15)
    assert _series(quarterly, date(2026, 2, 1), 4) == [
        date(2026, 4, 15),
        date(2026, 7, 15),
        date(2026, 10, 15),
        date(2027, 1, 15),
    ]


def test_a_calendar_day_31_falls_on_the_last_day_of_shorter_months():
    t = timing(repeat="calendar", calendar_months="2,4,6", day_of_month=31)
    assert _series(t, date(2028, 1, 1), 4) == [
        date(2028, 2, 29),
        date(2028, 4, 30),
        date(2028, 6, 30),
        date(2029, 2, 28),
    ]


def test_a_calendar_date_on_the_start_day_counts():
    t = timing(repeat="calendar", calendar_months="3", day_of_month=1)
    assert first_due(t, date(2026, 3, 1)) == date(2026, 3, 1)


def test_an_activity_ends_after_its_number_of_occurrences():
    assert _series(monthly(end_after_occurrences=2), date(2026, 1, 10), 3) == [
        date(2026, 1, 10),
        date(2026, 2, 10),
        None,
    ]


def test_an_activity_ends_after_its_months_with_no_occurrence_on_the_end_day():
    assert _series(monthly(end_after_months=3), date(2026, 1, 31), 4) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        None,
    ]


def test_timed_from_completion_the_next_one_falls_an_interval_after_the_day_it_was_done():
    t = monthly(anchor="previous_completion")
    assert due_after_completion(t, date(2026, 1, 5), 1, date.min) == date(2026, 1, 5)
    assert due_after_completion(t, date(2026, 1, 5), 2, date(2026, 1, 31)) == date(2026, 2, 28)
    assert due_after_completion(t, date(2026, 1, 5), 2, date(2026, 1, 20)) == date(2026, 2, 20)


@pytest.mark.parametrize(
    ("before", "after", "window"),
    [
        (7, 14, (date(2026, 2, 22), date(2026, 3, 15))),
        (0, 0, (date(2026, 3, 1), date(2026, 3, 1))),
    ],
)
def test_the_due_window_spans_days_before_and_after_the_due_date(before, after, window):
    t = monthly(days_before=before, days_after=after)
    assert due_window(t, date(2026, 3, 1)) == window
