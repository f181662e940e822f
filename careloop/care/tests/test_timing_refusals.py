import pytest

from careloop.care.tests.timing_builders import monthly, timing
from careloop.core.errors import ValidationFailed


def _refusal(**columns) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as failed:
        timing(**columns)
    return [(error.field, error.code) for error in failed.value.errors]


def test_an_activity_without_timing_is_refused():
    assert _refusal(repeat="") == [("repeat", "required")]


def test_every_0_never_fires_and_is_refused():
    assert _refusal(every=0, unit="days") == [("every", "never_fires")]


def test_every_n_without_a_unit_is_refused():
    assert _refusal(every=3, unit="") == [("unit", "required")]


def test_ending_after_0_occurrences_is_refused():
    assert _refusal(every=1, unit="months", end_after_occurrences=0) == [
        ("end_after_occurrences", "never_fires")
    ]


def test_an_end_before_the_first_occurrence_is_refused():
    assert _refusal(every=1, unit="months", first_offset_days=40, end_after_months=1) == [
        ("end_after_months", "never_fires")
    ]


def test_an_end_that_some_february_start_would_reach_first_is_refused():
    # One month from February 1 is 28 days; an offset of 28 days could never fire then.
    assert _refusal(every=1, unit="weeks", first_offset_days=28, end_after_months=1) == [
        ("end_after_months", "never_fires")
    ]
    assert monthly(first_offset_days=27, end_after_months=1).end_after_months == 1


def test_calendar_months_with_no_month_are_refused():
    assert _refusal(repeat="calendar", calendar_months="", day_of_month=1) == [
        ("calendar_months", "never_fires")
    ]


@pytest.mark.parametrize("months", ["0", "13", "1,14"])
def test_calendar_months_outside_1_to_12_are_refused(months):
    assert _refusal(repeat="calendar", calendar_months=months, day_of_month=1) == [
        ("calendar_months", "out_of_range")
    ]


def test_calendar_months_that_are_not_numbers_are_refused():
    assert _refusal(repeat="calendar", calendar_months="jan", day_of_month=1) == [
        ("calendar_months", "invalid")
    ]


@pytest.mark.parametrize("day", [0, 32, None])
def test_a_calendar_day_0_or_beyond_31_is_refused(day):
    assert _refusal(repeat="calendar", calendar_months="1,7", day_of_month=day) == [
        ("day_of_month", "never_fires")
    ]


def test_a_quarterly_calendar_ending_before_a_quarter_has_passed_is_refused():
    assert _refusal(
        repeat="calendar", calendar_months="1,4,7,10", day_of_month=1, end_after_months=2
    ) == [("end_after_months", "never_fires")]


def test_a_calendar_timed_from_completion_is_refused():
    assert _refusal(
        repeat="calendar", calendar_months="1", day_of_month=1, anchor="previous_completion"
    ) == [("anchor", "calendar_from_completion")]


def test_two_ends_at_once_are_refused():
    assert _refusal(every=1, unit="months", end_after_occurrences=3, end_after_months=6) == [
        ("end_after_months", "one_end")
    ]


def test_every_broken_field_is_named_at_once():
    fields = {
        field for field, _ in _refusal(every=0, unit="fortnights", days_before=-1, anchor="x")
    }
    assert fields == {"every", "unit", "days_before", "anchor"}
