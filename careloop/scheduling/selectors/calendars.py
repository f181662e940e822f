"""Reads that turn the stored calendar into the pure inputs of availability.py."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

if TYPE_CHECKING:
    from careloop.patients.models import Patient

from careloop.core import clock
from careloop.core.db_functions import EpochMicroseconds
from careloop.core.errors import ValidationFailed
from careloop.core.models import Holiday
from careloop.scheduling.availability import (
    Micros,
    ProviderCalendar,
    Slot,
    SlotRequest,
    Span,
    WeeklyTimes,
    free_slots,
)
from careloop.scheduling.localtime import instant
from careloop.scheduling.models import (
    HOLDS_TIME,
    MAX_BUFFER_MINUTES,
    MAX_DURATION_MINUTES,
    Appointment,
    AppointmentType,
    Break,
    ClinicHoliday,
    Location,
    TimeOff,
    WorkingHours,
)
from careloop.scheduling.priority import holding_window

# How far past the searched days a busy appointment or time off can still matter: a visit
# may run past midnight in another zone, and time off spans days.
_MARGIN = timedelta(days=2)
# The columns of working hours and breaks, in WeeklyTimes' order.
_WEEKLY_COLUMNS = ("weekday", "start_time", "end_time", "valid_from", "valid_until")
_LONGEST_HOLD = timedelta(minutes=MAX_DURATION_MINUTES + MAX_BUFFER_MINUTES)


def location_zone(location: Location) -> ZoneInfo:
    return ZoneInfo(location.time_zone) if location.time_zone else clock.clinic_zone()


def slot_request(appointment_type: AppointmentType, *, now: datetime | None = None) -> SlotRequest:
    moment = now or clock.now()
    return SlotRequest(
        duration=timedelta(minutes=appointment_type.duration_minutes),
        buffer=timedelta(minutes=appointment_type.buffer_minutes),
        step=timedelta(minutes=settings.SCHEDULING_SLOT_MINUTES),
        earliest=moment + timedelta(minutes=appointment_type.lead_time_minutes),
    )


def provider_calendars(
    *,
    first_day: date,
    last_day: date,
    provider_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    ignore_appointment_ids: Iterable[int] = (),
) -> list[ProviderCalendar]:
    """One calendar per provider and location with working hours in the range."""
    hours_rows = WorkingHours.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=last_day),
        Q(valid_until__isnull=True) | Q(valid_until__gte=first_day),
        location__active=True,
    )
    if provider_ids is not None:
        hours_rows = hours_rows.filter(provider_id__in=list(provider_ids))
    if location_ids is not None:
        hours_rows = hours_rows.filter(location_id__in=list(location_ids))
    # Plain tuples, not model instances: a search reads every provider's week twice over.
    pairs: dict[tuple[int, int], list[WeeklyTimes]] = {}
    location_zones: dict[int, str] = {}
    for provider_id, location_id, zone_name, *times in hours_rows.values_list(
        "provider_id", "location_id", "location__time_zone", *_WEEKLY_COLUMNS
    ):
        pairs.setdefault((provider_id, location_id), []).append(WeeklyTimes(*times))
        location_zones[location_id] = zone_name
    if not pairs:
        return []
    providers = {provider for provider, _ in pairs}
    clinic = clock.clinic_zone()  # read once: each read is a query
    zones = {
        location_id: ZoneInfo(zone_name) if zone_name else clinic
        for location_id, zone_name in location_zones.items()
    }
    span_start = instant(first_day, datetime.min.time(), clinic) - _MARGIN
    span_end = instant(last_day, datetime.min.time(), clinic) + _MARGIN
    breaks: dict[tuple[int, int], list[WeeklyTimes]] = {}
    for provider_id, location_id, *times in Break.objects.filter(
        provider_id__in=providers
    ).values_list("provider_id", "location_id", *_WEEKLY_COLUMNS):
        breaks.setdefault((provider_id, location_id), []).append(WeeklyTimes(*times))
    time_off: dict[int, list[Span]] = {}
    for away in TimeOff.objects.filter(
        provider_id__in=providers, start_at__lt=span_end, end_at__gt=span_start
    ):
        time_off.setdefault(away.provider_id, []).append(Span(away.start_at, away.end_at))
    busy: dict[int, list[Micros]] = {}
    for provider_id, start, blocked_until in (
        Appointment.objects.filter(
            provider_id__in=providers,
            status__in=HOLDS_TIME,
            start_at__lt=span_end,
            # A lower bound on the start keeps the index scan to the range: no visit holds time
            # for longer than the longest visit and buffer together.
            start_at__gt=span_start - _LONGEST_HOLD,
            blocked_until__gt=span_start,
        )
        .exclude(pk__in=list(ignore_appointment_ids))
        .order_by()  # the search sorts them itself
        # A month of a busy clinic is thousands of instants: read them as integers.
        .values_list(
            "provider_id", EpochMicroseconds("start_at"), EpochMicroseconds("blocked_until")
        )
    ):
        busy.setdefault(provider_id, []).append((start, blocked_until))
    holidays = list(ClinicHoliday.objects.filter(date__gte=first_day, date__lte=last_day))
    # The clinic-wide holidays an admin sets beside the clinic's settings close every location.
    closed = set(
        Holiday.objects.filter(date__gte=first_day, date__lte=last_day).values_list(
            "date", flat=True
        )
    )
    # One tuple per provider, shared by the provider's calendars at each location, so the
    # search works out the provider's clashes once.
    busy_spans = {provider_id: tuple(spans) for provider_id, spans in busy.items()}
    time_off_spans = {provider_id: tuple(spans) for provider_id, spans in time_off.items()}
    calendars = []
    for (provider_id, location_id), hours in sorted(pairs.items()):
        calendars.append(
            ProviderCalendar(
                provider_id=provider_id,
                location_id=location_id,
                zone=zones[location_id],
                hours=tuple(hours),
                breaks=tuple(breaks.get((provider_id, location_id), [])),
                holidays=frozenset(
                    {h.date for h in holidays if h.location_id in (None, location_id)} | closed
                ),
                time_off=time_off_spans.get(provider_id, ()),
                busy=busy_spans.get(provider_id, ()),
            )
        )
    return calendars


def available_slots(
    *,
    appointment_type: AppointmentType,
    first_day: date,
    last_day: date,
    provider_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    patient: "Patient | None" = None,
) -> list[Slot]:
    """Free slots for a type across providers and locations, first day to last (inclusive),
    without those priority capacity holds from `patient`'s plan."""
    if last_day < first_day:
        raise ValidationFailed.single(
            "last_day",
            f"The last day {last_day.isoformat()} is before the first day {first_day.isoformat()}.",
            "before_start",
        )
    calendars = provider_calendars(
        first_day=first_day,
        last_day=last_day,
        provider_ids=provider_ids,
        location_ids=location_ids,
    )
    slots = free_slots(
        calendars, request=slot_request(appointment_type), first_day=first_day, last_day=last_day
    )
    return _without_held(slots, appointment_type=appointment_type, patient=patient)


def _without_held(
    slots: list[Slot], *, appointment_type: AppointmentType, patient: "Patient | None"
) -> list[Slot]:
    """Drop the slots priority capacity still holds from this patient (or, with no patient,
    from anyone outside the held plans)."""
    from careloop.scheduling.selectors.priority import covering_plan_id, held_windows

    windows = held_windows(appointment_type)
    if not windows:
        return slots
    zones = {location.pk: location_zone(location) for location in Location.objects.all()}
    now = clock.now()
    plans: dict[date, int | None] = {}
    kept = []
    for slot in slots:
        zone = zones[slot.location_id]
        day = slot.start.astimezone(zone).date()
        if day not in plans:
            plans[day] = covering_plan_id(patient, day)
        window = holding_window(
            windows,
            provider_id=slot.provider_id,
            appointment_type_id=appointment_type.pk,
            start=slot.start,
            zone=zone,
            now=now,
            plan_id=plans[day],
        )
        if window is None:
            kept.append(slot)
    return kept
