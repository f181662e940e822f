"""A small clinic calendar in New York for the scheduling tests (synthetic data only).

The clinic's zone is America/New_York. Dr. Pat works Monday to Friday 9:00-17:00 at Midtown
with lunch 12:00-13:00. The tests' "now" is Monday June 1 2026 at 8:00 in New York, unless a
test freezes the clock elsewhere.
"""

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.models import ClinicSettings
from careloop.scheduling.models import AppointmentType, Break, Location, WorkingHours

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)
TUESDAY = date(2026, 6, 2)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def clinic_in_new_york(now: datetime | None = None) -> None:
    ClinicSettings.objects.update_or_create(id=1, defaults={"time_zone": "America/New_York"})
    clock.freeze(now or local(MONDAY, 8))


def make_location(name: str = "Midtown", **fields: Any) -> Location:
    fields.setdefault("address", "1 Example Plaza")
    return Location.objects.create(name=name, **fields)


def make_type(name: str = "Check-in", **fields: Any) -> AppointmentType:
    fields.setdefault("duration_minutes", 30)
    return AppointmentType.objects.create(name=name, **fields)


def weekday_hours(
    provider: User,
    location: Location,
    *,
    start: time = time(9),
    end: time = time(17),
    lunch: bool = True,
    weekdays: range = range(5),
) -> None:
    for weekday in weekdays:
        WorkingHours.objects.create(
            provider=provider, location=location, weekday=weekday, start_time=start, end_time=end
        )
        if lunch:
            Break.objects.create(
                provider=provider,
                location=location,
                weekday=weekday,
                start_time=time(12),
                end_time=time(13),
            )
