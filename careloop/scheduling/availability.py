"""Free slots: pure maths over one provider's calendar at one location.

A day's open windows are its working hours minus breaks (wall-clock times in the location's
zone, turned into instants on that day's own offset), nothing on a holiday. A slot starts on
the slot grid from the start of a window, lies wholly inside one window, stays clear of time
off, and with the type's buffer after it stays clear of every appointment that holds time
(each with its own buffer). Slot starts are wall-clock times: one in a skipped hour does not
exist, and one in a repeated hour is offered once (careloop.scheduling.localtime).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from careloop.scheduling.localtime import exists, instant


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
    start to the end of its buffer. `time_off` applies at every location.
    """

    provider_id: int
    location_id: int
    zone: ZoneInfo
    hours: tuple[WeeklyTimes, ...]
    breaks: tuple[WeeklyTimes, ...] = ()
    holidays: frozenset[date] = frozenset()
    time_off: tuple[Span, ...] = ()
    busy: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Slot:
    provider_id: int
    location_id: int
    start: datetime
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

    Each day is checked only against the visits that can reach it (bucketed by the local day
    they start), not against every visit of the range: with a month of a busy provider's
    calendar that is the difference between hundreds and a handful of comparisons a slot.
    """
    slots: list[Slot] = []
    # A provider's calendars at several locations share one busy list: bucket it once.
    bucketed: dict[tuple[int, ZoneInfo], Callable[[date], tuple[Span, ...]]] = {}
    for calendar in calendars:
        key = (calendar.provider_id, calendar.zone)
        if key not in bucketed:
            bucketed[key] = _busy_near_days(calendar)
        nearby = bucketed[key]
        for day in _days(first_day, last_day):
            slots.extend(day_slots(replace(calendar, busy=nearby(day)), day, request))
    return sorted(slots, key=lambda slot: (slot.start, slot.provider_id, slot.location_id))


def _busy_near_days(calendar: ProviderCalendar) -> Callable[[date], tuple[Span, ...]]:
    """A function giving the busy spans that may overlap a local day: those starting from as
    many days before as the longest span lasts, to the day after (a buffer may run past
    midnight)."""
    by_day: dict[date, list[Span]] = {}
    longest = timedelta(0)
    for span in calendar.busy:
        by_day.setdefault(span.start.astimezone(calendar.zone).date(), []).append(span)
        longest = max(longest, span.end - span.start)
    reach = longest.days + 1

    def nearby(day: date) -> tuple[Span, ...]:
        return tuple(
            span
            for offset in range(-reach, 2)
            for span in by_day.get(day + timedelta(days=offset), ())
        )

    return nearby


def day_slots(calendar: ProviderCalendar, day: date, request: SlotRequest) -> Iterator[Slot]:
    """The free slots of one local day, in time order.

    A start s is free when the visit [s, s + duration) lies in an open window, misses time
    off, and [s, s + duration + buffer) misses every busy span: s outside the open intervals
    (away.start - duration, away.end) and (taken.start - duration - buffer, taken.end). Those
    are merged and walked once alongside the grid, so a slot costs a comparison or two, not a
    look at every visit (`_clash` answers the same question for one start).
    """
    for window in open_windows(calendar, day):
        forbidden = _forbidden_starts(calendar, window, request)
        zone = calendar.zone
        local_start = window.start.astimezone(zone).replace(tzinfo=None)
        local_end = window.end.astimezone(zone).replace(tzinfo=None)
        # Without a clock change inside the window, wall time and instants move together.
        steady = window.end - window.start == local_end - local_start
        latest = window.end - request.duration
        index = 0
        wall = local_start
        while wall < local_end:
            candidate = wall
            wall += request.step
            if steady:
                start = window.start + (candidate - local_start)
            elif candidate.date() != day or not exists(candidate, zone):
                continue
            else:
                start = instant(candidate.date(), candidate.time(), zone)
            if start > latest:
                continue
            if request.earliest is not None and start < request.earliest:
                continue
            if start in request.exclude:
                continue
            while index < len(forbidden) and forbidden[index][1] <= start:
                index += 1
            if index < len(forbidden) and forbidden[index][0] < start:
                if steady:  # jump to the first grid point at or after the clash's end
                    wall += (
                        (forbidden[index][1] - start - timedelta(microseconds=1))
                        // request.step
                        * request.step
                    )
                continue
            yield Slot(calendar.provider_id, calendar.location_id, start, start + request.duration)


def _forbidden_starts(
    calendar: ProviderCalendar, window: Span, request: SlotRequest
) -> list[tuple[datetime, datetime]]:
    """Open intervals (low, high) of starts that clash, merged and in order, near `window`."""
    reach = request.duration + request.buffer
    intervals = sorted(
        [
            (away.start - request.duration, away.end)
            for away in calendar.time_off
            if away.end > window.start and away.start - request.duration < window.end
        ]
        + [
            (taken.start - reach, taken.end)
            for taken in calendar.busy
            if taken.end > window.start and taken.start - reach < window.end
        ]
    )
    merged: list[tuple[datetime, datetime]] = []
    for low, high in intervals:
        if merged and low < merged[-1][1]:  # open intervals that share only an end stay apart
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


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
    blocked = Span(start, visit.end + request.buffer)
    if any(blocked.overlaps(taken) for taken in calendar.busy):
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
