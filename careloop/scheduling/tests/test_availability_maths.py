"""Free slots as pure maths: hours minus breaks, time off, holidays, visits and their buffers,
lead time, and daylight-saving changes in America/New_York."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careloop.scheduling.availability import (
    ProviderCalendar,
    SlotRequest,
    Span,
    WeeklyTimes,
    busy_of,
    free_slots,
    joined,
    open_windows,
    slot_problem,
)

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)
HALF_HOUR = SlotRequest(duration=timedelta(minutes=30), step=timedelta(minutes=30))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def _calendar(*hours: WeeklyTimes, **parts) -> ProviderCalendar:
    return ProviderCalendar(provider_id=1, location_id=1, zone=NEW_YORK, hours=hours, **parts)


def _local_starts(calendar, day, request=HALF_HOUR):
    slots = free_slots([calendar], request=request, first_day=day, last_day=day)
    return [slot.start.astimezone(NEW_YORK).strftime("%H:%M") for slot in slots]


def test_slots_fill_the_working_hours_around_a_break():
    calendar = _calendar(
        WeeklyTimes(0, time(9), time(12)), breaks=(WeeklyTimes(0, time(10), time(11)),)
    )

    assert _local_starts(calendar, MONDAY) == ["09:00", "09:30", "11:00", "11:30"]


def test_a_slot_must_end_by_the_end_of_hours():
    calendar = _calendar(WeeklyTimes(0, time(9), time(10)))
    hour_long = SlotRequest(duration=timedelta(minutes=45), step=timedelta(minutes=15))

    assert _local_starts(calendar, MONDAY, hour_long) == ["09:00", "09:15"]


def test_no_slot_on_another_weekday_or_outside_the_hours_validity():
    calendar = _calendar(
        WeeklyTimes(0, time(9), time(10), valid_from=date(2026, 6, 8)),
        WeeklyTimes(1, time(9), time(10)),
    )

    assert _local_starts(calendar, MONDAY) == []
    assert _local_starts(calendar, date(2026, 6, 8)) == ["09:00", "09:30"]


def test_no_slot_on_a_holiday():
    calendar = _calendar(WeeklyTimes(0, time(9), time(10)), holidays=frozenset({MONDAY}))

    assert _local_starts(calendar, MONDAY) == []


def test_time_off_removes_the_slots_it_touches():
    away = Span(_at(MONDAY, 9, 15), _at(MONDAY, 10))
    calendar = _calendar(WeeklyTimes(0, time(9), time(11)), time_off=(away,))

    assert _local_starts(calendar, MONDAY) == ["10:00", "10:30"]


def test_a_visit_and_its_buffer_keep_the_next_slots_free_of_both_buffers():
    # A visit 10:00-10:30 with a 15-minute buffer holds the provider until 10:45. A new
    # 30-minute visit with a 15-minute buffer needs 45 minutes clear from its start.
    taken = Span(_at(MONDAY, 10), _at(MONDAY, 10, 45))
    calendar = _calendar(WeeklyTimes(0, time(9), time(12)), busy=busy_of(taken))
    request = SlotRequest(
        duration=timedelta(minutes=30), buffer=timedelta(minutes=15), step=timedelta(minutes=15)
    )

    starts = _local_starts(calendar, MONDAY, request)

    assert "09:15" in starts
    assert "09:30" not in starts
    assert "10:30" not in starts
    assert "10:45" in starts


def test_the_lead_time_hides_slots_that_start_too_soon():
    calendar = _calendar(WeeklyTimes(0, time(9), time(11)))
    request = SlotRequest(
        duration=timedelta(minutes=30),
        step=timedelta(minutes=30),
        earliest=_at(MONDAY, 9, 40),
    )

    assert _local_starts(calendar, MONDAY, request) == ["10:00", "10:30"]


def test_9am_hours_give_a_9am_slot_local_on_both_sides_of_the_spring_change():
    calendar = _calendar(WeeklyTimes(4, time(9), time(9, 30)), WeeklyTimes(0, time(9), time(9, 30)))

    slots = free_slots(
        [calendar], request=HALF_HOUR, first_day=date(2026, 3, 6), last_day=date(2026, 3, 9)
    )

    assert [slot.start for slot in slots] == [
        datetime(2026, 3, 6, 14, tzinfo=UTC),
        datetime(2026, 3, 9, 13, tzinfo=UTC),
    ]


def test_a_slot_in_the_skipped_hour_does_not_exist():
    # Sunday March 8 2026: New York clocks jump from 2:00 to 3:00.
    calendar = _calendar(WeeklyTimes(6, time(1), time(4)))

    assert _local_starts(calendar, date(2026, 3, 8)) == ["01:00", "01:30", "03:00", "03:30"]


def test_the_repeated_hour_is_not_counted_twice():
    # Sunday November 1 2026: New York clocks fall back from 2:00 to 1:00.
    calendar = _calendar(WeeklyTimes(6, time(0), time(3)))
    hourly = SlotRequest(duration=timedelta(hours=1), step=timedelta(hours=1))

    slots = free_slots(
        [calendar], request=hourly, first_day=date(2026, 11, 1), last_day=date(2026, 11, 1)
    )

    assert [slot.start.astimezone(NEW_YORK).strftime("%H:%M") for slot in slots] == [
        "00:00",
        "01:00",
        "02:00",
    ]
    assert len({slot.start for slot in slots}) == 3
    assert slots[1].start == datetime(2026, 11, 1, 5, tzinfo=UTC)  # 1:00 EDT, the first


def test_open_windows_measure_the_real_length_of_a_day_with_a_change():
    calendar = _calendar(WeeklyTimes(6, time(0), time(4)))

    (short,) = open_windows(calendar, date(2026, 3, 8))
    (long,) = open_windows(calendar, date(2026, 11, 1))

    assert short.end - short.start == timedelta(hours=3)
    assert long.end - long.start == timedelta(hours=5)


def test_slots_of_several_calendars_come_in_time_order():
    early = _calendar(WeeklyTimes(0, time(9), time(10)))
    late = ProviderCalendar(
        provider_id=2, location_id=3, zone=NEW_YORK, hours=(WeeklyTimes(0, time(8), time(9)),)
    )

    slots = free_slots([early, late], request=HALF_HOUR, first_day=MONDAY, last_day=MONDAY)

    assert [(slot.provider_id, slot.location_id) for slot in slots] == [(2, 3)] * 2 + [(1, 1)] * 2


def test_slot_problem_names_why_a_start_cannot_be_booked():
    taken = Span(_at(MONDAY, 11), _at(MONDAY, 11, 30))
    away = Span(_at(MONDAY, 14), _at(MONDAY, 15))
    calendar = _calendar(
        WeeklyTimes(0, time(9), time(16)),
        breaks=(WeeklyTimes(0, time(12), time(13)),),
        busy=busy_of(taken),
        time_off=(away,),
    )

    assert slot_problem(calendar, _at(MONDAY, 9), HALF_HOUR) is None
    assert slot_problem(calendar, _at(MONDAY, 8, 30), HALF_HOUR) == "outside_hours"
    assert slot_problem(calendar, _at(MONDAY, 12, 15), HALF_HOUR) == "outside_hours"
    assert slot_problem(calendar, _at(MONDAY, 11, 45), HALF_HOUR) == "duration_does_not_fit"
    assert slot_problem(calendar, _at(MONDAY, 14, 30), HALF_HOUR) == "time_off"
    assert slot_problem(calendar, _at(MONDAY, 11, 15), HALF_HOUR) == "slot_taken"


def test_busy_time_that_touches_or_overlaps_is_joined_in_time_order_and_a_gap_stays():
    busy = [(50, 60), (10, 20), (20, 30), (25, 28), (27, 40), (41, 45), (60, 61), (44, 46)]

    assert joined(busy) == ((10, 40), (41, 46), (50, 61))


def test_joined_busy_time_gives_the_same_slots_and_booking_answers():
    visits = [
        Span(_at(MONDAY, 9), _at(MONDAY, 9, 30)),
        Span(_at(MONDAY, 9, 30), _at(MONDAY, 10, 10)),
        Span(_at(MONDAY, 10), _at(MONDAY, 10, 20)),
        Span(_at(MONDAY, 11), _at(MONDAY, 11, 15)),
    ]
    apart = _calendar(WeeklyTimes(0, time(8), time(13)), busy=busy_of(*visits))
    together = _calendar(WeeklyTimes(0, time(8), time(13)), busy=joined(apart.busy))
    request = SlotRequest(duration=timedelta(minutes=30), buffer=timedelta(minutes=10))

    assert len(together.busy) == 2
    assert free_slots([together], request=request, first_day=MONDAY, last_day=MONDAY) == (
        free_slots([apart], request=request, first_day=MONDAY, last_day=MONDAY)
    )
    starts = [_at(MONDAY, 8) + timedelta(minutes=5 * step) for step in range(60)]
    assert [slot_problem(together, start, request) for start in starts] == [
        slot_problem(apart, start, request) for start in starts
    ]
