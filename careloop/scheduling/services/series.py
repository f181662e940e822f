"""Booking a series: check every occurrence first, then book all of them or none.

Each occurrence is checked as a single booking would be; one that cannot be booked is listed
with its problem and the nearest free slots of the same provider at the same location (the
same day first, nearest to the wanted time, then the following days). Asked to check only,
nothing is booked; otherwise a series with any conflict is refused whole (SeriesHasConflicts
carries the list), so front desk can move those occurrences (`moved`) and book again.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.patients.models import Patient
from careloop.scheduling.availability import SlotRequest, Span, day_slots
from careloop.scheduling.errors import SeriesHasConflicts
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    Location,
)
from careloop.scheduling.selectors.calendars import (
    location_zone,
    provider_calendars,
    slot_request,
)
from careloop.scheduling.series import SeriesRule, occurrences
from careloop.scheduling.services.booking import (
    BookingRequest,
    appointment_book,
    booking_problems,
    calendar_problem,
    problem_message,
)
from careloop.scheduling.services.locks import lock_provider_calendar
from careloop.scheduling.services.notices import booking_confirmation_send

ALTERNATIVES = 3
ALTERNATIVE_DAYS = 7


@dataclass(frozen=True)
class OccurrenceCheck:
    index: int
    start: datetime
    problem: str = ""  # a code: in_the_past, outside_hours, slot_taken, ...; empty when free
    message: str = ""
    alternatives: tuple[datetime, ...] = field(default_factory=tuple)

    @property
    def free(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class SeriesOutcome:
    occurrences: list[OccurrenceCheck]
    series: AppointmentSeries | None = None
    appointments: list[Appointment] = field(default_factory=list)

    @property
    def conflicts(self) -> list[OccurrenceCheck]:
        return [check for check in self.occurrences if not check.free]


def series_book(
    *,
    actor: User | None,
    patient: Patient,
    provider: User,
    location: Location,
    appointment_type: AppointmentType,
    rule: SeriesRule,
    moved: Mapping[int, datetime] | None = None,
    check_only: bool = False,
    acknowledged_price: int | None = None,
) -> SeriesOutcome:
    """Check every occurrence of `rule`; unless `check_only`, book them all or none.

    ValidationFailed (naming the field) for a rule without an end, ending before it starts or
    beyond the occurrence limit. `moved` gives an occurrence (by index) another start, as
    chosen from its alternatives. Each occurrence holds the allowance as a single booking
    does; those beyond it book only when `acknowledged_price` covers their price.
    """
    zone = location_zone(location)
    planned = occurrences(rule, zone=zone, limit=settings.SCHEDULING_SERIES_LIMIT)
    unknown = sorted(set(moved or {}) - {item.index for item in planned})
    if unknown:
        raise ValidationFailed.single(
            "moved",
            f"The series has occurrences 0 to {len(planned) - 1}; there is no occurrence "
            f"{', '.join(str(index) for index in unknown)} to move.",
            "unknown_occurrence",
        )
    starts = {item.index: (moved or {}).get(item.index, item.start) for item in planned}
    with transaction.atomic():
        if not check_only:
            lock_provider_calendar(provider.pk)
        checks = [
            _check(
                BookingRequest(patient, provider, location, appointment_type, start),
                index=index,
                earlier=[starts[i] for i in range(index)],
            )
            for index, start in starts.items()
        ]
        if check_only:
            return SeriesOutcome(occurrences=checks)
        conflicts = [check for check in checks if not check.free]
        if conflicts:
            raise SeriesHasConflicts(
                f"{len(conflicts)} of {len(checks)} occurrences cannot be booked; "
                "nothing was booked.",
                occurrences=list(checks),
            )
        series = AppointmentSeries.objects.create(
            patient=patient,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            frequency=rule.frequency,
            interval=rule.interval,
            start_date=rule.start_date,
            local_start_time=rule.local_start_time,
            ordinal=rule.ordinal,
            weekday=rule.weekday,
            count=rule.count,
            until=rule.until,
            created_at=clock.now(),
            created_by=actor,
        )
        booked = [
            appointment_book(
                actor=actor,
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                start_at=check.start,
                series=series,
                occurrence_index=check.index,
                acknowledged_price=acknowledged_price,
            )
            for check in checks
        ]
        audit_record(
            action="appointment_series.book",
            actor=actor,
            patient_id=patient.pk,
            object_type="appointment_series",
            object_id=series.pk,
            detail={"occurrences": len(booked)},
        )
        booking_confirmation_send(booked)
    return SeriesOutcome(occurrences=checks, series=series, appointments=booked)


def _check(request: BookingRequest, *, index: int, earlier: list[datetime]) -> OccurrenceCheck:
    errors = booking_problems(request, now=clock.now())
    if errors:
        return OccurrenceCheck(
            index, request.start_at, errors[0].code, errors[0].message, _alternatives(request)
        )
    problem = calendar_problem(request)
    if problem is None and _overlaps_earlier(request, earlier):
        problem = "slot_taken"
    if problem is None:
        return OccurrenceCheck(index, request.start_at)
    message = problem_message(problem, request.appointment_type)
    return OccurrenceCheck(index, request.start_at, problem, message, _alternatives(request))


def _overlaps_earlier(request: BookingRequest, earlier: list[datetime]) -> bool:
    kind = request.appointment_type
    length = timedelta(minutes=kind.duration_minutes + kind.buffer_minutes)
    mine = Span(request.start_at, request.start_at + length)
    return any(mine.overlaps(Span(start, start + length)) for start in earlier)


def _alternatives(request: BookingRequest) -> tuple[datetime, ...]:
    """The nearest free slots: the same day by distance from the wanted time, then next days."""
    zone = location_zone(request.location)
    day = request.start_at.astimezone(zone).date()
    calendars = provider_calendars(
        first_day=day,
        last_day=day + timedelta(days=ALTERNATIVE_DAYS),
        provider_ids=[request.provider.pk],
        location_ids=[request.location.pk],
    )
    if not calendars:
        return ()
    slot_rules: SlotRequest = slot_request(request.appointment_type)
    calendar = calendars[0]
    same_day = sorted(
        (slot.start for slot in day_slots(calendar, day, slot_rules)),
        key=lambda start: abs(start - request.start_at),
    )
    found = same_day[:ALTERNATIVES]
    following = day
    while len(found) < ALTERNATIVES and following < day + timedelta(days=ALTERNATIVE_DAYS):
        following += timedelta(days=1)
        found.extend(slot.start for slot in day_slots(calendar, following, slot_rules))
    return tuple(found[:ALTERNATIVES])
