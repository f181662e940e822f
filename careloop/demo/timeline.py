"""A timeline of events by day, replayed in date order with the clock frozen on each day.

Each morning the due scheduled changes apply first, as the worker would apply them; then the
day's events run by step (enrollments, lifecycle actions, grants, booking, visits). An event
may add later events, on the same day or after it.
"""

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import IntEnum

from careloop.core import clock
from careloop.memberships.services.scheduled import scheduled_changes_apply_due


class Step(IntEnum):
    """The order of a day's events."""

    ENROLL = 0
    LIFECYCLE = 1
    GRANT = 2
    CARE = 3
    VISIT = 4


@dataclass
class Timeline:
    """Events by day, replayed in date order with the clock frozen on each day."""

    first: date
    last: date
    events: dict[date, list[tuple[int, int, Callable[[date], None]]]] = field(default_factory=dict)
    # Run at the end of every day, after its events (the nightly billing run).
    closing: list[Callable[[date], None]] = field(default_factory=list)
    order: "itertools.count[int]" = field(default_factory=itertools.count)

    def at(self, day: date, step: Step, action: Callable[[date], None]) -> None:
        if self.first <= day <= self.last:
            heapq.heappush(self.events.setdefault(day, []), (step, next(self.order), action))

    def run(self) -> None:
        zone = clock.clinic_zone()
        day = self.first
        while day <= self.last:
            with clock.frozen_at(datetime.combine(day, time(9), tzinfo=zone)):
                scheduled_changes_apply_due(on=day)
                queue = self.events.setdefault(day, [])
                while queue:
                    heapq.heappop(queue)[2](day)
                for action in self.closing:
                    action(day)
                self.events.pop(day, None)
            day += timedelta(days=1)
