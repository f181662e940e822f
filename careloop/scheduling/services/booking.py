"""Booking one appointment: validate, lock the provider's calendar, check, insert.

Two appointments that hold time never overlap for one provider. The provider's calendar is
locked first (services/locks.py), then the overlap check runs against committed bookings
(buffers included), then the insert; on PostgreSQL the exclusion constraint refuses an overlap
that got past the check anyway, and that refusal is reported the same way as the check's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.care.models import CareTask
from careloop.core import clock
from careloop.core.errors import FieldError, ValidationFailed
from careloop.memberships.errors import AllowanceExhausted
from careloop.memberships.models import Membership
from careloop.memberships.selectors.memberships import membership_for_patient, money
from careloop.memberships.services.entitlements import entitlement_hold
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
from careloop.scheduling.priority import release_at
from careloop.scheduling.selectors.calendars import location_zone, provider_calendars, slot_request
from careloop.scheduling.selectors.effects import (
    BookingEffect,
    BookingOutcome,
    booking_effect,
    visit_day,
)
from careloop.scheduling.selectors.priority import slot_held
from careloop.scheduling.services.care_link import care_task_for_visit
from careloop.scheduling.services.locks import lock_provider_calendar
from careloop.scheduling.services.notices import booking_confirmation_send

HOLD_SOURCE = "appointment"  # the ledger's source_type for an appointment's hold and use
BOOKABLE_ROLES = frozenset({Role.PROVIDER, Role.COORDINATOR})

PROBLEM_MESSAGES = {
    "outside_hours": "The provider does not work at this location then.",
    "duration_does_not_fit": "A {minutes}-minute visit does not fit before the provider's "
    "hours end or a break begins.",
    "time_off": "The provider is away then.",
    "slot_taken": "The provider already has a visit then.",
}


def problem_message(problem: str, appointment_type: AppointmentType) -> str:
    """What a calendar problem code (availability.slot_problem) means, in a sentence."""
    return PROBLEM_MESSAGES[problem].format(minutes=appointment_type.duration_minutes)


@dataclass(frozen=True)
class BookingRequest:
    """What one booking asks for; a series books one per occurrence."""

    patient: Patient
    provider: User
    location: Location
    appointment_type: AppointmentType
    start_at: datetime
    membership: Membership | None = None


def booking_problems(
    request: BookingRequest, *, now: datetime, effect: BookingEffect | None = None
) -> list[FieldError]:
    """Field errors that do not need the provider's calendar (checked before locking it),
    including a membership effect that refuses the visit."""
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
    day = visit_day(request.location, start)
    if (
        request.membership is not None
        and not request.membership.members.filter(patient=request.patient, joined_on__lte=day)
        .exclude(left_on__lte=day)
        .exists()
    ):
        errors.append(
            FieldError("membership", "The patient is not a member of this membership then.")
        )
    held = slot_held(
        patient=request.patient,
        provider_id=request.provider.pk,
        appointment_type=kind,
        location=request.location,
        start=start,
    )
    if held is not None:
        release = release_at(held, start, location_zone(request.location))
        local = release.astimezone(location_zone(request.location))
        errors.append(
            FieldError(
                "start_at",
                f"This time is held for members of {', '.join(held.plan_names)} until "
                f"{local:%Y-%m-%d %H:%M}.",
                "held_for_priority",
            )
        )
    if effect is None:
        effect = booking_effect(
            patient=request.patient,
            appointment_type=kind,
            location=request.location,
            start_at=start,
            membership=request.membership,
        )
    errors.extend(effect_refusals(effect))
    return errors


EFFECT_FIELDS = {
    BookingOutcome.NOT_ALLOWED_FOR_PLAN: "appointment_type",
    BookingOutcome.MEMBERS_ONLY: "appointment_type",
    BookingOutcome.MEMBERSHIP_PAST_DUE: "membership",
    BookingOutcome.MEMBERSHIP_PAUSED: "membership",
}


def effect_refusals(effect: BookingEffect) -> list[FieldError]:
    """The membership effect as field errors: none when it allows the visit."""
    if effect.allowed:
        return []
    return [FieldError(EFFECT_FIELDS[effect.outcome], effect.reason, effect.outcome.value)]


def price_refusal(effect: BookingEffect, acknowledged_price: int | None) -> FieldError | None:
    """A visit with a price books only when the caller acknowledged at least that price."""
    if effect.price <= (acknowledged_price or 0):
        return None
    return FieldError(
        "acknowledged_price",
        f"This visit costs {money(effect.price, effect.currency)}: {effect.reason}",
        "price_not_acknowledged",
    )


def calendar_problem(
    request: BookingRequest, *, ignore_appointment_ids: Iterable[int] = ()
) -> str | None:
    """Why the provider's calendar refuses the visit (see availability.slot_problem); a visit
    being moved ignores itself."""
    day = visit_day(request.location, request.start_at)
    calendars = provider_calendars(
        first_day=day,
        last_day=day,
        provider_ids=[request.provider.pk],
        location_ids=[request.location.pk],
        ignore_appointment_ids=ignore_appointment_ids,
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
    acknowledged_price: int | None = None,
    care_task: CareTask | None = None,
) -> Appointment:
    """Book one visit, or refuse with a clear error and book nothing.

    ValidationFailed names the field: a start in the past, inside the lead time, outside the
    provider's hours or time off, a visit that does not fit, a type the patient's plan may not
    book, a past-due or paused membership the clinic blocks, a members-only type for a patient
    without a covering membership, and a price (beyond the allowance, or self-pay) higher than
    `acknowledged_price`. SlotTaken when the provider already has a visit (or its buffer) then.
    A covered visit holds one use of the allowance (entitlement_hold) in the same transaction.
    The visit is tied to the care-plan task it carries out (`care_task`, or the matching one
    found by services/care_link.py); completing it closes the task.
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
    day = visit_day(location, start_at)
    with transaction.atomic():
        lock_provider_calendar(provider.pk)
        _refuse_calendar_problem(request)
        effect = booking_effect(
            patient=patient,
            appointment_type=appointment_type,
            location=location,
            start_at=start_at,
            membership=membership,
        )
        problems = effect_refusals(effect)
        unacknowledged = price_refusal(effect, acknowledged_price)
        if unacknowledged is not None:
            problems.append(unacknowledged)
        if problems:
            raise ValidationFailed(problems)
        if membership is None:
            membership = membership_for_patient(patient=patient, on=day)
        task = care_task_for_visit(
            patient=patient, appointment_type=appointment_type, day=day, chosen=care_task
        )
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
            care_task=task,
            service=effect.service,
            coverage=effect.outcome.value,
            quoted_price=effect.price,
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
        if effect.outcome == BookingOutcome.COVERED:
            _hold_allowance(
                appointment, effect, actor=actor, day=day, acknowledged=acknowledged_price
            )
        audit_record(
            action="appointment.book",
            actor=actor,
            patient_id=patient.pk,
            object_type="appointment",
            object_id=appointment.pk,
            detail={
                "series_id": series.pk if series is not None else None,
                "coverage": appointment.coverage,
                "price": appointment.quoted_price,
                "care_task_id": task.pk if task is not None else None,
            },
        )
        if series is None:  # a series is confirmed once, with all its visits
            booking_confirmation_send([appointment])
    return appointment


def _hold_allowance(
    appointment: Appointment,
    effect: BookingEffect,
    *,
    actor: User | None,
    day: date,
    acknowledged: int | None,
) -> None:
    """Hold one use for a covered visit. When another booking took the last use since the
    effect was read (the ledger's lock decides), the visit is beyond the allowance: it books
    at the member price if the caller acknowledged that much, else nothing is booked."""
    assert effect.service is not None
    try:
        entitlement_hold(
            actor=actor,
            patient=appointment.patient,
            service=effect.service,
            on=day,
            source_type=HOLD_SOURCE,
            source_id=str(appointment.pk),
        )
    except AllowanceExhausted:
        now_effect = booking_effect(
            patient=appointment.patient,
            appointment_type=appointment.appointment_type,
            location=appointment.location,
            start_at=appointment.start_at,
            membership=appointment.membership,
        )
        refusal = price_refusal(now_effect, acknowledged)
        if refusal is not None:
            raise ValidationFailed([refusal]) from None
        appointment.coverage = now_effect.outcome.value
        appointment.quoted_price = now_effect.price
        appointment.save(update_fields=["coverage", "quoted_price"])


def _refuse_calendar_problem(request: BookingRequest) -> None:
    problem = calendar_problem(request)
    if problem is None:
        return
    if problem == "slot_taken":
        raise SlotTaken(_taken_message(request))
    raise ValidationFailed.single(
        "start_at", problem_message(problem, request.appointment_type), problem
    )


def _taken_message(request: BookingRequest) -> str:
    local = request.start_at.astimezone(location_zone(request.location))
    return (
        f"{request.provider.display_name} already has a visit at "
        f"{local:%Y-%m-%d %H:%M}; choose another time."
    )
