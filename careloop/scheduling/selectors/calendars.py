"""Reads that turn the stored calendar into the pure inputs of availability.py."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BigIntegerField, Q, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

if TYPE_CHECKING:
    from careloop.patients.models import Patient

from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.core.models import ClinicSettings, Holiday
from careloop.scheduling.availability import (
    ProviderCalendar,
    Slot,
    SlotRequest,
    WeeklyTimes,
    free_slots,
)
from careloop.scheduling.localtime import instant
from careloop.scheduling.models import (
    MAX_BUFFER_MINUTES,
    AppointmentType,
    Break,
    ClinicHoliday,
    Location,
    WorkingHours,
)
from careloop.scheduling.priority import holding_window
from careloop.scheduling.selectors.busy import busy_time

# The columns of working hours and breaks, in WeeklyTimes' order.
_WEEKLY_COLUMNS = ("weekday", "start_time", "end_time", "valid_from", "valid_until")
_LONGEST_BUFFER = timedelta(minutes=MAX_BUFFER_MINUTES)


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
    buffer: timedelta = _LONGEST_BUFFER,
) -> list[ProviderCalendar]:
    """One calendar per provider and location with working hours in the range.

    `buffer` is the longest buffer the slots asked of these calendars will have (a visit
    starting that long after the last window closes can still clash); by default the longest
    any type may have. Three reads, each of plain tuples rather than model instances: the
    weekly hours and breaks together with each location's zone, holidays of both kinds
    together, and the visits that hold time with the time off (`busy.busy_time`).
    """
    scope = Q(location__active=True)
    if provider_ids is not None:
        scope &= Q(provider_id__in=list(provider_ids))
    if location_ids is not None:
        scope &= Q(location_id__in=list(location_ids))
    in_range = (
        Q(valid_from__isnull=True) | Q(valid_from__lte=last_day),
        Q(valid_until__isnull=True) | Q(valid_until__gte=first_day),
    )
    columns = ("provider_id", "location_id", _zone(), *_WEEKLY_COLUMNS)
    weekly_rows = (
        WorkingHours.objects.filter(scope, *in_range)
        .order_by()
        .values_list(Value(True), *columns)
        .union(
            Break.objects.filter(scope, *in_range).order_by().values_list(Value(False), *columns),
            all=True,
        )
        # A stable order: a calendar's hours and breaks are the key its day grids are kept by.
        .order_by("provider_id", "location_id", *_WEEKLY_COLUMNS)
    )
    pairs: dict[tuple[int, int], list[WeeklyTimes]] = {}
    breaks: dict[tuple[int, int], list[WeeklyTimes]] = {}
    location_zones: dict[int, str] = {}
    for working, provider_id, location_id, zone_name, *times in weekly_rows:
        if working:
            pairs.setdefault((provider_id, location_id), []).append(WeeklyTimes(*times))
            location_zones[location_id] = zone_name
        else:
            breaks.setdefault((provider_id, location_id), []).append(WeeklyTimes(*times))
    if not pairs:
        return []
    providers = {provider for provider, _ in pairs}
    zones = {location_id: ZoneInfo(zone_name) for location_id, zone_name in location_zones.items()}
    # Every open window lies within its local days: from the first day's midnight in the
    # zone that reaches it first to the midnight after the last day in the zone that reaches
    # it last.
    midnight = datetime.min.time()
    opens = min(instant(first_day, midnight, zone) for zone in zones.values())
    closes = max(instant(last_day + timedelta(days=1), midnight, zone) for zone in zones.values())
    busy = busy_time(
        provider_ids=providers,
        opens=opens,
        closes=closes,
        buffer=buffer,
        ignore_appointment_ids=ignore_appointment_ids,
    )
    holidays = _closed_days(first_day, last_day)
    calendars = []
    for (provider_id, location_id), hours in sorted(pairs.items()):
        calendars.append(
            ProviderCalendar(
                provider_id=provider_id,
                location_id=location_id,
                zone=zones[location_id],
                hours=tuple(hours),
                breaks=tuple(breaks.get((provider_id, location_id), [])),
                holidays=holidays.get(location_id, holidays[None]),
                # One tuple per provider, shared by the provider's calendars at each location,
                # so the search works out the provider's clashes once.
                time_off=busy.time_off.get(provider_id, ()),
                busy=busy.visits.get(provider_id, ()),
            )
        )
    return calendars


def _zone() -> Coalesce:
    """The location's time zone, else the clinic's (`location_zone` in SQL): read beside the
    hours, as a separate read of the clinic's settings would be a query of its own."""
    clinic = ClinicSettings.objects.order_by("id").values("time_zone")[:1]
    return Coalesce(
        NullIf("location__time_zone", Value("")),
        Subquery(clinic),
        # Before an admin has saved any settings (`clinic_settings`).
        Value(ClinicSettings._meta.get_field("time_zone").get_default()),
    )


def _closed_days(first_day: date, last_day: date) -> dict[int | None, frozenset[date]]:
    """The days each location is closed in the range, under None those closing every one.

    Both kinds in one read: a location's own holidays, and the clinic-wide ones (without a
    location, or the holidays an admin sets beside the clinic's settings).
    """
    rows = (
        ClinicHoliday.objects.filter(date__gte=first_day, date__lte=last_day)
        .order_by()
        .values_list("date", "location_id")
        .union(
            Holiday.objects.filter(date__gte=first_day, date__lte=last_day)
            .order_by()
            .values_list("date", Value(None, output_field=BigIntegerField())),
            all=True,
        )
    )
    everywhere: set[date] = set()
    at_location: dict[int, set[date]] = {}
    for day, location_id in rows:
        if location_id is None:
            everywhere.add(day)
        else:
            at_location.setdefault(location_id, set()).add(day)
    closed: dict[int | None, frozenset[date]] = {None: frozenset(everywhere)}
    for location_id, days in at_location.items():
        closed[location_id] = frozenset(days | everywhere)
    return closed


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
    request = slot_request(appointment_type)
    calendars = provider_calendars(
        first_day=first_day,
        last_day=last_day,
        provider_ids=provider_ids,
        location_ids=location_ids,
        buffer=request.buffer,
    )
    slots = free_slots(calendars, request=request, first_day=first_day, last_day=last_day)
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
