"""Priority capacity, as pure functions: which slots are held for some plans, and until when.

A held window names a provider (or every provider), a type (or every type), wall-clock start
and end times and the plans it holds slots for. A slot that starts inside the window is held
until the release time on the day `release_days_before` days before the slot's own day (both
in the location's zone); from that instant everyone may book it. Members of the window's plans
may book it all along.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from careloop.scheduling.localtime import instant


@dataclass(frozen=True)
class HeldWindow:
    plan_ids: frozenset[int]
    plan_names: tuple[str, ...]
    start: time
    end: time
    release_time: time
    release_days_before: int = 0
    provider_id: int | None = None
    appointment_type_id: int | None = None


def release_at(window: HeldWindow, slot_start: datetime, zone: ZoneInfo) -> datetime:
    """The instant the window lets go of a slot starting at `slot_start`."""
    day = slot_start.astimezone(zone).date() - timedelta(days=window.release_days_before)
    return instant(day, window.release_time, zone)


def holding_window(
    windows: Iterable[HeldWindow],
    *,
    provider_id: int,
    appointment_type_id: int,
    start: datetime,
    zone: ZoneInfo,
    now: datetime,
    plan_id: int | None,
) -> HeldWindow | None:
    """The window that keeps this slot from a patient on `plan_id` now, or None."""
    local_time = start.astimezone(zone).time()
    for window in windows:
        if window.provider_id not in (None, provider_id):
            continue
        if window.appointment_type_id not in (None, appointment_type_id):
            continue
        if not window.start <= local_time < window.end:
            continue
        if plan_id is not None and plan_id in window.plan_ids:
            continue
        if now < release_at(window, start, zone):
            return window
    return None
