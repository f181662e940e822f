"""Business-hours arithmetic for response-time targets: pure functions, no database.

Business time is real elapsed time while the clinic is open: the opening hours of each
weekday (wall-clock times in the clinic's zone), minus holidays. An hour of business time on
the night clocks go back is still sixty minutes; a window's length on a daylight-saving day
is measured between its two instants, not read off the wall clock. A message sent while the
clinic is closed starts counting at the next opening.
"""

from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careloop.core.models import OpeningHours

# How far ahead to look for enough opening hours before deciding there never will be.
SEARCH_DAYS = 366 * 2


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    # A wall time that does not exist (inside the spring-forward gap) lands just after it;
    # one that exists twice (autumn) is its first occurrence.
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def _day_windows(
    day: date, hours: Sequence[OpeningHours], zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The day's opening windows as UTC instants, sorted and merged where they overlap."""
    windows = sorted(
        (_instant(day, entry.opens, zone), _instant(day, entry.closes, zone))
        for entry in hours
        if entry.weekday == day.weekday() and entry.opens < entry.closes
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start < end:
            merged.append((start, end))
    return merged


def _windows_from(
    day: date,
    hours: Sequence[OpeningHours],
    holidays: Collection[date],
    zone: ZoneInfo,
    days: int,
) -> Iterator[tuple[datetime, datetime]]:
    for offset in range(days):
        current = day + timedelta(days=offset)
        if current in holidays:
            continue
        yield from _day_windows(current, hours, zone)


def business_due(
    *,
    start: datetime,
    target: timedelta,
    hours: Sequence[OpeningHours],
    holidays: Collection[date],
    zone: ZoneInfo,
) -> datetime:
    """The instant (UTC) when `target` of business time has passed since `start`.

    Raises ValueError when the clinic opens too little in the next two years to reach it
    (no opening hours at all, say).
    """
    if start.tzinfo is None:
        raise ValueError("business_due takes an aware start")
    if target < timedelta(0):
        raise ValueError("the target must not be negative")
    remaining = target
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    for window_start, window_end in _windows_from(first_day, hours, holidays, zone, SEARCH_DAYS):
        counting_from = max(window_start, start)
        if counting_from >= window_end:
            continue
        available = window_end - counting_from
        if remaining <= available:
            return counting_from + remaining
        remaining -= available
    raise ValueError("the clinic is not open long enough in the next two years to reach it")


def business_elapsed(
    *,
    start: datetime,
    end: datetime,
    hours: Sequence[OpeningHours],
    holidays: Collection[date],
    zone: ZoneInfo,
) -> timedelta:
    """Business time between two instants (zero when `end` is not after `start`)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("business_elapsed takes aware instants")
    if end <= start:
        return timedelta(0)
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    days = (end.astimezone(zone).date() - first_day).days + 2
    total = timedelta(0)
    for window_start, window_end in _windows_from(first_day, hours, holidays, zone, days):
        overlap = min(window_end, end) - max(window_start, start)
        if overlap > timedelta(0):
            total += overlap
    return total
