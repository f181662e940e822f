"""The month-long search (`free_slots`: clashes merged once per provider, starts kept as
integers and sorted once) against the plainest reading of the rules: every grid start of
every open window, kept when the booking check (`slot_problem`) accepts it. Seeded random
calendars over both 2026 clock changes in America/New_York, several providers each working at
two locations, with visits, buffers, time off, holidays, a lead time and excluded starts."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from careloop.scheduling.availability import (
    Forbidden,
    ProviderCalendar,
    Slot,
    SlotRequest,
    Span,
    WeeklyTimes,
    busy_of,
    free_slots,
    open_windows,
    slot_problem,
)
from careloop.scheduling.localtime import exists, instant

NEW_YORK = ZoneInfo("America/New_York")
# Two weeks around each 2026 change (March 8 forward, November 1 back), both Sundays.
RANGES = [(date(2026, 3, 2), date(2026, 3, 15)), (date(2026, 10, 26), date(2026, 11, 8))]
QUARTER = timedelta(minutes=15)


def _quarter(rng: random.Random, low: int, high: int) -> time:
    count = rng.randrange(low, high)
    return time(count // 4, count % 4 * 15)


def _weekly(rng: random.Random, weekday: int) -> tuple[WeeklyTimes, ...]:
    # Hours that may begin after midnight (through the skipped and repeated hour) or run late.
    start = rng.randrange(0, 40)
    end = rng.randrange(start + 2, 96)
    hours = [WeeklyTimes(weekday, _quarter(rng, start, start + 1), _quarter(rng, end, end + 1))]
    if rng.random() < 0.3 and end < 94:
        hours.append(WeeklyTimes(weekday, _quarter(rng, end, end + 1), time(23, 45)))
    return tuple(hours)


def _random_calendars(rng: random.Random, first: date, last: date) -> list[ProviderCalendar]:
    base = datetime.combine(first, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    minutes = int((last - first).days + 1) * 24 * 60
    calendars = []
    for provider_id in range(1, 4):
        visits = []
        for _ in range(rng.randrange(0, 60)):
            begins = base + timedelta(minutes=5 * rng.randrange(0, minutes // 5))
            visits.append(Span(begins, begins + timedelta(minutes=rng.choice([10, 15, 30, 50]))))
        away = []
        for _ in range(rng.randrange(0, 3)):
            begins = base + timedelta(minutes=15 * rng.randrange(0, minutes // 15))
            away.append(Span(begins, begins + timedelta(minutes=15 * rng.randrange(1, 40))))
        busy, time_off = busy_of(*visits), tuple(away)
        # Weekdays split between two locations; both calendars share the provider's busy time.
        weekdays = rng.sample(range(7), rng.randrange(1, 7))
        for location_id in (1, 2):
            mine = weekdays[location_id - 1 :: 2]
            hours = tuple(hour for weekday in mine for hour in _weekly(rng, weekday))
            breaks = tuple(
                WeeklyTimes(weekday, _quarter(rng, 40, 50), _quarter(rng, 50, 56))
                for weekday in mine
                if rng.random() < 0.5
            )
            holidays = frozenset(
                first + timedelta(days=rng.randrange(0, 14)) for _ in range(rng.randrange(0, 3))
            )
            calendars.append(
                ProviderCalendar(
                    provider_id,
                    location_id,
                    NEW_YORK,
                    hours,
                    breaks,
                    holidays=holidays,
                    time_off=time_off,
                    busy=busy,
                )
            )
    return calendars


def _random_request(rng: random.Random, first: date, base_minutes: int) -> SlotRequest:
    base = datetime.combine(first, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    step = timedelta(minutes=rng.choice([5, 15, 30]))
    earliest = (
        base + timedelta(minutes=rng.randrange(0, base_minutes)) if rng.random() < 0.5 else None
    )
    exclude = frozenset(base + QUARTER * rng.randrange(0, base_minutes // 15) for _ in range(20))
    return SlotRequest(
        duration=timedelta(minutes=rng.choice([15, 30, 45, 60, 90])),
        buffer=timedelta(minutes=rng.choice([0, 5, 15])),
        step=step,
        earliest=earliest,
        exclude=exclude,
    )


def _plainly_free(
    calendars: list[ProviderCalendar], request: SlotRequest, first: date, last: date
) -> list[Slot]:
    """Each wall-clock grid start of each window that exists, taken once, that the booking
    check accepts, on or after the earliest start and not excluded."""
    slots = []
    for calendar in calendars:
        day = first
        while day <= last:
            for window in open_windows(calendar, day):
                wall = window.start.astimezone(NEW_YORK).replace(tzinfo=None)
                end = window.end.astimezone(NEW_YORK).replace(tzinfo=None)
                while wall < end:
                    start = instant(wall.date(), wall.time(), NEW_YORK)
                    if (
                        wall.date() == day
                        and exists(wall, NEW_YORK)
                        and window.start <= start < window.end
                        and (request.earliest is None or start >= request.earliest)
                        and start not in request.exclude
                        and slot_problem(calendar, start, request) is None
                    ):
                        slots.append(
                            Slot(
                                start,
                                calendar.provider_id,
                                calendar.location_id,
                                start + request.duration,
                            )
                        )
                    wall += request.step
            day += timedelta(days=1)
    return sorted(slots)


@pytest.mark.parametrize("seed", range(40))
def test_the_month_search_offers_exactly_the_starts_the_booking_check_accepts(seed):
    rng = random.Random(seed)
    first, last = RANGES[seed % 2]
    calendars = _random_calendars(rng, first, last)
    request = _random_request(rng, first, 14 * 24 * 60)

    found = free_slots(calendars, request=request, first_day=first, last_day=last)

    assert found == _plainly_free(calendars, request, first, last)


def test_clashes_merge_time_off_and_visits_with_their_buffer_but_keep_touching_ones_apart():
    at = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    minute = timedelta(minutes=1)

    def micros_at(offset: int) -> int:
        return (at + offset * minute - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
            microseconds=1
        )

    calendar = ProviderCalendar(
        1,
        1,
        NEW_YORK,
        hours=(),
        # Out of order: 13:30-14:00, 14:00-14:30 and 14:10-14:20 inside it; 15:10-15:30, then
        # 15:50-16:00.
        busy=busy_of(
            Span(at + 60 * minute, at + 90 * minute),
            Span(at + 30 * minute, at + 60 * minute),
            Span(at + 130 * minute, at + 150 * minute),
            Span(at + 70 * minute, at + 80 * minute),
            Span(at + 170 * minute, at + 180 * minute),
        ),
        time_off=(Span(at + 210 * minute, at + 240 * minute),),  # 16:30-17:00
    )
    request = SlotRequest(duration=30 * minute, buffer=10 * minute)

    forbidden = Forbidden.of(calendar, request)

    # A visit forbids the starts from the duration and buffer (40 minutes) before it to its
    # end, time off those from the duration (30 minutes) before it: 12:50-14:30, 14:30-16:00
    # (15:50 is within 40 minutes of 15:30), 16:00-17:00. Open intervals that only touch are
    # kept apart, as a start at the shared end is free of both.
    assert forbidden.intervals == [
        (micros_at(-10), micros_at(90)),
        (micros_at(90), micros_at(180)),
        (micros_at(180), micros_at(240)),
    ]
    assert forbidden.highs == [micros_at(90), micros_at(180), micros_at(240)]
