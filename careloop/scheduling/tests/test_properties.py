"""Property tests for the scheduling maths: whatever the calendar, slots respect it; whatever
the rule, series keep their day and local time."""

import calendar as month_calendar
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from careloop.scheduling.availability import (
    ProviderCalendar,
    SlotRequest,
    Span,
    WeeklyTimes,
    busy_of,
    free_slots,
    joined,
    moment,
    open_windows,
    slot_problem,
)
from careloop.scheduling.localtime import exists, instant
from careloop.scheduling.models import SeriesFrequency as F
from careloop.scheduling.series import SeriesRule, occurrence_dates, occurrences

NEW_YORK = ZoneInfo("America/New_York")
# Around both 2026 changes in New York (March 8 and November 1).
DAYS = st.sampled_from([date(2026, 3, 7), date(2026, 3, 8), date(2026, 10, 31), date(2026, 11, 1)])
QUARTERS = st.integers(min_value=0, max_value=95).map(lambda n: time(n // 4, n % 4 * 15))


@st.composite
def calendars(draw):
    day = draw(DAYS)
    hours = []
    for _ in range(draw(st.integers(1, 3))):
        start, end = sorted(draw(st.lists(QUARTERS, min_size=2, max_size=2, unique=True)))
        hours.append(WeeklyTimes(day.weekday(), start, end))
    base = datetime.combine(day, time(0), tzinfo=NEW_YORK).astimezone(UTC)
    busy = tuple(
        Span(base + timedelta(minutes=15 * q), base + timedelta(minutes=15 * (q + length)))
        for q, length in draw(
            st.lists(st.tuples(st.integers(0, 100), st.integers(1, 8)), max_size=4)
        )
    )
    time_off = tuple(
        Span(base + timedelta(minutes=15 * q), base + timedelta(minutes=15 * (q + length)))
        for q, length in draw(
            st.lists(st.tuples(st.integers(0, 100), st.integers(1, 12)), max_size=2)
        )
    )
    calendar = ProviderCalendar(
        1, 1, NEW_YORK, hours=tuple(hours), busy=busy_of(*busy), time_off=time_off
    )
    request = SlotRequest(
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90]))),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 5, 15]))),
        step=timedelta(minutes=draw(st.sampled_from([5, 15, 30]))),
    )
    return day, calendar, request


@settings(max_examples=200, deadline=None)
@given(calendars())
def test_every_slot_lies_in_the_hours_clear_of_visits_and_is_offered_once(drawn):
    day, calendar, request = drawn

    slots = free_slots([calendar], request=request, first_day=day, last_day=day)

    windows = open_windows(calendar, day)
    starts = [slot.start for slot in slots]
    assert len(set(starts)) == len(starts)
    local_starts = [start.astimezone(NEW_YORK).replace(tzinfo=None) for start in starts]
    assert len(set(local_starts)) == len(local_starts)
    for slot, local_start in zip(slots, local_starts, strict=True):
        assert exists(local_start, NEW_YORK)
        assert slot.end - slot.start == request.duration
        assert any(window.contains(Span(slot.start, slot.end)) for window in windows)
        blocked = Span(slot.start, slot.end + request.buffer)
        assert not any(blocked.overlaps(Span(moment(a), moment(b))) for a, b in calendar.busy)
        assert not any(Span(slot.start, slot.end).overlaps(away) for away in calendar.time_off)


@settings(max_examples=300, deadline=None)
@given(calendars())
def test_every_grid_start_the_booking_check_accepts_is_offered(drawn):
    """Free slots are searched with merged intervals; booking checks one start against every
    visit (`slot_problem`). Both must agree: no start the booking would take is left out."""
    day, calendar, request = drawn

    offered = {
        slot.start for slot in free_slots([calendar], request=request, first_day=day, last_day=day)
    }

    accepted = set()
    for window in open_windows(calendar, day):
        wall = window.start.astimezone(NEW_YORK).replace(tzinfo=None)
        end = window.end.astimezone(NEW_YORK).replace(tzinfo=None)
        while wall < end:
            if wall.date() == day and exists(wall, NEW_YORK):
                start = instant(day, wall.time(), NEW_YORK)
                if window.start <= start < window.end and (
                    slot_problem(calendar, start, request) is None
                ):
                    accepted.add(start)
            wall += request.step
    assert offered == accepted


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    interval=st.integers(1, 4),
    count=st.integers(1, 40),
)
def test_monthly_on_a_date_keeps_the_day_clamped_to_each_month_and_never_drifts(
    start, interval, count
):
    rule = SeriesRule(F.MONTHLY_ON_DATE, start, time(9), interval=interval, count=count)

    dates = occurrence_dates(rule, limit=104)

    assert len(dates) == count
    for day in dates:
        assert day.day == min(start.day, month_calendar.monthrange(day.year, day.month)[1])
    for earlier, later in pairwise(dates):
        assert (later.year - earlier.year) * 12 + later.month - earlier.month == interval


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    frequency=st.sampled_from([F.DAILY, F.WEEKLY, F.MONTHLY_ON_DATE]),
    interval=st.integers(1, 9),
    at=QUARTERS,
)
def test_every_occurrence_starts_at_the_local_time_unless_that_time_is_skipped(
    start, frequency, interval, at
):
    rule = SeriesRule(frequency, start, at, interval=interval, count=30)

    for item in occurrences(rule, zone=NEW_YORK, limit=104):
        wanted = datetime.combine(item.day, at)
        local = item.start.astimezone(NEW_YORK).replace(tzinfo=None)
        if exists(wanted, NEW_YORK):
            assert local == wanted
        else:
            assert local == wanted + timedelta(hours=1)


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 12)).map(lambda pair: (pair[0], sum(pair))),
        max_size=15,
    )
)
def test_joined_busy_time_covers_exactly_the_same_time_in_separate_stretches(busy):
    stretches = joined(busy)

    # With whole-number ends, a stretch [start, end) is the unit cells start .. end - 1.
    def cells(spans):
        return {cell for start, end in spans for cell in range(start, end)}

    assert cells(stretches) == cells(busy)
    assert list(stretches) == sorted(stretches)
    # Apart: each stretch ends before the next begins, so none touch or overlap.
    assert all(before[1] < after[0] for before, after in pairwise(stretches))
