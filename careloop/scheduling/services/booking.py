"""Booking one appointment: validate, lock the provider's calendar, check, insert.

Two appointments that hold time never overlap for one provider. The provider's calendar is
locked first (services/locks.py), then the overlap check runs against committed bookings
(buffers included), then the insert; on PostgreSQL the exclusion constraint refuses an overlap
that got past the check anyway, and that refusal is reported the same way as the check's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.models import Membership
from careloop.memberships.selectors.memberships import membership_for_patient
from careloop.patients.models import Patient
from careloop.scheduling.availability import slot_problem
from careloop.scheduling.errors import SlotTaken
from careloop.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentStatusChange,
    AppointmentType,
    Location,
)
from careloop.scheduling.selectors.calendars import location_zone, provider_calendars, slot_request
from careloop.scheduling.services.locks import lock_provider_calendar

BOOKABLE_ROLES = frozenset({Role.PROVIDER, Role.COORDINATOR})

PROBLEM_MESSAGES = {
    "outside_hours": "The provider does not work at this location then.",
    "duration_does_not_fit": "A {minutes}-minute visit does not fit before the provider's "
    "hours end or a break begins.",
    "time_off": "The provider is away then.",
}


@dataclass(frozen=True)
class BookingRequest:
    """What one booking asks for; a series books one per occurrence."""

    patient: Patient
    provider: User
    location: Location
    appointment_type: AppointmentType
    start_at: datetime
    membership: Membership | None = None


def booking_problems(request: BookingRequest, *, now: datetime) -> list[FieldError]:
    """Field errors that do not need the provider's calendar (checked before locking it)."""
    errors = []
    start = request.start_at
    if timezone.is_naive(start):
        return [FieldError("start_at", "Give the start with its time zone.", "naive")]
    if request.provider.role not in BOOKABLE_ROLES or not request.provider.is_active:
        errors.append(
            FieldError("provider", "Only active providers and coaches can be booked.", "invalid")
        )
    if not request.location.active:
        errors.append(FieldError("location", "This location no longer books visits.", "inactive"))
    kind = request.appointment_type
    if not kind.active:
        errors.append(
            FieldError("appointment_type", "This appointment type is retired.", "inactive")
        )
    if start < now:
        errors.append(FieldError("start_at", "The start is in the past.", "in_the_past"))
    elif start < now + timedelta(minutes=kind.lead_time_minutes):
        errors.append(
            FieldError(
                "start_at",
                f"{kind.name} must be booked at least {kind.lead_time_minutes} minutes ahead.",
                "inside_lead_time",
            )
        )
    day = start.astimezone(location_zone(request.location)).date()
    membership = request.membership or membership_for_patient(patient=request.patient, on=day)
    if (
        request.membership is not None
        and not request.membership.members.filter(patient=request.patient, joined_on__lte=day)
        .exclude(left_on__lte=day)
        .exists()
    ):
        errors.append(
            FieldError("membership", "The patient is not a member of this membership then.")
        )
    allowed = {plan.pk: plan.name for plan in kind.plans_allowed.all()}
    if allowed and (membership is None or membership.plan_id not in allowed):
        plans = ", ".join(sorted(allowed.values()))
        errors.append(
            FieldError(
                "appointment_type",
                f"{kind.name} is only for members of {plans}.",
                "not_allowed_for_plan",
            )
        )
    return errors


def calendar_problem(request: BookingRequest) -> str | None:
    """Why the provider's calendar refuses the visit (see availability.slot_problem)."""
    day = request.start_at.astimezone(location_zone(request.location)).date()
    calendars = provider_calendars(
        first_day=day,
        last_day=day,
        provider_ids=[request.provider.pk],
        location_ids=[request.location.pk],
    )
    if not calendars:
        return "outside_hours"
    return slot_problem(calendars[0], request.start_at, slot_request(request.appointment_type))


def appointment_book(
    *,
    actor: User | None,
    patient: Patient,
    provider: User,
    location: Location,
    appointment_type: AppointmentType,
    start_at: datetime,
    membership: Membership | None = None,
    series: AppointmentSeries | None = None,
    occurrence_index: int | None = None,
) -> Appointment:
    """Book one visit, or refuse with a clear error and book nothing.

    ValidationFailed names the field: a start in the past, inside the lead time, outside the
    provider's hours or time off, a visit that does not fit, a type the patient's plan may not
    book. SlotTaken when the provider already has a visit (or its buffer) then.
    """
    request = BookingRequest(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        start_at=start_at,
        membership=membership,
    )
    now = clock.now()
    errors = booking_problems(request, now=now)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        lock_provider_calendar(provider.pk)
        _refuse_calendar_problem(request)
        if membership is None:
            day = start_at.astimezone(location_zone(location)).date()
            membership = membership_for_patient(patient=patient, on=day)
        end_at = start_at + timedelta(minutes=appointment_type.duration_minutes)
        appointment = Appointment(
            patient=patient,
            membership=membership,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            start_at=start_at,
            end_at=end_at,
            blocked_until=end_at + timedelta(minutes=appointment_type.buffer_minutes),
            status=AppointmentStatus.SCHEDULED,
            series=series,
            occurrence_index=occurrence_index,
            created_at=now,
            updated_at=now,
            booked_by=actor,
        )
        try:
            with transaction.atomic():
                appointment.save()
        except IntegrityError as error:
            if "appointment_provider_no_overlap" in str(error):
                raise SlotTaken(_taken_message(request)) from error
            raise
        AppointmentStatusChange.objects.create(
            appointment=appointment,
            action="book",
            from_status="",
            to_status=AppointmentStatus.SCHEDULED,
            recorded_at=now,
            actor=actor,
        )
        # Later slices hook in here: hold the membership's allowance for the visit
        # (careloop.memberships.services.entitlements.entitlement_hold) and link a care task.
        audit_record(
            action="appointment.book",
            actor=actor,
            patient_id=patient.pk,
            object_type="appointment",
            object_id=appointment.pk,
            detail={"series_id": series.pk if series is not None else None},
        )
    return appointment


def _refuse_calendar_problem(request: BookingRequest) -> None:
    problem = calendar_problem(request)
    if problem is None:
        return
    if problem == "slot_taken":
        raise SlotTaken(_taken_message(request))
    message = PROBLEM_MESSAGES[problem].format(minutes=request.appointment_type.duration_minutes)
    raise ValidationFailed.single("start_at", message, problem)


def _taken_message(request: BookingRequest) -> str:
    local = request.start_at.astimezone(location_zone(request.location))
    return (
        f"{request.provider.display_name} already has a visit at "
        f"{local:%Y-%m-%d %H:%M}; choose another time."
    )
