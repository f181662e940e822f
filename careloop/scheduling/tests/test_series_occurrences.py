"""Series occurrences: calendar steps, month ends, ordinal weekdays, daylight saving, limits."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from careloop.core.errors import ValidationFailed
from careloop.scheduling.models import SeriesFrequency as F
from careloop.scheduling.series import SeriesRule, occurrence_dates, occurrences

NEW_YORK = ZoneInfo("America/New_York")
LIMIT = 104


def _local(start: datetime) -> tuple[date, time]:
    local = start.astimezone(NEW_YORK)
    return local.date(), local.time()


def test_a_weekly_9am_series_stays_at_9am_local_when_clocks_go_forward():
    # Clocks go forward on Sunday March 8 2026 in New York.
    rule = SeriesRule(F.WEEKLY, date(2026, 3, 2), time(9), count=3)

    found = occurrences(rule, zone=NEW_YORK, limit=LIMIT)

    assert [_local(item.start) for item in found] == [
        (date(2026, 3, 2), time(9)),
        (date(2026, 3, 9), time(9)),
        (date(2026, 3, 16), time(9)),
    ]
    assert [item.start.astimezone(UTC).hour for item in found] == [14, 13, 13]


def test_a_weekly_9am_series_stays_at_9am_local_when_clocks_go_back():
    # Clocks go back on Sunday November 1 2026 in New York.
    rule = SeriesRule(F.WEEKLY, date(2026, 10, 26), time(9), count=2)

    found = occurrences(rule, zone=NEW_YORK, limit=LIMIT)

    assert [_local(item.start)[1] for item in found] == [time(9), time(9)]
    assert [item.start.astimezone(UTC).hour for item in found] == [13, 14]


def test_a_daily_series_through_the_skipped_hour_moves_that_occurrence_past_the_gap():
    rule = SeriesRule(F.DAILY, date(2026, 3, 7), time(2, 30), count=3)

    found = occurrences(rule, zone=NEW_YORK, limit=LIMIT)

    assert [_local(item.start) for item in found] == [
        (date(2026, 3, 7), time(2, 30)),
        (date(2026, 3, 8), time(3, 30)),
        (date(2026, 3, 9), time(2, 30)),
    ]


def test_a_series_in_the_repeated_hour_takes_its_first_occurrence_once():
    rule = SeriesRule(F.DAILY, date(2026, 11, 1), time(1, 30), count=1)

    (found,) = occurrences(rule, zone=NEW_YORK, limit=LIMIT)

    assert found.start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 1:30 EDT, not EST


@pytest.mark.parametrize("weeks", [7, 8, 9])
def test_every_7_8_and_9_weeks_keeps_the_weekday_and_the_gap(weeks):
    rule = SeriesRule(F.WEEKLY, date(2026, 1, 6), time(10), interval=weeks, count=8)

    dates = occurrence_dates(rule, limit=LIMIT)

    assert len(dates) == 8
    assert {day.weekday() for day in dates} == {1}
    assert {(later - earlier).days for earlier, later in pairwise(dates)} == {7 * weeks}


def test_every_n_days_steps_by_calendar_days():
    rule = SeriesRule(F.DAILY, date(2026, 2, 27), time(8), interval=2, count=3)

    assert occurrence_dates(rule, limit=LIMIT) == [
        date(2026, 2, 27),
        date(2026, 3, 1),
        date(2026, 3, 3),
    ]


def test_monthly_from_the_31st_clamps_at_short_months_and_returns_to_the_31st():
    rule = SeriesRule(F.MONTHLY_ON_DATE, date(2027, 12, 31), time(9), count=6)

    assert occurrence_dates(rule, limit=LIMIT) == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
        date(2028, 5, 31),
    ]


def test_every_second_tuesday():
    rule = SeriesRule(
        F.MONTHLY_ON_WEEKDAY, date(2026, 1, 1), time(9), ordinal=2, weekday=1, count=4
    )

    assert occurrence_dates(rule, limit=LIMIT) == [
        date(2026, 1, 13),
        date(2026, 2, 10),
        date(2026, 3, 10),
        date(2026, 4, 14),
    ]


def test_every_second_tuesday_starting_after_this_months_begins_next_month():
    rule = SeriesRule(
        F.MONTHLY_ON_WEEKDAY, date(2026, 1, 14), time(9), ordinal=2, weekday=1, count=1
    )

    assert occurrence_dates(rule, limit=LIMIT) == [date(2026, 2, 10)]


def test_every_last_friday_until_a_date():
    rule = SeriesRule(
        F.MONTHLY_ON_WEEKDAY,
        date(2026, 1, 1),
        time(9),
        ordinal=-1,
        weekday=4,
        until=date(2026, 4, 24),
    )

    assert occurrence_dates(rule, limit=LIMIT) == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
        date(2026, 4, 24),
    ]


def test_until_is_inclusive_and_the_count_is_exact():
    weekly = SeriesRule(F.WEEKLY, date(2026, 1, 5), time(9), until=date(2026, 1, 19))
    counted = SeriesRule(F.WEEKLY, date(2026, 1, 5), time(9), count=LIMIT)

    assert occurrence_dates(weekly, limit=LIMIT)[-1] == date(2026, 1, 19)
    assert len(occurrence_dates(counted, limit=LIMIT)) == LIMIT


def _refusal(rule: SeriesRule) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        occurrence_dates(rule, limit=LIMIT)
    return [(error.field, error.code) for error in refused.value.errors]


def test_an_until_date_before_the_start_is_refused_naming_until():
    rule = SeriesRule(F.WEEKLY, date(2026, 3, 2), time(9), until=date(2026, 3, 1))

    assert _refusal(rule) == [("until", "before_start")]


def test_a_series_with_neither_end_nor_count_is_refused_naming_count():
    assert _refusal(SeriesRule(F.WEEKLY, date(2026, 3, 2), time(9))) == [("count", "required")]


def test_a_count_beyond_the_limit_is_refused_naming_count():
    rule = SeriesRule(F.WEEKLY, date(2026, 3, 2), time(9), count=LIMIT + 1)

    assert _refusal(rule) == [("count", "out_of_range")]


def test_an_until_date_that_would_make_more_than_the_limit_is_refused_not_cut_short():
    rule = SeriesRule(
        F.DAILY, date(2026, 3, 2), time(9), until=date(2026, 3, 2) + timedelta(days=LIMIT)
    )

    assert _refusal(rule) == [("until", "out_of_range")]


def test_both_a_count_and_an_until_date_are_refused():
    rule = SeriesRule(F.WEEKLY, date(2026, 3, 2), time(9), count=2, until=date(2026, 4, 1))

    assert _refusal(rule) == [("until", "conflict")]


def test_an_ordinal_weekday_series_needs_a_known_ordinal_and_weekday():
    rule = SeriesRule(
        F.MONTHLY_ON_WEEKDAY, date(2026, 3, 2), time(9), ordinal=5, weekday=9, count=2
    )

    assert _refusal(rule) == [("ordinal", "invalid_choice"), ("weekday", "invalid_choice")]


def test_an_interval_below_one_is_refused_naming_interval():
    rule = SeriesRule(F.WEEKLY, date(2026, 3, 2), time(9), interval=0, count=2)

    assert _refusal(rule) == [("interval", "min_value")]
