"""What staff calendars show: a day at a location across providers, a provider's week, a
patient's upcoming visits. Times are read in the location's (or clinic's) zone."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from careloop.accounts.models import User
from careloop.scheduling.localtime import instant
from careloop.scheduling.models import Appointment, AppointmentStatus, Location, WorkingHours
from careloop.scheduling.services.booking import BOOKABLE_ROLES

UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class ProviderDay:
    provider: User
    hours: list[WorkingHours]
    visits: list[Appointment]


def _between(start: datetime, end: datetime) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(start_at__gte=start, start_at__lt=end)
        .select_related("patient", "provider", "location", "appointment_type")
        .order_by("start_at", "id")
    )


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a local day starts and ends (23 or 25 hours on a clock change)."""
    return instant(day, datetime.min.time(), zone), instant(
        day + timedelta(days=1), datetime.min.time(), zone
    )


def bookable_staff() -> list[User]:
    return list(
        User.objects.filter(role__in=BOOKABLE_ROLES, is_active=True).order_by(
            "last_name", "first_name", "id"
        )
    )


def location_day(location: Location, day: date, zone: ZoneInfo) -> list[ProviderDay]:
    """Each provider working at `location` on `day`, or with a visit there, with the day's
    hours and visits (cancelled ones too, marked by their status)."""
    start, end = day_bounds(day, zone)
    visits = list(_between(start, end).filter(location=location))
    hours = [
        row
        for row in WorkingHours.objects.filter(location=location, weekday=day.weekday())
        .select_related("provider")
        .order_by("start_time")
        if (row.valid_from is None or row.valid_from <= day)
        and (row.valid_until is None or day <= row.valid_until)
    ]
    providers = {row.provider for row in hours} | {visit.provider for visit in visits}
    return [
        ProviderDay(
            provider=provider,
            hours=[row for row in hours if row.provider_id == provider.pk],
            visits=[visit for visit in visits if visit.provider_id == provider.pk],
        )
        for provider in sorted(providers, key=lambda user: (user.last_name, user.first_name))
    ]


def provider_week(
    provider: User, monday: date, zone: ZoneInfo
) -> list[tuple[date, list[Appointment]]]:
    start, _ = day_bounds(monday, zone)
    _, end = day_bounds(monday + timedelta(days=6), zone)
    visits = list(_between(start, end).filter(provider=provider))
    days = [monday + timedelta(days=offset) for offset in range(7)]
    return [
        (day, [visit for visit in visits if visit.start_at.astimezone(zone).date() == day])
        for day in days
    ]


def upcoming_visits(patient_id: int, now: datetime) -> list[Appointment]:
    """The patient's next visits still to happen (scheduled, confirmed or checked in)."""
    return list(
        Appointment.objects.filter(
            patient_id=patient_id,
            end_at__gt=now,
            status__in=[
                AppointmentStatus.SCHEDULED,
                AppointmentStatus.CONFIRMED,
                AppointmentStatus.CHECKED_IN,
            ],
        )
        .select_related("provider", "location", "appointment_type")
        .order_by("start_at", "id")[:UPCOMING_LIMIT]
    )
