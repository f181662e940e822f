"""Response-time due times in business hours: nights, weekends, holidays, both clock changes.

The clinic is in America/New_York, open Monday to Friday 08:00-17:00. In 2026 its clocks go
forward on Sunday 8 March (02:00 -> 03:00) and back on Sunday 1 November (02:00 -> 01:00).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careloop.core.models import OpeningHours
from careloop.messaging.business_hours import business_due, business_elapsed

ZONE = ZoneInfo("America/New_York")
WEEKDAYS = [OpeningHours(weekday=day, opens=time(8), closes=time(17)) for day in range(5)]


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


def due(start: datetime, hours: float, *, opening=WEEKDAYS, holidays=()) -> datetime:
    return business_due(
        start=start,
        target=timedelta(hours=hours),
        hours=opening,
        holidays=set(holidays),
        zone=ZONE,
    )


def elapsed(start: datetime, end: datetime, *, opening=WEEKDAYS, holidays=()) -> timedelta:
    return business_elapsed(start=start, end=end, hours=opening, holidays=set(holidays), zone=ZONE)


def test_a_target_inside_one_working_day_ends_the_same_afternoon():
    assert due(local(2026, 3, 2, 9), 4) == local(2026, 3, 2, 13)


def test_the_clock_stops_overnight():
    assert due(local(2026, 3, 2, 15), 4) == local(2026, 3, 3, 10)


def test_a_target_ending_exactly_at_closing_is_due_at_closing():
    assert due(local(2026, 3, 2, 13), 4) == local(2026, 3, 2, 17)


def test_a_message_sent_before_opening_starts_counting_at_opening():
    assert due(local(2026, 3, 3, 6, 30), 1) == local(2026, 3, 3, 9)


def test_a_message_sent_on_saturday_starts_counting_on_monday_morning():
    assert due(local(2026, 2, 28, 11), 2) == local(2026, 3, 2, 10)


def test_a_weekend_in_the_middle_is_skipped():
    assert due(local(2026, 2, 27, 15), 4) == local(2026, 3, 2, 10)


def test_a_holiday_is_skipped_like_a_weekend():
    # Friday 15:00 + 4h: Monday 2 March is a holiday, so Tuesday 10:00.
    assert due(local(2026, 2, 27, 15), 4, holidays=[date(2026, 3, 2)]) == local(2026, 3, 3, 10)


def test_a_message_sent_on_a_holiday_waits_for_the_next_opening():
    assert due(local(2026, 3, 2, 10), 1, holidays=[date(2026, 3, 2)]) == local(2026, 3, 3, 9)


def test_a_weekend_with_the_spring_clock_change_keeps_wall_clock_opening_hours():
    # Friday 15:00 EST + 4h -> Monday 10:00 EDT: two business hours each side of the change.
    answer = due(local(2026, 3, 6, 15), 4)
    assert answer == local(2026, 3, 9, 10)
    assert answer == datetime(2026, 3, 9, 14, tzinfo=UTC)


def test_a_weekend_with_the_autumn_clock_change_keeps_wall_clock_opening_hours():
    answer = due(local(2026, 10, 30, 15), 4)
    assert answer == local(2026, 11, 2, 10)
    assert answer == datetime(2026, 11, 2, 15, tzinfo=UTC)


def test_an_opening_that_spans_the_spring_change_is_an_hour_shorter():
    # Open Sundays 01:00-05:00: on 8 March that is three real hours (02:00-03:00 never happens).
    sunday_night = [OpeningHours(weekday=6, opens=time(1), closes=time(5))]
    start = local(2026, 3, 8, 1)
    assert elapsed(start, local(2026, 3, 8, 5), opening=sunday_night) == timedelta(hours=3)
    assert due(start, 3, opening=sunday_night) == local(2026, 3, 8, 5)
    assert due(start, 4, opening=sunday_night) == local(2026, 3, 15, 2)


def test_an_opening_that_spans_the_autumn_change_is_an_hour_longer():
    # On 1 November 01:00 EDT to 05:00 EST is five real hours.
    sunday_night = [OpeningHours(weekday=6, opens=time(1), closes=time(5))]
    start = local(2026, 11, 1, 1)
    assert elapsed(start, local(2026, 11, 1, 5), opening=sunday_night) == timedelta(hours=5)
    assert due(start, 4, opening=sunday_night) == datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert due(start, 5, opening=sunday_night) == local(2026, 11, 1, 5)


def test_split_hours_count_only_the_open_parts_of_the_day():
    split = [
        OpeningHours(weekday=0, opens=time(8), closes=time(12)),
        OpeningHours(weekday=0, opens=time(13), closes=time(17)),
    ]
    assert due(local(2026, 3, 2, 11), 2, opening=split) == local(2026, 3, 2, 14)
    assert elapsed(local(2026, 3, 2, 11), local(2026, 3, 2, 14), opening=split) == timedelta(
        hours=2
    )


def test_elapsed_business_time_skips_nights_weekends_and_holidays():
    assert elapsed(local(2026, 2, 27, 15), local(2026, 3, 3, 10), holidays=[date(2026, 3, 2)]) == (
        timedelta(hours=4)
    )


def test_elapsed_business_time_is_zero_when_the_end_is_not_after_the_start():
    assert elapsed(local(2026, 3, 2, 12), local(2026, 3, 2, 9)) == timedelta(0)


def test_a_clinic_that_never_opens_refuses_to_give_a_due_time():
    with pytest.raises(ValueError, match="not open long enough"):
        due(local(2026, 3, 2, 9), 1, opening=[])


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        due(datetime(2026, 3, 2, 9), 1)


STARTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
HOLIDAYS = st.sets(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 1, 31)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    start=STARTS,
    minutes=st.integers(min_value=0, max_value=60 * 80),
    holidays=HOLIDAYS,
)
def test_the_business_time_from_start_to_due_is_the_target(start, minutes, holidays):
    target = timedelta(minutes=minutes)
    answer = business_due(start=start, target=target, hours=WEEKDAYS, holidays=holidays, zone=ZONE)
    assert answer >= start
    assert (
        business_elapsed(start=start, end=answer, hours=WEEKDAYS, holidays=holidays, zone=ZONE)
        == target
    )
    if minutes > 0:
        opened = answer.astimezone(ZONE)
        assert opened.weekday() < 5
        assert opened.date() not in holidays
        assert time(8) < opened.time() <= time(17)
