"""Free slots: pure maths over one provider's calendar at one location.

A day's open windows are its working hours minus breaks (wall-clock times in the location's
zone, turned into instants on that day's own offset), nothing on a holiday. A slot starts on
the slot grid from the start of a window, lies wholly inside one window, stays clear of time
off, and with the type's buffer after it stays clear of every appointment that holds time
(each with its own buffer). Slot starts are wall-clock times: one in a skipped hour does not
exist, and one in a repeated hour is offered once (careloop.scheduling.localtime).

Busy time is given, and clashes are worked out, in whole microseconds since the epoch: a
month of a busy clinic holds thousands of visits, and integers read from the database and
compared as they are cost a fraction of as many datetimes (`micros` and `moment` convert).
"""

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from careloop.scheduling.localtime import exists, instant

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# A stretch of busy time, [start, end) in microseconds since the epoch.
Micros = tuple[int, int]


def micros(moment_: datetime | timedelta) -> int:
    """An aware instant as microseconds since the epoch, or a duration in microseconds."""
    if isinstance(moment_, timedelta):
        return moment_ // MICROSECOND
    return (moment_ - EPOCH) // MICROSECOND


def moment(count: int) -> datetime:
    """The UTC instant `count` microseconds after the epoch."""
    return EPOCH + timedelta(microseconds=count)


@dataclass(frozen=True)
class WeeklyTimes:
    """A recurring stretch of a weekday (hours or a break), valid between two dates inclusive."""

    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True)
class Span:
    """A half-open stretch of time [start, end) between two aware instants."""

    start: datetime
    end: datetime

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Span") -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class ProviderCalendar:
    """Everything availability needs about one provider at one location.

    `busy` holds the provider's appointments that hold time, at any location, each from its
    start to the end of its buffer, in microseconds (`busy_of` turns spans into them).
    `time_off` applies at every location.
    """

    provider_id: int
    location_id: int
    zone: ZoneInfo
    hours: tuple[WeeklyTimes, ...]
    breaks: tuple[WeeklyTimes, ...] = ()
    holidays: frozenset[date] = frozenset()
    time_off: tuple[Span, ...] = ()
    busy: tuple[Micros, ...] = ()


def busy_of(*spans: Span) -> tuple[Micros, ...]:
    """Busy time for a calendar from spans of aware instants."""
    return tuple((micros(span.start), micros(span.end)) for span in spans)


def joined(busy: Iterable[Micros]) -> tuple[Micros, ...]:
    """Busy time in time order, stretches that overlap or touch joined into one.

    Neither the search nor the booking check answers differently: a visit clashes with the
    joined stretch exactly when it clashes with one of its parts, and no visit fits between
    two stretches that touch.
    """
    # Sorted by start alone (stretches with one start may come in any order: the longest
    # decides the end), which costs half as much as comparing the pairs.
    ordered = sorted(busy, key=_start)
    if not ordered:
        return ()
    stretches: list[Micros] = []
    low, high = ordered[0]
    for start, end in ordered:
        if start > high:
            stretches.append((low, high))
            low = start
        if end > high:
            high = end
    stretches.append((low, high))
    return tuple(stretches)


_start = itemgetter(0)


class Slot(NamedTuple):
    """A free start for a visit: a tuple, as a month's search makes thousands of them, whose
    natural order is by start, then provider and location."""

    start: datetime
    provider_id: int
    location_id: int
    end: datetime


@dataclass(frozen=True)
class SlotRequest:
    duration: timedelta
    buffer: timedelta = timedelta(0)
    step: timedelta = timedelta(minutes=15)
    earliest: datetime | None = None  # now plus the type's lead time
    exclude: frozenset[datetime] = field(default_factory=frozenset)


def open_windows(calendar: ProviderCalendar, day: date) -> list[Span]:
    """The provider's working windows on `day` (a local date), breaks removed, in time order."""
    if day in calendar.holidays:
        return []
    windows = [
        Span(instant(day, hours.start, calendar.zone), instant(day, hours.end, calendar.zone))
        for hours in calendar.hours
        if hours.applies_on(day)
    ]
    if not windows:
        return []
    breaks = [
        Span(instant(day, pause.start, calendar.zone), instant(day, pause.end, calendar.zone))
        for pause in calendar.breaks
        if pause.applies_on(day)
    ]
    return _subtract(_merge(windows), breaks)


def free_slots(
    calendars: Iterable[ProviderCalendar], *, request: SlotRequest, first_day: date, last_day: date
) -> list[Slot]:
    """Every free slot from `first_day` to `last_day` (local dates, inclusive), in time order.

    The starts that clash are worked out once per provider for the whole range, as merged
    intervals in time order; each day's grids find their place in that list by bisection and
    take the free stretches between clashes whole, so a search costs a step per clash and per
    free slot, not a look at every visit of the month. Free starts stay integers until the
    end: sorted once with their provider and location, then each distinct start becomes a
    datetime once, as the providers of a clinic share one grid of starts.
    """
    found: list[tuple[int, int, int]] = []
    # A provider's calendars at several locations share one busy and one time-off list.
    shared: dict[tuple[int, int], Forbidden] = {}
    days_of_weekday = _days_by_weekday(first_day, last_day)
    for calendar in calendars:
        key = (id(calendar.busy), id(calendar.time_off))
        if key not in shared:
            shared[key] = Forbidden.of(calendar, request)
        forbidden = shared[key]
        provider_id, location_id = calendar.provider_id, calendar.location_id
        grids = _calendar_grids(calendar.hours, calendar.breaks, calendar.zone, forbidden.step)
        for weekday in {hours.weekday for hours in calendar.hours}:
            for day in days_of_weekday[weekday]:
                if day in calendar.holidays:
                    continue
                day_grids = grids.get(day)
                if day_grids is None:
                    if len(grids) >= DAYS_KEPT:  # a long-running server moves on through the year
                        grids.clear()
                    day_grids = grids[day] = _day_grids(calendar, day, forbidden.step)
                found.extend(
                    [
                        (start, provider_id, location_id)
                        for start in _free_starts(day_grids, forbidden)
                    ]
                )
    found.sort()
    return _slots(found, request.duration)


def _slots(found: list[tuple[int, int, int]], length: timedelta) -> list[Slot]:
    """Slots from sorted (start, provider, location) triples, one datetime per distinct start."""
    slots: list[Slot] = []
    make = Slot._make  # skips the keyword-taking constructor, a call per slot
    previous = None
    begins = ends = EPOCH
    for start, provider_id, location_id in found:
        if start != previous:
            begins = moment(start)
            ends = begins + length
            previous = start
        slots.append(make((begins, provider_id, location_id, ends)))
    return slots


def _days_by_weekday(first: date, last: date) -> list[list[date]]:
    """The dates from `first` to `last` (inclusive), listed under their weekday (Monday 0)."""
    by_weekday: list[list[date]] = [[] for _ in range(7)]
    for day in _days(first, last):
        by_weekday[day.weekday()].append(day)
    return by_weekday


@dataclass(frozen=True)
class Forbidden:
    """The starts that clash, as open intervals (low, high) of microseconds, merged and in
    time order, with their upper ends apart for bisection; and the request's figures in the
    same unit.

    A start s clashes with time off when away.start - duration < s < away.end, and with busy
    time when taken.start - duration - buffer < s < taken.end.
    """

    intervals: list[Micros]
    highs: list[int]
    duration: int
    step: int
    earliest: int | None
    exclude: frozenset[int]

    @classmethod
    def of(cls, calendar: ProviderCalendar, request: SlotRequest) -> "Forbidden":
        duration = micros(request.duration)
        buffer = micros(request.buffer)
        reach = duration + buffer
        # Time off forbids starts from `duration` before it, busy time from `reach` before it:
        # time off is written as busy time that begins `buffer` later, so one list sorted once
        # holds both. Visits are read in nearly this order (by when they were booked), which
        # the sort finds in long runs.
        stretches = sorted(
            calendar.busy
            + tuple((micros(away.start) + buffer, micros(away.end)) for away in calendar.time_off)
        )
        merged: list[Micros] = []
        if stretches:
            low, high = stretches[0]
            for start, end in stretches:
                if start < high + reach:  # open intervals that share only an end stay apart
                    if end > high:
                        high = end
                else:
                    merged.append((low - reach, high))
                    low, high = start, end
            merged.append((low - reach, high))
        return cls(
            intervals=merged,
            highs=[high for _, high in merged],
            duration=duration,
            step=micros(request.step),
            earliest=None if request.earliest is None else micros(request.earliest),
            exclude=frozenset(micros(start) for start in request.exclude),
        )


def day_slots(calendar: ProviderCalendar, day: date, request: SlotRequest) -> Iterator[Slot]:
    """The free slots of one local day, in time order."""
    if day in calendar.holidays:
        return
    length = request.duration
    grids = _day_grids(calendar, day, micros(request.step))
    for start in _free_starts(grids, Forbidden.of(calendar, request)):
        begins = moment(start)
        yield Slot(begins, calendar.provider_id, calendar.location_id, begins + length)


# A day's grid of starts in one open window: its first start, its end, the starts (all in
# microseconds) and whether it is steady (no clock change inside, so the starts are a range).
Grid = tuple[int, int, "range | tuple[int, ...]", bool]


def _free_starts(grids: tuple[Grid, ...], forbidden: Forbidden) -> list[int]:
    """The free starts of one local day's grids (not a holiday), in time order, in
    microseconds.

    A start s is free when the visit [s, s + duration) lies in an open window, s is on or
    after the earliest start, not excluded, and in no forbidden interval (`_clash` answers
    the same question for one start).
    """
    free: list[int] = []
    for origin, end, starts, steady in grids:
        latest = end - forbidden.duration
        if steady:
            free.extend(_steady_free(origin, latest, forbidden))
        else:
            free.extend(_changing_free(origin, starts, latest, forbidden))
    if forbidden.exclude:
        free = [start for start in free if start not in forbidden.exclude]
    return free


def _steady_free(origin: int, latest: int, forbidden: Forbidden) -> list[int]:
    """Free starts of a grid origin, origin + step, ... up to `latest`: the stretches between
    clashes, each taken whole as a range."""
    step, clashes, highs, earliest = (
        forbidden.step,
        forbidden.intervals,
        forbidden.highs,
        forbidden.earliest,
    )
    count = len(clashes)
    start = origin
    if earliest is not None and earliest > origin:
        start = origin - (origin - earliest) // step * step  # the first grid point from then
    free: list[int] = []
    index = bisect_right(highs, start)  # the first interval ending after `start`
    while start <= latest:
        while index < count and highs[index] <= start:
            index += 1
        if index == count or clashes[index][0] >= latest:
            free.extend(range(start, latest + 1, step))
            break
        low, high = clashes[index]
        if low >= start:  # open intervals: a start at `low` itself is free
            free.extend(range(start, low + 1, step))
        start = origin - (origin - high) // step * step  # the first grid point from `high`
        index += 1
    return free


def _changing_free(
    origin: int, starts: "range | tuple[int, ...]", latest: int, forbidden: Forbidden
) -> list[int]:
    """Free starts of a grid across a clock change, one start at a time."""
    clashes, count, earliest = forbidden.intervals, len(forbidden.intervals), forbidden.earliest
    free: list[int] = []
    index = bisect_right(forbidden.highs, origin)  # none ending before the window can matter
    for start in starts:
        if start > latest:  # starts only grow: none later fits either
            break
        if earliest is not None and start < earliest:
            continue
        while index < count and clashes[index][1] <= start:
            index += 1
        if index < count and clashes[index][0] < start:
            continue
        free.append(start)
    return free


# Days of grids kept per weekly calendar: two years of searches, a few megabytes in all.
DAYS_KEPT = 730


@lru_cache(maxsize=1024)
def _calendar_grids(
    hours: tuple[WeeklyTimes, ...], breaks: tuple[WeeklyTimes, ...], zone: ZoneInfo, step: int
) -> dict[date, tuple[Grid, ...]]:
    """The grids of each day worked out so far for one weekly calendar, filled as searches
    ask for days.

    Kept between searches: every search walks the same provider-days, and a day's grids depend
    only on these arguments, so a changed calendar (new hours or breaks) asks with a new key
    and is never answered from the old one. The key is hashed once per calendar and search,
    not once per day.
    """
    return {}


def _day_grids(calendar: ProviderCalendar, day: date, step: int) -> tuple[Grid, ...]:
    """The grids of a day's open windows (holidays aside: the callers skip them, and the
    grids are shared by calendars with other holidays)."""
    weekly = ProviderCalendar(0, 0, calendar.zone, calendar.hours, calendar.breaks)
    return tuple(_grid(calendar.zone, day, window, step) for window in open_windows(weekly, day))


def _grid(zone: ZoneInfo, day: date, window: Span, step: int) -> Grid:
    """The window's grid of starts in microseconds, in time order, from its start.

    Across a change the grid is in wall-clock time: a start in a skipped hour does not exist
    and one in a repeated hour is taken once, at its first occurrence.
    """
    origin, end = micros(window.start), micros(window.end)
    local_start = window.start.astimezone(zone).replace(tzinfo=None)
    local_end = window.end.astimezone(zone).replace(tzinfo=None)
    if window.end - window.start == local_end - local_start:
        return origin, end, range(origin, end, step), True
    starts = []
    wall = local_start
    while wall < local_end:
        if wall.date() == day and exists(wall, zone):
            starts.append(micros(instant(wall.date(), wall.time(), zone)))
        wall += timedelta(microseconds=step)
    return origin, end, tuple(starts), False


def slot_problem(calendar: ProviderCalendar, start: datetime, request: SlotRequest) -> str | None:
    """Why a visit of `request.duration` cannot start at `start`, or None if it can.

    The answer is a code: outside_hours (no open window holds the start), duration_does_not_fit
    (the window ends too soon), time_off, or slot_taken (another appointment or its buffer).
    """
    day = start.astimezone(calendar.zone).date()
    window = next((w for w in open_windows(calendar, day) if w.start <= start < w.end), None)
    if window is None:
        return "outside_hours"
    return _clash(calendar, window, start, request)


def _clash(
    calendar: ProviderCalendar, window: Span, start: datetime, request: SlotRequest
) -> str | None:
    """What keeps a visit starting at `start` inside `window` from being booked, or None."""
    visit = Span(start, start + request.duration)
    if not window.contains(visit):
        return "duration_does_not_fit"
    if any(visit.overlaps(away) for away in calendar.time_off):
        return "time_off"
    low, high = micros(start), micros(visit.end + request.buffer)
    if any(low < taken_end and taken_start < high for taken_start, taken_end in calendar.busy):
        return "slot_taken"
    return None


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end:
            merged[-1] = Span(merged[-1].start, max(merged[-1].end, span.end))
        else:
            merged.append(span)
    return merged


def _subtract(windows: list[Span], holes: list[Span]) -> list[Span]:
    result = windows
    for hole in holes:
        pieces = []
        for window in result:
            if not window.overlaps(hole):
                pieces.append(window)
                continue
            if window.start < hole.start:
                pieces.append(Span(window.start, hole.start))
            if hole.end < window.end:
                pieces.append(Span(hole.end, window.end))
        result = pieces
    return result
