"""The clinic's business calendar as the pure SLA maths takes it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from careloop.core.models import Holiday, OpeningHours
from careloop.core.selectors import clinic_settings
from careloop.messaging.business_hours import business_due, business_elapsed


@dataclass(frozen=True)
class BusinessCalendar:
    hours: tuple[OpeningHours, ...]
    holidays: frozenset[date]
    zone: ZoneInfo

    def due(self, start: datetime, business_hours: float) -> datetime:
        return business_due(
            start=start,
            target=timedelta(hours=business_hours),
            hours=self.hours,
            holidays=self.holidays,
            zone=self.zone,
        )

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return business_elapsed(
            start=start, end=end, hours=self.hours, holidays=self.holidays, zone=self.zone
        )


def business_calendar() -> BusinessCalendar:
    """The clinic's opening hours, holidays and time zone as they stand now."""
    clinic = clinic_settings()
    return BusinessCalendar(
        hours=tuple(clinic.opening_hours()),
        holidays=frozenset(Holiday.objects.values_list("date", flat=True)),
        zone=ZoneInfo(clinic.time_zone),
    )


def warn_share() -> float:
    """The share of a response-time target after which the assignee is warned."""
    return float(settings.MESSAGING_WARN_AT_PERCENT) / 100
